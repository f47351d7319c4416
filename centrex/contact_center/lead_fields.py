"""A lead's merge fields: the `{first_name}`, `{company}`… that scripts, e-mails and letters use.

One place decides which names a lead offers, so a script page, a mail template and a Word
letter merge the same values and reject the same unknown names:

* the built-in fields: ``number``, ``name``, ``first_name``, ``last_name``, ``postal_code``
  (``first_name``/``last_name`` split ``name`` on its first space when the lead's custom fields
  do not carry them);
* every key of the lead's custom fields (the columns of the imported file beyond the known ones),
  which override nothing built-in but may add ``company``, ``email``, ``city``…

Fields are written ``{name}`` (letters, digits, ``_``; ``{{`` and ``}}`` are literal braces, as
in Python's `str.format`). A template is checked once, when it is saved, against the names known
for its campaign (`unknown_fields`); merging (`merge`) never fails: a field that a particular lead
lacks merges as an empty string, so a call is never stopped by one lead's missing column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["BUILT_IN", "field_names", "known_fields", "lead_fields", "merge", "unknown_fields"]

BUILT_IN = ("number", "name", "first_name", "last_name", "postal_code")

_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def lead_fields(
    *, number: str, name: str, postal_code: str, custom: Mapping[str, Any]
) -> dict[str, str]:
    """Every merge field of one lead, as strings (None and missing values become "")."""
    first, _, last = name.strip().partition(" ")
    fields = {str(key): "" if value is None else str(value) for key, value in custom.items()}
    fields.update(number=number, name=name, postal_code=postal_code)
    fields.setdefault("first_name", first)
    fields.setdefault("last_name", last.strip())
    if not fields["first_name"]:
        fields["first_name"] = first
    if not fields["last_name"]:
        fields["last_name"] = last.strip()
    return fields


def known_fields(custom_keys: Iterable[str] = ()) -> set[str]:
    """The names a template of a campaign may use: the built-ins and its leads' custom keys."""
    return set(BUILT_IN) | {str(key) for key in custom_keys}


def field_names(text: str) -> list[str]:
    """The field names `text` uses, in order of first use, each once."""
    seen: dict[str, None] = {}
    for match in _FIELD.finditer(text):
        if match.group(1):
            seen.setdefault(match.group(1), None)
    return list(seen)


def unknown_fields(text: str, known: Iterable[str]) -> list[str]:
    """The field names of `text` that are not in `known` (empty when the template is valid)."""
    allowed = set(known)
    return [name for name in field_names(text) if name not in allowed]


def merge(text: str, fields: Mapping[str, str]) -> str:
    """`text` with each `{field}` replaced by its value ("" when absent); `{{`/`}}` -> `{`/`}`."""

    def value(match: re.Match[str]) -> str:
        piece = match.group(0)
        if piece == "{{":
            return "{"
        if piece == "}}":
            return "}"
        return fields.get(match.group(1), "")

    return _FIELD.sub(value, text)
