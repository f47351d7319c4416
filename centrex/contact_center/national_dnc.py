"""National do-not-call lists: the provider imports them, every tenant's campaigns obey them.

Theory of operation (issue 15 item 2):

* A national list (Bloctel in France, the TPS in the UK, ...) is a legal obligation of whoever
  calls numbers of that country: the provider (platform operator) imports it, and it applies to
  every tenant's campaigns with no opt-out. Its tables are platform tables (no `tenant_id`), so
  these functions take a plain session, and a tenant only ever learns which list blocks one of
  its own numbers (`national_blocked`), never a list's contents.
* **Importing** reads a file like the tenant's DNC imports (`dnc_files.numbered_lines`: one
  number per line or the first CSV column). Each number is normalised for the list's country
  (national format accepted), and a number that is not valid, or is valid but of another
  country, is reported with its line number and reason and skipped, like a lead import; a file
  with no valid number at all is refused. `replace` swaps the whole list: its old numbers are
  deleted and the new ones inserted in the caller's transaction, so readers see the old list
  until the commit and an error leaves it untouched. Without `replace` the numbers are added;
  those already listed count as `duplicates`, like repeats within the file.
* **Size**: lists have millions of numbers, so no function ever loads a whole list. Rows go in
  with bulk `INSERT`s of `CHUNK` rows, and lookups ask only about the numbers at hand, `IN_CHUNK`
  per query (`national_blocked`) or by a join with a campaign's leads
  (`national_blocked_in_campaign`), both answered by the index on `number`.
* Parsing with phonenumbers costs tens of microseconds a number; a number plainly written in
  E.164 with the country's calling code, or in the national format after a fixed national
  prefix, skips `phonenumbers.parse` (its regexes are most of that cost) and is only validated
  (`_quick`), which keeps 100 000 lines to a few seconds; anything else takes the exact way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import phonenumbers
from phonenumbers import PhoneNumber
from sqlalchemy import ColumnElement, String, Table, any_, bindparam, delete, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.contact_center.dnc_files import numbered_lines
from centrex.contact_center.phone_numbers import BadNumber, parse
from centrex.data.models import Lead, NationalDncList, NationalDncNumber
from centrex.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

CHUNK = 5000  # rows per bulk INSERT
IN_CHUNK = 500  # numbers per `WHERE number IN (...)`
MAX_NAME = 64
NUMBERS = cast(Table, NationalDncNumber.__table__)
_NAME = re.compile(r"^[^\x00-\x1f\x7f/]+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_SEPARATORS = re.compile(r"[ .\-]")


def country_of(country: str) -> str:
    """An ISO 3166-1 alpha-2 code phonenumbers knows, upper case, or `ValidationFailed`."""
    code = country.strip().upper()
    if len(code) != 2 or code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed(f"unknown country code {country!r}: give an ISO 3166 code like FR",
                               error_id="national-dnc-bad-country", field="country")  # fmt: skip
    return code


def name_of(name: str) -> str:
    label = name.strip()
    if not label or len(label) > MAX_NAME or not _NAME.match(label):
        raise ValidationFailed(f"a national list's name has 1 to {MAX_NAME} characters, no '/'",
                               error_id="national-dnc-bad-name", field="name")  # fmt: skip
    return label


def _quick(text: str, country: str) -> str | None:
    """The E.164 form of `text` when it is plainly a valid number of `country` — E.164, or the
    national format with a fixed national prefix ("01 42 68 53 00") — without
    `phonenumbers.parse` (module docstring); None sends it the slow, exact way. Only what
    `parse` would read the same way is taken: no leading zero after the country code or the
    prefix (Italian numbers keep theirs), no prefix rule, no international call prefix."""
    digits = _SEPARATORS.sub("", text)
    code = phonenumbers.country_code_for_region(country)
    meta = phonenumbers.PhoneMetadata.metadata_for_region(country)
    if _E164.match(digits) and digits.startswith(f"+{code}"):
        national = digits[len(str(code)) + 1 :]
    elif (
        meta is not None
        and digits.isdigit()
        and meta.national_prefix
        and meta.national_prefix_for_parsing == meta.national_prefix
        and meta.national_prefix_transform_rule is None
        and digits.startswith(meta.national_prefix)
        # defensive: a call prefix (RU "810...") is never read as the national prefix
        and not (meta.international_prefix and re.match(meta.international_prefix, digits))
    ):
        national = digits[len(meta.national_prefix) :]
    else:
        return None
    if not national.isdigit() or national[0] == "0":
        return None
    number = PhoneNumber(country_code=code, national_number=int(national))
    if not phonenumbers.is_valid_number_for_region(number, country):
        return None
    return f"+{code}{national}"


def national_number(raw: str, country: str) -> str:
    """`raw` (E.164 or the national format of `country`) as E.164, or `BadNumber` saying why:
    not a valid number, or a valid number of another country."""
    text = raw.strip()
    quick = _quick(text, country)
    if quick is not None:
        return quick
    number = parse(text, country)
    region = phonenumbers.region_code_for_number(number.parsed)
    if region != country:
        raise BadNumber(text, f"a number of {region or 'another country'}, not of {country}")
    return number.e164


def _among(session: AsyncSession, numbers: list[str]) -> ColumnElement[bool]:
    """`number IN (...)` for at most `IN_CHUNK` numbers; on PostgreSQL `number = ANY(:array)`,
    the same test with one parameter, which PostgreSQL plans once instead of per list size
    (measured: several times faster per query)."""
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("numbers", numbers, type_=ARRAY(String()))
        return NationalDncNumber.number == any_(array)
    return NationalDncNumber.number.in_(numbers)


def list_dict(row: NationalDncList) -> dict[str, Any]:
    return {"id": row.id, "country": row.country, "name": row.name, "count": row.count,
            "imported_at": row.imported_at}  # fmt: skip


async def _find(session: AsyncSession, country: str, name: str) -> NationalDncList | None:
    stmt = select(NationalDncList).where(
        NationalDncList.country == country, NationalDncList.name == name
    )
    return (await session.scalars(stmt)).first()


async def _already_listed(session: AsyncSession, list_id: int, numbers: list[str]) -> set[str]:
    """Which of `numbers` the list holds already (only those are read, `IN_CHUNK` at a time)."""
    found: set[str] = set()
    for start in range(0, len(numbers), IN_CHUNK):
        stmt = select(NationalDncNumber.number).where(
            NationalDncNumber.list_id == list_id,
            _among(session, numbers[start : start + IN_CHUNK]),
        )
        found.update((await session.scalars(stmt)).all())
    return found


async def _clear(session: AsyncSession, list_id: int) -> None:
    """Delete a list's numbers (explicitly: no reliance on the foreign key's cascade)."""
    await session.execute(delete(NationalDncNumber).where(NationalDncNumber.list_id == list_id))


@dataclass(frozen=True, slots=True)
class NationalFile:
    """A national list's file, read and checked (no database needed): its distinct numbers in
    file order, the repeats within the file and the rejected lines."""

    country: str
    numbers: list[str]
    repeats: int
    rejected: list[dict[str, Any]]


def read_national_file(data: bytes, country: str) -> NationalFile:
    """Parse a file for `country` (module docstring); `ValidationFailed` when it cannot be
    read or holds no valid number of the country."""
    code = country_of(country)
    lines = numbered_lines(data, what="the national DNC file", error_id="national-dnc-file-empty")
    numbers: list[str] = []
    seen: set[str] = set()
    rejected: list[dict[str, Any]] = []
    for line, raw in lines:
        try:
            e164 = national_number(raw, code)
        except BadNumber as exc:
            rejected.append({"line": line, "error": str(exc)})
            continue
        if e164 not in seen:
            seen.add(e164)
            numbers.append(e164)
    if not numbers:
        first = rejected[0] if rejected else {"line": 0, "error": "no number"}
        raise ValidationFailed(
            f"the national DNC file has no valid number of {code} "
            f"(line {first['line']}: {first['error']})",
            error_id="national-dnc-no-number", field="file",
        )  # fmt: skip
    return NationalFile(code, numbers, len(lines) - len(rejected) - len(numbers), rejected)


async def import_national(
    session: AsyncSession, *, country: str, name: str, data: bytes, replace: bool, now: datetime
) -> dict[str, Any]:
    """Import (or, with `replace`, swap) a national list (module docstring). Returns
    `{list, country, imported, duplicates, rejected: [{line, error}], total}`, `total` being
    the list's size after the import."""
    label = name_of(name)
    return await store_national(session, name=label, file=read_national_file(data, country),
                                replace=replace, now=now)  # fmt: skip


async def store_national(
    session: AsyncSession, *, name: str, file: NationalFile, replace: bool, now: datetime
) -> dict[str, Any]:
    """Write a file already read (`read_national_file`) into the list `name` of its country."""
    label, code = name_of(name), file.country
    listed = await _find(session, code, label)
    if listed is None:
        listed = NationalDncList(country=code, name=label, imported_at=now, count=0)
        session.add(listed)
        await session.flush()
    duplicates = file.repeats
    if replace:
        await _clear(session, listed.id)
        fresh = file.numbers
    else:
        known = await _already_listed(session, listed.id, file.numbers)
        duplicates += len(known)
        fresh = [n for n in file.numbers if n not in known]
    for start in range(0, len(fresh), CHUNK):
        rows = [{"list_id": listed.id, "number": n} for n in fresh[start : start + CHUNK]]
        await session.execute(insert(NUMBERS), rows)
    listed.count = len(fresh) if replace else listed.count + len(fresh)
    listed.imported_at = now
    await session.flush()
    log.info("national DNC list %s (%s): %d imported, %d duplicates, %d rejected, %d in all%s",
             label, code, len(fresh), duplicates, len(file.rejected), listed.count,
             " (replaced)" if replace else "")  # fmt: skip
    return {"list": label, "country": code, "imported": len(fresh), "duplicates": duplicates,
            "rejected": file.rejected, "total": listed.count}  # fmt: skip


async def national_blocked(session: AsyncSession, numbers: Iterable[str]) -> dict[str, str]:
    """Which of `numbers` (E.164) are on a national list: number → list name (the first by
    name when several lists hold it). Only these numbers are looked up, `IN_CHUNK` a query."""
    wanted = sorted(set(numbers))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        stmt = (
            select(NationalDncNumber.number, NationalDncList.name)
            .join(NationalDncList, NationalDncList.id == NationalDncNumber.list_id)
            .where(_among(session, wanted[start : start + IN_CHUNK]))
            .order_by(NationalDncList.name)
        )
        for number, name in (await session.execute(stmt)).all():
            found.setdefault(number, name)
    return found


async def national_blocked_in_campaign(
    session: AsyncSession, tenant_id: int, campaign_id: int
) -> dict[str, str]:
    """`national_blocked` for every lead of one campaign, as one join (the leads' numbers are
    the candidates; the campaign and its tenant are named, so no other tenant's row is read)."""
    leads = select(Lead.number).where(Lead.tenant_id == tenant_id, Lead.campaign_id == campaign_id)
    stmt = (
        select(NationalDncNumber.number, NationalDncList.name)
        .join(NationalDncList, NationalDncList.id == NationalDncNumber.list_id)
        .where(NationalDncNumber.number.in_(leads))
        .order_by(NationalDncList.name)
    )
    found: dict[str, str] = {}
    for number, name in (await session.execute(stmt)).all():
        found.setdefault(number, name)
    return found


async def lists_holding(session: AsyncSession, e164: str) -> list[NationalDncList]:
    """The national lists that hold one number (by name), e.g. to say why it stays blocked."""
    stmt = (
        select(NationalDncList)
        .join(NationalDncNumber, NationalDncNumber.list_id == NationalDncList.id)
        .where(NationalDncNumber.number == e164)
        .order_by(NationalDncList.name)
    )
    return list((await session.scalars(stmt)).all())


async def list_national(session: AsyncSession) -> list[dict[str, Any]]:
    """Every national list (country, name, size, last import), by country and name."""
    stmt = select(NationalDncList).order_by(NationalDncList.country, NationalDncList.name)
    return [list_dict(row) for row in (await session.scalars(stmt)).all()]


async def delete_national(session: AsyncSession, country: str, name: str) -> dict[str, Any]:
    """Delete a national list and its numbers; `NotFound` when there is no such list."""
    code, label = country_of(country), name_of(name)
    listed = await _find(session, code, label)
    if listed is None:
        raise NotFound(f"no national DNC list {label!r} for {code}",
                       error_id="national-dnc-not-found")  # fmt: skip
    await _clear(session, listed.id)
    count = listed.count
    await session.delete(listed)
    await session.flush()
    log.info("national DNC list %s (%s) deleted: %d numbers", label, code, count)
    return {"deleted": label, "country": code, "numbers": count}
