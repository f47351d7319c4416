"""Lead import (contact_center/lead_import.py + lead_files.py) on SQLite and PostgreSQL:
normalisation with the tenant's region, rejected lines with their line number and reason,
duplicates in the file and against the campaign, DNC filtering (tenant and campaign lists),
CSV (UTF-8, Windows-1252, `;`) and XLSX, broken files refused with nothing written, and
rollback removing exactly one batch with its history."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from centrex.clock import ManualClock
from centrex.contact_center import dnc, leads
from centrex.contact_center.lead_import import import_leads
from centrex.data.db import Database
from centrex.data.models import Lead, LeadAttempt, LeadBatch
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from tests.contact_center.world import (
    A,
    B,
    campaign_of,
    csv_bytes,
    in_tenant,
    make_world,
    new_campaign,
    xlsx_bytes,
)

FILE = [
    "Nom;Téléphone;CP;Société",
    "Dupont;01 42 68 53 01;75008;ACME",  # line 2: national French, the tenant is FR
    "Bad;12;1;",  # line 3: too short
    "Twice;+33142685301;75008;",  # line 4: same number as line 2
    "Martin;0033 4 91 00 00 01;13001;Café des Arts",  # line 5
    "Blocked;+33 6 12 34 56 78;75001;",  # line 6: on the tenant's DNC list
    ";;;",  # line 7: blank, skipped
    "Swiss;+41 44 555 00 00;8001;",  # line 8: a foreign number in E.164 is fine
    "Nope;hello;;",  # line 9: not a number
]
MAP = {"number": "Téléphone", "name": "Nom", "postal_code": "CP"}


async def _import(db: Database, data: bytes, mapping: dict[str, str] | None = None,
                  name: str = "Spring", domain: str = A, filename: str = "f.csv") -> Any:  # fmt: skip
    async def work(scope: TenantScope) -> Any:
        return await import_leads(scope, await campaign_of(scope, name), data,
                                  now=ManualClock().utcnow(), filename=filename,
                                  mapping=mapping)  # fmt: skip

    return await in_tenant(db, domain, work)


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where)))
                   .scalar_one())  # fmt: skip


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    await new_campaign(db)
    await in_tenant(db, A, lambda s: dnc.add_number(s, "+33612345678"))
    return db


async def test_import_normalises_rejects_dedups_and_filters(world: Database) -> None:
    result = await _import(world, csv_bytes(FILE), MAP)
    assert result.as_dict() == {
        "batch": result.batch,
        "imported": 3,
        "rejected": [
            {"line": 3, "error": "too short: '12'"},
            {"line": 9, "error": "not a phone number: 'hello'"},
        ],
        "dnc_filtered": 1,
        "duplicates": 1,
    }
    assert result.encoding == "utf-8-sig"
    found = await in_tenant(world, A, leads.search_leads)
    by_number = {x["number"]: x for x in found["items"]}
    assert set(by_number) == {"+33142685301", "+33491000001", "+41445550000"}
    assert by_number["+33142685301"]["name"] == "Dupont"
    assert by_number["+33142685301"]["custom"] == {"Société": "ACME"}
    assert by_number["+33491000001"]["postal_code"] == "13001"
    assert {x["status"] for x in found["items"]} == {"new"}


async def test_duplicates_against_the_campaign_and_a_campaign_dnc(world: Database) -> None:
    await _import(world, csv_bytes(FILE), MAP)
    await in_tenant(world, A, lambda s: _campaign_dnc(s, "+41 44 555 00 01"))
    again = await _import(world, csv_bytes(["number", "+33142685301", "+41445550001",
                                            "+33142685302"]))  # fmt: skip
    assert (again.imported, again.duplicates, again.dnc_filtered) == (1, 1, 1)
    # the campaign list of Spring does not filter another campaign
    await new_campaign(world, "Autumn")
    other = await _import(world, csv_bytes(["number", "+41445550001"]), name="Autumn")
    assert (other.imported, other.dnc_filtered) == (1, 0)


async def _campaign_dnc(scope: TenantScope, number: str) -> Any:
    return await dnc.add_number(scope, number, await campaign_of(scope))


async def test_cp1252_csv_and_default_columns(world: Database) -> None:
    data = csv_bytes(["Name,Phone,Zip,Ville", "Hélène,01 42 68 53 09,75001,Paris"], "cp1252")
    result = await _import(world, data)
    assert (result.imported, result.encoding) == (1, "cp1252")
    found = await in_tenant(world, A, lambda s: leads.search_leads(s, query="hélène"))
    assert found["items"][0]["custom"] == {"Ville": "Paris"}


async def test_xlsx_with_numbers_stored_as_numbers(world: Database) -> None:
    data = xlsx_bytes([["Tel", "Nom", "CP"], [33142685311, "Numeric", 75008],
                       ["01 42 68 53 12", "Text", "75009"], [None, None, None],
                       ["x", "Bad", ""]])  # fmt: skip
    result = await _import(world, data, {"number": "Tel", "name": "Nom", "postal_code": "CP"},
                           filename="leads.xlsx")  # fmt: skip
    # Excel kept 33142685311 as a number: read with its country code although "+" is lost
    assert (result.imported, result.rejected) == (
        2,
        [{"line": 5, "error": "not a phone number: 'x'"}],
    )
    assert result.encoding is None
    found = await in_tenant(world, A, leads.search_leads)
    assert {(x["number"], x["postal_code"]) for x in found["items"]} == {
        ("+33142685311", "75008"), ("+33142685312", "75009"),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "mapping", "error_id", "message"),
    [
        (b"", None, "lead-file-empty", "empty"),
        (b"number\n\n", None, "lead-file-empty", "no lead lines"),
        (b"Nom;Tel\nA;0142685300\n", {"number": "Phone"}, "lead-file-columns", "'Phone'"),
        (b"Nom;Ville\nA;Paris\n", None, "lead-file-columns", "no phone number column"),
        (b"number\n\x81\x8d\x8f\x90\x9d\n", None, "lead-file-encoding", "neither UTF-8"),
        (b"PK\x03\x04broken", None, "lead-file-format", "XLSX"),
    ],
)
async def test_broken_files_write_nothing(
    world: Database, data: bytes, mapping: dict[str, str] | None, error_id: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        await _import(world, data, mapping)
    assert caught.value.error_id == error_id
    assert await _count(world, LeadBatch) == 0
    assert await _count(world, Lead) == 0


async def test_rollback_removes_exactly_one_batch_and_its_history(world: Database) -> None:
    first = await _import(world, csv_bytes(["number", "+33142685321", "+33142685322"]))
    second = await _import(world, csv_bytes(["number", "+33142685322", "+33142685323"]))
    assert (second.imported, second.duplicates) == (1, 1)

    async def history(scope: TenantScope) -> None:
        for lead in await scope.list(Lead):
            scope.add(LeadAttempt(lead_id=lead.id, campaign_id=lead.campaign_id,
                                  started_at=ManualClock().utcnow(), outcome="no-answer"))  # fmt: skip

    await in_tenant(world, A, history)
    gone = await in_tenant(world, A, lambda s: _rollback(s, second.batch))
    assert gone == {"batch": second.batch, "leads": 1, "attempts": 1}
    async with world.session() as session:
        numbers = sorted((await session.scalars(select(Lead.number))).all())
        batches = (await session.scalars(select(LeadBatch.id))).all()
    assert numbers == ["+33142685321", "+33142685322"]  # the first batch keeps its lead
    assert list(batches) == [first.batch]
    assert await _count(world, LeadAttempt) == 2


async def _rollback(scope: TenantScope, batch_id: int) -> Any:
    return await leads.rollback_batch(scope, await leads.get_batch(scope, batch_id))


async def test_another_tenant_cannot_roll_back_or_see_a_batch(world: Database) -> None:
    first = await _import(world, csv_bytes(["number", "+33142685331"]))
    await new_campaign(world, "Spring", domain=B)
    with pytest.raises(Exception, match="not found") as caught:
        await in_tenant(world, B, lambda s: _rollback(s, first.batch))
    assert getattr(caught.value, "error_id", "") == "batch-not-found"
    assert (await in_tenant(world, B, leads.search_leads))["total"] == 0
    assert await _count(world, Lead) == 1


async def test_search_filters(world: Database) -> None:
    await _import(world, csv_bytes(FILE), MAP)

    async def search(**filters: Any) -> list[str]:
        found = await in_tenant(world, A, lambda s: leads.search_leads(s, **filters))
        return sorted(x["name"] for x in found["items"])

    assert await search(postal_code="75") == ["Dupont"]
    assert await search(query="acme") == ["Dupont"]
    assert await search(query="café") == ["Martin"]
    assert await search(query="91 00") == ["Martin"]
    assert await search(status="new", query="swiss") == ["Swiss"]
    assert await search(disposition="sale") == []
    with pytest.raises(ValidationFailed, match="lead status"):
        await search(status="bogus")


async def test_hundred_thousand_lines_with_ten_bad(world: Database) -> None:
    lines = ["number,name"]
    for i in range(100_000):
        lines.append(f"bad{i},x" if i % 10_000 == 0 else f"+3314{i:07d},Lead {i}")
    result = await _import(world, csv_bytes(lines))
    assert (result.imported, len(result.rejected)) == (99_990, 10)
    assert [r["line"] for r in result.rejected][:2] == [2, 10_002]
    assert await _count(world, Lead) == 99_990
