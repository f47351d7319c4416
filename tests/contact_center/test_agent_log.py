"""The agent state log (SQLite and PostgreSQL): `record_agent_state` closes the open interval
and opens the next, a repeat changes nothing, logging out only closes, a change dated before
the open interval never makes it negative; the readers clip to the period and end an open
interval at now; the call layer's `set_agent_state` (what the phone's `*50`-`*53` codes and
the API's `/agents/{extension}/state` call) logs every change with the pause's label; and one
tenant never reads or closes another's rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from centrex.calls.features import agent_state
from centrex.clock import ManualClock
from centrex.contact_center.agent_log import record_agent_state, state_durations, state_spans
from centrex.data.db import Database
from centrex.data.models import AgentStateLog, Extension
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from tests.contact_center.world import A, B, in_tenant, make_world, new_campaign

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def _ext(scope: TenantScope, number: str) -> int:
    found = await scope.first(Extension, Extension.number == number)
    assert found is not None
    return found.id


async def _rows(scope: TenantScope) -> list[tuple[str, str, datetime, datetime | None]]:
    rows = await scope.list(AgentStateLog, order_by=AgentStateLog.started_at)
    return [(r.state, r.reason, r.started_at, r.ended_at) for r in rows]


async def test_record_closes_and_opens(db: Database, clock: ManualClock) -> None:
    await make_world(db, clock)
    campaign = await new_campaign(db)

    async def work(scope: TenantScope) -> None:
        ext = await _ext(scope, "101")
        await record_agent_state(scope, ext, "ready", "", at(0))
        await record_agent_state(scope, ext, "ready", "", at(5))  # a repeat: nothing
        await record_agent_state(scope, ext, "paused", "lunch", at(10))
        await record_agent_state(scope, ext, "in-call", "ignored", at(40), campaign_id=campaign)
        await record_agent_state(scope, ext, "wrap-up", "", at(45), campaign_id=campaign)
        await record_agent_state(scope, ext, "logged-out", "", at(46))
        await record_agent_state(scope, ext, "ready", "", at(50))
        await record_agent_state(scope, ext, "paused", "break", at(49))  # an earlier clock
        assert await _rows(scope) == [
            ("ready", "", at(0), at(10)), ("paused", "lunch", at(10), at(40)),
            ("in-call", "", at(40), at(45)), ("wrap-up", "", at(45), at(46)),
            ("ready", "", at(50), at(50)), ("paused", "break", at(50), None),
        ]  # fmt: skip
        with pytest.raises(ValidationFailed) as refused:
            await record_agent_state(scope, ext, "dancing", "", at(60))
        assert refused.value.error_id == "agent-bad-state"
        # the period clips; the open pause ends at now
        spans = await state_spans(scope, [ext], at(5), at(120), now=at(55))
        assert [(s.state, s.start, s.end) for s in spans[ext]] == [
            ("ready", at(5), at(10)), ("paused", at(10), at(40)), ("in-call", at(40), at(45)),
            ("wrap-up", at(45), at(46)), ("paused", at(50), at(55)),
        ]  # fmt: skip
        durations = await state_durations(scope, ext, at(0), at(60), now=at(55))
        assert durations == {"in-call": 300, "paused:break": 300, "paused:lunch": 1800,
                             "ready": 600, "wrap-up": 60}  # fmt: skip
        assert await state_spans(scope, [ext], at(200), at(300), now=at(55)) == {}

    await in_tenant(db, A, work)

    async def other(scope: TenantScope) -> None:
        assert await _rows(scope) == []
        ext_b = await _ext(scope, "201")
        await record_agent_state(scope, ext_b, "ready", "", at(0))
        # B asking for A's extension id reads nothing of A's
        a_ext = await in_tenant(db, A, lambda s: _ext(s, "101"))
        assert await state_spans(scope, [a_ext], at(0), at(100), now=at(100)) == {}
        assert await state_durations(scope, a_ext, at(0), at(100), now=at(100)) == {}

    await in_tenant(db, B, other)

    async def untouched(scope: TenantScope) -> None:
        assert (await _rows(scope))[-1] == ("paused", "break", at(50), None)

    await in_tenant(db, A, untouched)


async def test_the_codes_state_changes_are_logged(db: Database, clock: ManualClock) -> None:
    """`agent_state.set_agent_state` is what the `*50`-`*53` handler (calls/features/queue.py)
    and the API call: ready, pause by code 2 (logged with its label), the same pause again,
    logged out."""
    await make_world(db, clock)

    async def work(scope: TenantScope) -> None:
        await agent_state.set_agent_state(scope, "101", "ready", at(0))
        await agent_state.set_agent_state(scope, "101", "paused", at(3), "2")
        await agent_state.set_agent_state(scope, "101", "paused", at(4), "lunch")
        await agent_state.set_agent_state(scope, "101", "logged-out", at(9))
        assert await _rows(scope) == [("ready", "", at(0), at(3)),
                                      ("paused", "lunch", at(3), at(9))]  # fmt: skip
        ext = await _ext(scope, "101")
        assert await state_durations(scope, ext, at(0), at(60), now=at(60)) == {
            "paused:lunch": 360, "ready": 180}  # fmt: skip

    await in_tenant(db, A, work)
