"""National do-not-call lists (contact_center/national_dnc.py) on SQLite and PostgreSQL: the
import (national format normalised for the list's country, other countries' numbers and bad
lines rejected with their line number, duplicates in the file and against the list, `replace`
swapping the list whole and leaving it untouched when the file is refused or the transaction
fails), chunked look-ups, and the list applied everywhere a tenant list is: lead import
(`dnc_filtered`, for every tenant), the hopper (even when the list arrives after the leads),
`explain` and the dial-time check, which a tenant's `dnc remove` cannot lift."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import func, select

from centrex.clock import ManualClock
from centrex.contact_center import dnc, national_dnc
from centrex.contact_center.explain import dialable_count, explain_campaign, explain_number
from centrex.contact_center.hopper import claim_leads
from centrex.contact_center.lead_import import import_leads
from centrex.contact_center.phone_numbers import BadNumber, normalise
from centrex.data.db import Database
from centrex.data.models import LeadStatus, NationalDncList, NationalDncNumber
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed
from tests.contact_center.test_hopper import add_leads, lead_rows, start, tenant_id
from tests.contact_center.world import A, B, campaign_of, csv_bytes, in_tenant, make_world

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
AFTERNOON = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 15:00 in Paris
FILE = [
    "numero;date",  # line 1: a header (no digit)
    "01 42 68 53 01;2026-01-01",  # national format of FR
    "+33142685302",
    "# a comment",
    "0033 1 42 68 53 03",
    "+41 44 555 00 00",  # line 6: valid, but Swiss
    "12",  # line 7: too short
    "+33 1 42 68 53 01",  # line 8: the number of line 2 again
    "",
    "06 12 34 56 78",
]


async def _import(db: Database, lines: list[str], *, name: str = "Bloctel",
                  country: str = "FR", replace: bool = True) -> dict[str, Any]:  # fmt: skip
    async with db.transaction() as session:
        return await national_dnc.import_national(session, country=country, name=name,
                                                  data=csv_bytes(lines), replace=replace,
                                                  now=NOW)  # fmt: skip


async def _numbers(db: Database, name: str = "Bloctel") -> list[str]:
    async with db.session() as session:
        stmt = (
            select(NationalDncNumber.number)
            .join(NationalDncList, NationalDncList.id == NationalDncNumber.list_id)
            .where(NationalDncList.name == name)
            .order_by(NationalDncNumber.number)
        )
        return list((await session.scalars(stmt)).all())


async def _lists(db: Database) -> list[dict[str, Any]]:
    async with db.session() as session:
        return await national_dnc.list_national(session)


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    return db


async def test_import_normalises_rejects_and_counts(world: Database) -> None:
    result = await _import(world, FILE)
    assert result == {
        "list": "Bloctel",
        "country": "FR",
        "imported": 4,
        "duplicates": 1,
        "rejected": [
            {"line": 6, "error": "a number of CH, not of FR: '+41 44 555 00 00'"},
            {"line": 7, "error": "too short: '12'"},
        ],
        "total": 4,
    }
    assert await _numbers(world) == ["+33142685301", "+33142685302", "+33142685303",
                                     "+33612345678"]  # fmt: skip
    listed = await _lists(world)
    assert [(x["country"], x["name"], x["count"], x["imported_at"]) for x in listed] == [
        ("FR", "Bloctel", 4, NOW)
    ]


async def test_adding_counts_listed_numbers_and_replace_swaps_the_list(world: Database) -> None:
    await _import(world, ["+33142685301", "+33142685302"])
    added = await _import(world, ["+33142685302", "+33142685303"], replace=False)
    assert (added["imported"], added["duplicates"], added["total"]) == (1, 1, 3)
    assert await _numbers(world) == ["+33142685301", "+33142685302", "+33142685303"]
    swapped = await _import(world, ["+33142685309", "01 42 68 53 02"])
    assert (swapped["imported"], swapped["duplicates"], swapped["total"]) == (2, 0, 2)
    assert await _numbers(world) == ["+33142685302", "+33142685309"]
    uk = await _import(world, ["020 7946 0000", "+33142685301"], name="TPS", country="gb")
    assert (uk["country"], uk["imported"], len(uk["rejected"])) == ("GB", 1, 1)
    assert [(x["country"], x["name"], x["count"]) for x in await _lists(world)] == [
        ("FR", "Bloctel", 2), ("GB", "TPS", 1)
    ]  # fmt: skip


async def test_a_refused_file_or_a_failed_transaction_leaves_the_list(world: Database) -> None:
    await _import(world, ["+33142685301", "+33142685302"])
    with pytest.raises(ValidationFailed) as foreign:
        await _import(world, ["+41445550000", "hello"])
    assert foreign.value.error_id == "national-dnc-no-number"
    assert "line 1: a number of CH, not of FR" in foreign.value.message
    with pytest.raises(ValidationFailed) as empty:
        await _import(world, ["numbers", "", "# nothing"])
    assert empty.value.error_id == "national-dnc-file-empty"
    with pytest.raises(ValidationFailed) as country:
        await _import(world, ["+33142685301"], country="XX")
    assert country.value.error_id == "national-dnc-bad-country"
    with pytest.raises(ValidationFailed) as name:
        await _import(world, ["+33142685301"], name="a/b")
    assert name.value.error_id == "national-dnc-bad-name"
    with pytest.raises(RuntimeError):  # the swap is one transaction: all or nothing
        async with world.transaction() as session:
            await national_dnc.import_national(session, country="FR", name="Bloctel",
                                               data=csv_bytes(["+33142685309"]), replace=True,
                                               now=NOW)  # fmt: skip
            raise RuntimeError("the import's transaction fails after the swap")
    assert await _numbers(world) == ["+33142685301", "+33142685302"]
    assert [x["count"] for x in await _lists(world)] == [2]


async def test_big_files_go_in_chunks_and_lookups_too(world: Database) -> None:
    lines = [f"+3314268{n:04d}" for n in range(6000)]  # more than one INSERT chunk
    result = await _import(world, lines)
    assert (result["imported"], result["total"]) == (6000, 6000)
    await _import(world, ["+33142680001", "+33612345678"], name="Other list")
    async with world.session() as session:
        count = await session.scalar(select(func.count()).select_from(NationalDncNumber))
        wanted = [f"+3314268{n:04d}" for n in range(0, 9000, 7)]
        wanted += ["+33142680001", "+33612345678", "+33612345678"]
        found = await national_dnc.national_blocked(session, wanted)
    assert count == 6002
    expected = {n: "Bloctel" for n in wanted if int(n[-4:]) < 6000 and n.startswith("+3314268")}
    assert expected["+33142680001"] == "Bloctel"  # on both lists: the first by name
    expected["+33612345678"] = "Other list"
    assert found == expected
    assert len(wanted) > 2 * national_dnc.IN_CHUNK


def test_the_fast_path_agrees_with_phonenumbers() -> None:
    cases = {
        "FR": ["+33142685300", "+33612345678", "+33100000000", "+33999", "+3314268530099",
               "+41445550000", "0142685300", "01 42 68 53 00", "01.42.68.53.00", "0041445550000",
               "+33 (0)1 42 68 53 00", "0612345678", "06-12-34-56-78", "0012125550123"],
        "GB": ["+442079460000", "+447911123456", "+441", "+33142685300", "020 7946 0000"],
        "IT": ["+390612345678", "+393123456789", "+39061234", "06 1234 5678"],
        "US": ["+12125550123", "+14165550123", "+1212555012", "1 212 555 0123", "2125550123",
               "011 33 1 42 68 53 00"],
        "RU": ["8 495 123 45 67", "810 33 1 42 68 53 00", "+74951234567"],
        "DE": ["030 123456", "+4930123456", "0049 30 123456"],
    }  # fmt: skip
    for country, numbers in cases.items():
        for raw in numbers:
            try:
                expected: str | None = normalise(raw, country)
            except BadNumber:
                expected = None
            try:
                got: str | None = national_dnc.national_number(raw, country)
            except BadNumber:
                got = None
            if expected is not None and got is None:  # only another country's number
                with pytest.raises(BadNumber, match=f"not of {country}"):
                    national_dnc.national_number(raw, country)
            else:
                assert got == expected, (country, raw)
    assert national_dnc.national_number("01 42 68 53 00", "FR") == "+33142685300"


def test_the_shortcut_never_reads_a_number_otherwise_than_phonenumbers() -> None:
    """`_quick` answers or passes; when it answers, phonenumbers agrees (random digits)."""
    rng = random.Random(15)
    answered = 0
    for country in ("FR", "DE", "CH", "BE", "NL", "US", "RU", "GB", "IT", "AU"):
        prefix = str(phonenumbers.country_code_for_region(country))
        for _ in range(300):
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 13)))
            for text in (digits, f"+{prefix}{digits}", f"0{digits}", f"00{prefix}{digits}"):
                quick = national_dnc._quick(text, country)
                if quick is not None:
                    answered += 1
                    assert quick == normalise(text, country), (country, text)
    assert answered > 100  # the shortcut is really taken


async def test_lead_import_filters_national_numbers_for_every_tenant(world: Database) -> None:
    await _import(world, ["+33142685301", "+33612345678"])
    for domain in (A, B):
        await start(world, "Spring", domain)

    async def leads(scope: TenantScope) -> dict[str, Any]:
        data = csv_bytes(["phone,name", "+33 1 42 68 53 01,Listed", "+33142685302,Free",
                          "+33 6 12 34 56 78,Listed too", "+41 44 555 00 00,Swiss"])  # fmt: skip
        result = await import_leads(scope, await campaign_of(scope), data, now=NOW,
                                    filename="l.csv", mapping={"number": "phone"})  # fmt: skip
        return result.as_dict()

    in_a = await in_tenant(world, A, leads)
    assert (in_a["imported"], in_a["dnc_filtered"], in_a["rejected"]) == (2, 2, [])
    in_b = await in_tenant(world, B, leads)  # a Swiss tenant calling France obeys Bloctel too
    assert (in_b["imported"], in_b["dnc_filtered"]) == (2, 2)


async def test_the_hopper_never_claims_a_nationally_listed_lead(world: Database) -> None:
    cid = await start(world)
    ids = await add_leads(world, cid, A, [{"number": "+33142685301"},
                                          {"number": "+33142685302"},
                                          {"number": "+12125550123"}])  # fmt: skip
    await _import(world, ["+33142685301"])  # the list arrives after the leads
    claimed = await claim_leads(world, await tenant_id(world, A), cid, 10, AFTERNOON)
    assert sorted(c.number for c in claimed) == ["+12125550123", "+33142685302"]
    rows = await lead_rows(world, ids)
    assert rows[ids[0]].status is LeadStatus.DNC
    assert rows[ids[0]].last_outcome == "dnc"


async def test_explain_names_the_national_list(world: Database) -> None:
    cid = await start(world)
    await add_leads(world, cid, A, [{"number": "+33142685301"}, {"number": "+33142685302"}])
    await _import(world, ["+33142685301", "+33612345678"])

    async def explain(scope: TenantScope) -> tuple[Any, Any, Any, int]:
        campaign = await campaign_of(scope)
        return (await explain_number(scope, campaign, "01 42 68 53 01", AFTERNOON),
                await explain_number(scope, campaign, "+33142685302", AFTERNOON),
                await explain_campaign(scope, campaign, AFTERNOON),
                await dialable_count(scope, campaign, AFTERNOON))  # fmt: skip

    listed, free, summary, dialable = await in_tenant(world, A, explain)
    assert listed["dnc"] == {"tenant": False, "campaign": False, "national": "Bloctel",
                             "blocked": True}  # fmt: skip
    assert listed["blocked_by"] == "dnc"
    assert free["dnc"]["national"] is None
    assert free["blocked_by"] is None
    assert summary["removed"]["dnc"] == 1
    assert (summary["dialable_now"], dialable) == (1, 1)


async def test_a_tenant_cannot_lift_a_national_block(world: Database) -> None:
    await start(world)
    await _import(world, ["+33612345678"])

    async def remove(scope: TenantScope) -> tuple[bool, bool, str | None, str | None]:
        campaign = await campaign_of(scope)
        await dnc.add_number(scope, "06 12 34 56 78")
        await dnc.add_number(scope, "+33142685309")
        await dnc.remove_number(scope, "+33612345678")
        await dnc.remove_number(scope, "+33142685309")
        return (await dnc.is_blocked(scope, campaign, "+33612345678"),
                await dnc.is_blocked(scope, campaign, "+33142685309"),
                await dnc.national_listing(scope, "06 12 34 56 78"),
                await dnc.national_listing(scope, "+33142685309"))  # fmt: skip

    assert await in_tenant(world, A, remove) == (True, False, "Bloctel (FR)", None)


async def test_delete_removes_the_list_and_its_numbers(world: Database) -> None:
    await _import(world, ["+33142685301", "+33142685302"])
    await _import(world, ["020 7946 0000"], name="TPS", country="GB")
    async with world.transaction() as session:
        deleted = await national_dnc.delete_national(session, "fr", "Bloctel")
    assert deleted == {"deleted": "Bloctel", "country": "FR", "numbers": 2}
    assert await _numbers(world) == []
    assert [x["name"] for x in await _lists(world)] == ["TPS"]
    with pytest.raises(NotFound):
        async with world.transaction() as session:
            await national_dnc.delete_national(session, "FR", "Bloctel")
