"""Reading a lead file: CSV or XLSX bytes → a header and numbered lines, plus the column mapping.

What goes wrong with real files, and what is said (each a `ValidationFailed` with a stable
error id; nothing is imported when the file itself is refused):

* encoding: UTF-8 (with or without a BOM, as Excel writes it) is tried first, then Windows-1252
  (what Excel on Windows writes as "CSV"); the one that worked is reported with the batch.
  Bytes neither can read: `lead-file-encoding`;
* the separator is sniffed among `,` `;` tab (French Excel writes `;`);
* an XLSX that is not a readable workbook: `lead-file-format`;
* no header or no line after it: `lead-file-empty`;
* a mapped column that is not in the header: `lead-file-columns`, naming the columns there are.

Line numbers are the file's own (the header is line 1), so a person can find the line in a
spreadsheet. Fields `number`, `name` and `postal_code` are columns of the lead; any other mapped
field, and every column nobody mapped, becomes a custom field (script data).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from centrex.errors import ValidationFailed

ENCODINGS = ("utf-8-sig", "cp1252")
STANDARD_FIELDS = ("number", "name", "postal_code")
# headers recognised without a --map (compared lower-case, spaces and dashes as underscores)
ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("number", "phone", "phone_number", "telephone", "téléphone", "tel", "tél",
               "numero", "numéro", "mobile", "e164"),
    "name": ("name", "nom", "full_name", "contact", "name_surname"),
    "postal_code": ("postal_code", "postcode", "zip", "zip_code", "cp", "code_postal", "plz",
                    "npa"),
}  # fmt: skip
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and its non-blank lines as (line number, cells)."""

    headers: list[str]
    lines: list[tuple[int, list[str]]]
    encoding: str | None  # None for XLSX


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each field is: column indexes of the standard fields and of custom fields."""

    number: int
    name: int | None
    postal_code: int | None
    custom: dict[str, int]


def _invalid(message: str, error_id: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field=field)


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """`["number=Téléphone", "name=Nom"]` → `{"number": "Téléphone", "name": "Nom"}`."""
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise _invalid(f"a mapping is field=Column, not {item!r}", "lead-bad-mapping", "map")
        if not _FIELD.match(field):
            raise _invalid(f"{field!r} is not a field name", "lead-bad-mapping", "map")
        if field in mapping:
            raise _invalid(f"field {field!r} is mapped twice", "lead-bad-mapping", "map")
        mapping[field.removeprefix("custom.")] = column
    return mapping


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 33142685300 as a float
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def decode_text(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _invalid("the file is neither UTF-8 nor Windows-1252 text: save it as CSV UTF-8 or XLSX",
                   "lead-file-encoding")  # fmt: skip


def _read_csv(data: bytes) -> Table:
    text, encoding = decode_text(data)
    if "\x00" in text:
        raise _invalid("the file contains NUL bytes: it is not a CSV text file",
                       "lead-file-encoding")  # fmt: skip
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        numbered = [(rows.line_num, [c.strip() for c in row]) for row in rows]
    except csv.Error as exc:
        raise _invalid(f"line {rows.line_num}: broken CSV ({exc})", "lead-file-format") from None
    return _table(numbered, encoding)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _invalid(f"not a readable XLSX workbook ({exc})", "lead-file-format") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _invalid("the workbook has no sheet", "lead-file-empty")
        numbered = [
            (index, [_cell(v) for v in row])
            for index, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    return _table(numbered, None)


def _table(numbered: list[tuple[int, list[str]]], encoding: str | None) -> Table:
    content = [(n, cells) for n, cells in numbered if any(cells)]
    if not content:
        raise _invalid("the file is empty", "lead-file-empty")
    _first, headers = content[0]
    if len(content) == 1:
        raise _invalid("the file has a header but no lead lines", "lead-file-empty")
    return Table(headers=headers, lines=content[1:], encoding=encoding)


def read_table(data: bytes, filename: str = "") -> Table:
    """The lines of a CSV or XLSX file (XLSX by its zip signature or its name)."""
    if not data.strip():
        raise _invalid("the file is empty", "lead-file-empty")
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    return _read_csv(data)


def _key(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def resolve_columns(headers: Sequence[str], mapping: dict[str, str]) -> Columns:
    """Column indexes for each field: mapped ones must exist, others are found by alias."""
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        index.setdefault(header.strip().lower(), position)
    by_key: dict[str, int] = {}
    for position, header in enumerate(headers):
        by_key.setdefault(_key(header), position)
    found: dict[str, int] = {}
    for field, column in mapping.items():
        where = index.get(column.strip().lower())
        if where is None:
            shown = ", ".join(h for h in headers if h) or "none"
            raise _invalid(f"column {column!r} (mapped to {field}) is not in the file; its "
                           f"columns are: {shown}", "lead-file-columns", "map")  # fmt: skip
        found[field] = where
    for field in STANDARD_FIELDS:
        if field not in found:
            for alias in ALIASES[field]:
                if alias in by_key:
                    found[field] = by_key[alias]
                    break
    if "number" not in found:
        shown = ", ".join(h for h in headers if h) or "none"
        raise _invalid(f"no phone number column: map one with number=COLUMN (columns: {shown})",
                       "lead-file-columns", "map")  # fmt: skip
    used = set(found.values())
    custom = {f: p for f, p in found.items() if f not in STANDARD_FIELDS}
    for position, header in enumerate(headers):
        if position not in used and header.strip():
            custom.setdefault(header.strip(), position)
    return Columns(
        number=found["number"],
        name=found.get("name"),
        postal_code=found.get("postal_code"),
        custom=custom,
    )
