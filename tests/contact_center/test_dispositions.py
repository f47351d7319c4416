"""Call dispositions (SQLite and PostgreSQL): the list (system codes first, the tenant's own,
B never sees A's), the code and label rules, and what dispositioning a lead does — written on
the lead and its *latest* attempt, final → done, do-not-call → one tenant-wide DNC entry,
answering-machine → due again after the machine delay (or exhausted), callback → unchanged, a
tenant's non-final code → retry; an agent only its own last call; another tenant's lead and a
lead being called refused; and the campaign statistics count the disposition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from centrex.clock import ManualClock
from centrex.contact_center import dispositions as service
from centrex.contact_center.stats import campaign_stats
from centrex.data.db import Database
from centrex.data.models import DncEntry, Extension, Lead, LeadAttempt, LeadStatus
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from tests.contact_center.test_hopper import add_leads
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world, new_campaign

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
SYSTEM_CODES = ["sale", "not-interested", "wrong-number", "do-not-call", "callback",
                "answering-machine"]  # fmt: skip


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    return db


async def _ext(scope: TenantScope, number: str) -> int:
    found = await scope.first(Extension, Extension.number == number)
    assert found is not None
    return found.id


async def _called(db: Database, cid: int, number: str, *, attempts: int = 1,
                  by: str | None = "101", **lead: Any) -> int:  # fmt: skip
    """A lead of A's campaign with `attempts` calls, the last one taken by extension `by`."""
    (lead_id,) = await add_leads(db, cid, A, [{"number": number, "attempts": attempts,
                                               "status": LeadStatus.DONE, **lead}])  # fmt: skip

    async def history(scope: TenantScope) -> None:
        ext = await _ext(scope, by) if by else None
        for n in range(attempts):  # the last (latest) attempt is the agent's
            scope.add(LeadAttempt(lead_id=lead_id, campaign_id=cid, outcome="answered",
                                  started_at=NOW - timedelta(hours=attempts - n),
                                  extension_id=ext if n == attempts - 1 else None))  # fmt: skip

    await in_tenant(db, A, history)
    return lead_id


async def _set(db: Database, lead_id: int, code: str, domain: str = A, **kw: Any) -> Lead:
    async def work(scope: TenantScope) -> Lead:
        return await service.set_disposition(scope, lead_id, code, now=NOW, **kw)

    return await in_tenant(db, domain, work)


async def _lead(db: Database, lead_id: int) -> tuple[Lead, list[str | None]]:
    """The stored lead and its attempts' dispositions, oldest first."""
    async with db.session() as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        stmt = (select(LeadAttempt.disposition).where(LeadAttempt.lead_id == lead_id)
                .order_by(LeadAttempt.started_at))  # fmt: skip
        return lead, list((await session.scalars(stmt)).all())


async def test_list_add_remove(world: Database) -> None:
    async def add(scope: TenantScope, code: str, label: str = "Later", final: bool = True) -> Any:
        return await service.add_disposition(scope, code=code, label=label, final=final)

    made = await in_tenant(world, A, lambda s: add(s, "call-later", " Call later ", False))
    assert made == {"code": "call-later", "label": "Call later", "final": False, "system": False}
    await in_tenant(world, A, lambda s: add(s, "appointment", "Appointment"))
    listed = await in_tenant(world, A, service.list_dispositions)
    assert [d["code"] for d in listed] == [*SYSTEM_CODES, "appointment", "call-later"]
    assert listed[0] == {"code": "sale", "label": "Sale", "final": True, "system": True}
    assert [d["final"] for d in listed[4:6]] == [False, False]  # callback, answering-machine
    assert [d["code"] for d in await in_tenant(world, B, service.list_dispositions)] == SYSTEM_CODES
    # B has its own namespace: the same code is B's to add
    await in_tenant(world, B, lambda s: add(s, "call-later"))
    with pytest.raises(Conflict) as twice:
        await in_tenant(world, A, lambda s: add(s, "call-later"))
    assert twice.value.error_id == "disposition-exists"
    with pytest.raises(Conflict) as system:
        await in_tenant(world, A, lambda s: add(s, "sale"))
    assert system.value.error_id == "disposition-system"
    for bad in ("Sale2", "-x", "a" * 33, "", "é", "a b"):
        with pytest.raises(ValidationFailed) as refused:
            await in_tenant(world, A, lambda s, bad=bad: add(s, bad))
        assert refused.value.error_id == "disposition-bad-code", bad
    assert await in_tenant(world, A, lambda s: add(s, "a" * 32))  # the longest code
    for label in ("", "   ", "x" * 65, "tab\there"):
        with pytest.raises(ValidationFailed) as refused:
            await in_tenant(world, A, lambda s, label=label: add(s, "ok", label))
        assert refused.value.error_id == "disposition-bad-label", label
    with pytest.raises(Conflict):
        await in_tenant(world, A, lambda s: service.remove_disposition(s, "do-not-call"))
    with pytest.raises(NotFound):
        await in_tenant(world, A, lambda s: service.remove_disposition(s, "nope"))
    await in_tenant(world, B, lambda s: service.remove_disposition(s, "call-later"))  # B's own
    with pytest.raises(NotFound):  # A's "appointment" is not B's to remove
        await in_tenant(world, B, lambda s: service.remove_disposition(s, "appointment"))
    await in_tenant(world, A, lambda s: service.remove_disposition(s, "call-later"))
    left = [d["code"] for d in await in_tenant(world, A, service.list_dispositions)]
    assert left == [*SYSTEM_CODES, "a" * 32, "appointment"]


async def test_final_disposition_settles_the_lead_and_marks_the_latest_attempt(
    world: Database,
) -> None:
    cid = await new_campaign(world)
    lead_id = await _called(world, cid, "+33142685301", attempts=2, status=LeadStatus.RETRY,
                            next_attempt_at=NOW + timedelta(hours=1))  # fmt: skip
    lead = await _set(world, lead_id, "sale", note="  wants the blue one ")
    assert (lead.status, lead.disposition, lead.next_attempt_at) == (LeadStatus.DONE, "sale", None)
    stored, attempts = await _lead(world, lead_id)
    assert (stored.status, stored.disposition) == (LeadStatus.DONE, "sale")
    assert stored.custom == {"disposition_note": "wants the blue one"}
    assert attempts == [None, "sale"]  # only the latest call is dispositioned
    # dispositioned again: the code is replaced, nothing else is counted twice
    await _set(world, lead_id, "not-interested")
    assert (await _lead(world, lead_id))[1] == [None, "not-interested"]


async def test_unknown_code_names_the_known_ones(world: Database) -> None:
    cid = await new_campaign(world)
    lead_id = await _called(world, cid, "+33142685301")
    await in_tenant(world, A, lambda s: service.add_disposition(s, code="promo", label="Promo"))
    with pytest.raises(ValidationFailed) as unknown:
        await _set(world, lead_id, "sold")
    assert unknown.value.error_id == "disposition-unknown"
    assert "'sold'" in unknown.value.message
    assert "sale, not-interested" in unknown.value.message
    assert "promo" in unknown.value.message
    with pytest.raises(ValidationFailed) as note:
        await _set(world, lead_id, "sale", note="x" * 201)
    assert note.value.error_id == "disposition-bad-note"
    assert (await _lead(world, lead_id))[0].disposition is None


async def test_do_not_call_adds_one_tenant_wide_dnc_entry(world: Database) -> None:
    cid = await new_campaign(world)
    other = await new_campaign(world, "Autumn")
    first = await _called(world, cid, "+33142685301")
    second = await _called(world, other, "+33142685301")  # the same person in another campaign
    lead = await _set(world, first, "do-not-call")
    assert lead.status is LeadStatus.DONE

    async def entries(scope: TenantScope) -> list[tuple[str, int | None]]:
        return [(e.number, e.campaign_id) for e in await scope.list(DncEntry)]

    assert await in_tenant(world, A, entries) == [("+33142685301", None)]
    await _set(world, second, "do-not-call")  # listed already: not added twice
    assert await in_tenant(world, A, entries) == [("+33142685301", None)]
    assert await in_tenant(world, B, entries) == []


async def test_answering_machine_is_due_after_the_machine_delay(world: Database) -> None:
    default = await new_campaign(world)
    quick = await new_campaign(world, "Quick", retry_delays={"machine": 900}, max_attempts=5)
    lead = await _set(world, await _called(world, default, "+33142685301"), "answering-machine")
    assert (lead.status, lead.next_attempt_at) == (LeadStatus.RETRY, NOW + timedelta(hours=2))
    lead = await _set(world, await _called(world, quick, "+33142685302", attempts=4),
                      "answering-machine")  # fmt: skip
    assert (lead.status, lead.next_attempt_at) == (LeadStatus.RETRY, NOW + timedelta(seconds=900))
    stored, attempts = await _lead(world, lead.id)
    assert (stored.status, stored.next_attempt_at, attempts[-1]) == (
        LeadStatus.RETRY, NOW + timedelta(seconds=900), "answering-machine")  # fmt: skip
    # attempts exhausted (3 of 3): never dialled again
    lead = await _set(world, await _called(world, default, "+33142685303", attempts=3),
                      "answering-machine")  # fmt: skip
    assert (lead.status, lead.next_attempt_at) == (LeadStatus.EXHAUSTED, None)


async def test_callback_keeps_the_lead_and_a_tenant_non_final_code_reopens_it(
    world: Database,
) -> None:
    cid = await new_campaign(world)
    await in_tenant(world, A, lambda s: service.add_disposition(s, code="call-later",
                                                                label="Later", final=False))  # fmt: skip
    await in_tenant(world, A, lambda s: service.add_disposition(s, code="appointment",
                                                                label="Appointment"))  # fmt: skip
    kept = await _set(world, await _called(world, cid, "+33142685301"), "callback")
    assert (kept.status, kept.next_attempt_at, kept.disposition) == (
        LeadStatus.DONE, None, "callback")  # fmt: skip
    later = await _set(world, await _called(world, cid, "+33142685302"), "call-later")
    assert (later.status, later.next_attempt_at) == (LeadStatus.RETRY, NOW + timedelta(hours=1))
    settled = await _set(world, await _called(world, cid, "+33142685303",
                                              status=LeadStatus.RETRY), "appointment")  # fmt: skip
    assert settled.status is LeadStatus.DONE


async def test_an_agent_dispositions_only_its_own_last_call(world: Database) -> None:
    cid = await new_campaign(world)
    mine = await _called(world, cid, "+33142685301", by="101")
    theirs = await _called(world, cid, "+33142685302", by="102")
    never = await _called(world, cid, "+33142685303", attempts=0)
    ext_101 = await in_tenant(world, A, lambda s: _ext(s, "101"))
    for lead_id in (theirs, never):
        with pytest.raises(NotFound) as hidden:
            await _set(world, lead_id, "sale", by_extension=ext_101)
        assert hidden.value.error_id == "lead-not-found"
        assert (await _lead(world, lead_id))[0].disposition is None
    assert (await _set(world, mine, "sale", by_extension={ext_101, 999})).disposition == "sale"
    # an admin (no extension) may disposition a lead that was never called
    assert (await _set(world, never, "wrong-number")).status is LeadStatus.DONE


async def test_another_tenants_lead_and_a_lead_being_called_are_refused(world: Database) -> None:
    cid = await new_campaign(world)
    lead_id = await _called(world, cid, "+33142685301")
    with pytest.raises(NotFound):
        await _set(world, lead_id, "do-not-call", domain=B)
    with pytest.raises(NotFound):
        await _set(world, 999_999, "sale")
    busy = await _called(world, cid, "+33142685302", status=LeadStatus.IN_CALL)
    with pytest.raises(Conflict) as in_call:
        await _set(world, busy, "sale")
    assert in_call.value.error_id == "disposition-lead-in-call"
    for untouched in (lead_id, busy):
        lead, attempts = await _lead(world, untouched)
        assert (lead.disposition, attempts) == (None, [None])

    async def entries(scope: TenantScope) -> int:
        return await scope.count(DncEntry)

    assert await in_tenant(world, A, entries) == 0
    assert await in_tenant(world, B, entries) == 0


async def test_campaign_stats_count_the_dispositions(world: Database) -> None:
    cid = await new_campaign(world)
    for number, code in (("+33142685301", "sale"), ("+33142685302", "sale"),
                         ("+33142685303", "not-interested")):  # fmt: skip
        await _set(world, await _called(world, cid, number), code)

    async def stats(scope: TenantScope) -> dict[str, Any]:
        return await campaign_stats(scope, await campaign_of(scope), NOW)

    counted = await in_tenant(world, A, stats)
    assert counted["dispositions"] == {"not-interested": 1, "sale": 2}
