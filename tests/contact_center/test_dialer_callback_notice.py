"""The promise on a callback's `campaign.call` events (SQLite and PostgreSQL, issue 16: the
agent desktop's notice "callback promised by … for …: note"): agent 101 promised Spring's lead
a personal callback with a note and now works in campaign Summer; Summer's runner places it
and publishes — before the call, and then on each of its events — Spring's name and id (not
Summer's: the lead is Spring's), the callback's id, the time as promised in the lead's zone, who
it is reserved for (101), who promised it ("Alice Agent (101)", as the API recorded it) and the
note. A campaign-wide callback is reserved for nobody in particular ("") but still names its
promiser ("CLI"), and a new lead's events carry no promise at all."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from centrex.clock import ManualClock
from centrex.contact_center import callbacks
from centrex.contact_center.dialer import CampaignRunner, Dialer, _callback_lead
from centrex.contact_center.dialer_callbacks import CallbackPick, pick_callbacks
from centrex.contact_center.dialer_state import CampaignConfig, LiveLead
from centrex.contact_center.hopper import ClaimedLead
from centrex.contact_center.pacing import make_pacer
from centrex.data.db import Database
from centrex.data.models import CallbackStatus, CampaignStatus
from centrex.data.tenancy import TenantScope
from centrex.events import Event, LeadOffered
from tests.contact_center.test_dialer_callbacks import (  # noqa: F401 (world: a fixture)
    LATER,
    LYON,
    NOW,
    PARIS,
    _ext,
    _status,
    _tenant_id,
    world,
)
from tests.contact_center.world import A, campaign_of, in_tenant

NOTE = "ask for Mrs Dupont, after lunch"
ALICE = "Alice Agent (101)"


class _NoLine:
    """The call layer as far as the dialer gets here: the tenant's licence is used up, so the
    callback's call is not placed (FAILED at once) — its notice was published before."""

    def acquire_tenant(self, tenant_id: int, max_calls: int) -> str:
        return "licence"


def _actions(db: Database) -> Any:
    deps = SimpleNamespace(database=db, limits=_NoLine())
    return SimpleNamespace(core=SimpleNamespace(deps=deps), calls_of=lambda tenant_id: [],
                           registered=lambda tenant_id, number: True)  # fmt: skip


async def _promise(scope: TenantScope, number: str, ext: str | None, by: str) -> int:
    made = await callbacks.schedule_callback(scope, await campaign_of(scope), lead=number,
                                             at="2026-12-03 15:30", now=NOW, extension=ext,
                                             note=NOTE, promised_by=by)  # fmt: skip
    return int(made["id"])


def _runner(db: Database, clock: ManualClock, campaign: int, name: str, tenant: int,
            seen: list[Event]) -> CampaignRunner:  # fmt: skip
    actions = _actions(db)
    dialer = Dialer(db, actions=lambda: actions, prompts=None,  # type: ignore[arg-type]
                    clock=clock, publish=seen.append, wrap_seconds=0)  # fmt: skip
    config = CampaignConfig(campaign, tenant, name, CampaignStatus.RUNNING, "progressive",
                            1.0, 0.03, 3, {})  # fmt: skip
    return CampaignRunner(dialer, config, make_pacer("progressive"))


def _promise_of(event: LeadOffered) -> tuple[Any, ...]:
    return (event.state, event.campaign, event.campaign_id, event.extension, event.callback_id,
            event.callback_at, event.callback_by, event.callback_note,
            event.callback_promised_by)  # fmt: skip


def _last(seen: list[Event]) -> tuple[Any, ...]:
    event = seen[-1]
    assert isinstance(event, LeadOffered)
    return _promise_of(event)


async def test_a_callback_in_another_campaign_carries_its_promise(
    world: tuple[Database, int, int],  # noqa: F811
    clock: ManualClock,
) -> None:
    db, spring, summer = world
    tenant = await in_tenant(db, A, _tenant_id)
    e101 = await _ext(db, "101")
    personal = await in_tenant(db, A, lambda s: _promise(s, PARIS, "101", ALICE))
    picks = await pick_callbacks(db, tenant, summer, {e101: "101"}, 5, LATER)
    assert [p.callback.id for p in picks] == [personal]
    pick = picks[0]
    seen: list[Event] = []
    runner = _runner(db, clock, summer, "Summer", tenant, seen)
    await runner.dial(_callback_lead(pick), pick)  # Summer's runner places Spring's callback
    promised = ("Spring", spring, "101", personal, "2026-12-03 15:30 Europe/Paris", "101", NOTE,
                ALICE)  # fmt: skip
    assert len(seen) == 1  # the notice only: no line for the call
    assert _last(seen) == ("callback", *promised)
    event = seen[0]
    assert isinstance(event, LeadOffered)
    assert (event.lead_id, event.number) == (pick.callback.lead_id, PARIS)
    assert event.to_dict()["callback_note"] == NOTE  # what the events WebSocket sends
    assert event.to_dict()["callback_promised_by"] == ALICE
    assert pick.promised_by == ALICE
    # the call failed (no line): the callback is due again, nothing lost
    assert (await _status(db, personal))[0] is CallbackStatus.SCHEDULED
    # when it connects, the agent's events say the same (the desktop pops Spring's lead)
    live = LiveLead(_callback_lead(pick), 0.0, LATER, callback=pick)
    runner.publish(live, "101", "connected")
    assert _last(seen) == ("connected", *promised)


async def test_campaign_wide_and_new_leads(
    world: tuple[Database, int, int],  # noqa: F811
    clock: ManualClock,
) -> None:
    db, spring, summer = world
    tenant = await in_tenant(db, A, _tenant_id)
    wide = await in_tenant(db, A, lambda s: _promise(s, LYON, None, "CLI"))
    picks = await pick_callbacks(db, tenant, spring, {await _ext(db, "101"): "101"}, 5, LATER)
    pick: CallbackPick = picks[0]
    assert (pick.callback.id, pick.personal, pick.note) == (wide, False, NOTE)
    seen: list[Event] = []
    runner = _runner(db, clock, spring, "Spring", tenant, seen)
    runner.publish(LiveLead(_callback_lead(pick), 0.0, LATER, callback=pick), "101", "offered")
    at = "2026-12-03 15:30 Europe/Paris"
    assert _last(seen) == ("offered", "Spring", spring, "101", wide, at, "", NOTE, "CLI")
    fresh = ClaimedLead(99, tenant, summer, "+33142685399", "Nina New", "75001", 0)
    _runner(db, clock, summer, "Summer", tenant, seen).publish(LiveLead(fresh, 0.0, LATER),
                                                               "101", "connected")  # fmt: skip
    assert _last(seen) == ("connected", "Summer", summer, "101", 0, "", "", "", "")
