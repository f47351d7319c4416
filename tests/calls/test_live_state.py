"""The live-state interface (`centrex/calls/live_state.py`): a contract every implementation
must meet (in-process now; the shared one of the scale-out issue runs the same tests), tenant
isolation included."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from centrex.calls.live_state import (
    AgentState,
    AgentStatus,
    DialogPhase,
    ExtensionDialog,
    InProcessLiveState,
    LiveChange,
    LiveState,
    Presence,
)

IMPLEMENTATIONS: list[Callable[[], LiveState]] = [InProcessLiveState]
A, B = 1, 2


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda f: f.__name__)
def live(request: pytest.FixtureRequest) -> LiveState:
    factory: Callable[[], LiveState] = request.param
    return factory()


def dialog(
    call_id: str, phase: DialogPhase, since: float = 0.0, *, initiator: bool = False
) -> ExtensionDialog:
    return ExtensionDialog(call_id, phase, initiator, "101", since)


async def test_presence_follows_the_dialogs(live: LiveState) -> None:
    assert await live.presence(A, "102", registered=False) is Presence.OFFLINE
    assert await live.presence(A, "102", registered=True) is Presence.IDLE
    await live.set_dialog(A, "102", dialog("c1", DialogPhase.EARLY))
    assert await live.presence(A, "102", registered=True) is Presence.RINGING
    await live.set_dialog(A, "102", dialog("c2", DialogPhase.CONFIRMED, 1.0))
    assert await live.presence(A, "102", registered=True) is Presence.BUSY
    await live.set_dialog(A, "102", dialog("c2", DialogPhase.TERMINATED))
    assert await live.presence(A, "102", registered=True) is Presence.RINGING
    await live.set_dialog(A, "102", dialog("c1", DialogPhase.TERMINATED))
    assert await live.presence(A, "102", registered=True) is Presence.IDLE
    assert await live.dialogs(A, "102") == []


async def test_a_busy_extension_is_busy_even_when_unregistered(live: LiveState) -> None:
    """A phone may drop its registration mid-call: the call still makes the lamp red."""
    await live.set_dialog(A, "102", dialog("c1", DialogPhase.CONFIRMED))
    assert await live.presence(A, "102", registered=False) is Presence.BUSY


async def test_dialogs_are_oldest_first_and_updated_in_place(live: LiveState) -> None:
    await live.set_dialog(A, "102", dialog("late", DialogPhase.EARLY, 5.0))
    await live.set_dialog(A, "102", dialog("early", DialogPhase.TRYING, 1.0))
    await live.set_dialog(A, "102", dialog("early", DialogPhase.CONFIRMED, 1.0))
    found = await live.dialogs(A, "102")
    assert [(d.call_id, d.phase) for d in found] == [
        ("early", DialogPhase.CONFIRMED),
        ("late", DialogPhase.EARLY),
    ]


async def test_ringing_lists_only_incoming_early_dialogs_of_the_group(live: LiveState) -> None:
    await live.set_dialog(A, "101", dialog("out", DialogPhase.EARLY, 0.5, initiator=True))
    await live.set_dialog(A, "102", dialog("in2", DialogPhase.EARLY, 2.0))
    await live.set_dialog(A, "103", dialog("in3", DialogPhase.EARLY, 1.0))
    await live.set_dialog(A, "104", dialog("talk", DialogPhase.CONFIRMED, 0.1))
    group = ["101", "102", "103", "104"]
    assert await live.ringing(A, group) == [("103", "in3"), ("102", "in2")]
    assert await live.ringing(A, ["102"]) == [("102", "in2")]


async def test_park_slots_are_claimed_atomically_and_released_once(live: LiveState) -> None:
    slots = ["701", "702"]
    first, second, third = await asyncio.gather(
        live.claim_park_slot(A, slots, "c1"),
        live.claim_park_slot(A, slots, "c2"),
        live.claim_park_slot(A, slots, "c3"),
    )
    assert sorted([first, second]) == ["701", "702"]  # type: ignore[type-var]
    assert third is None
    assert await live.parked(A, "701") in {"c1", "c2"}
    holder = await live.parked(A, "701")
    assert holder is not None
    assert not await live.release_park_slot(A, "701", "someone-else")
    assert await live.release_park_slot(A, "701", holder)
    assert not await live.release_park_slot(A, "701", holder)  # a timeout and a retrieve race
    assert await live.parked(A, "701") is None
    assert await live.claim_park_slot(A, slots, "c3") == "701"


async def test_agents_and_logout(live: LiveState) -> None:
    await live.set_agent(A, "102", AgentStatus(AgentState.READY, since=1.0))
    await live.set_agent(A, "103", AgentStatus(AgentState.PAUSED, "lunch", 2.0))
    agents = await live.agents(A)
    assert agents["102"].state is AgentState.READY
    assert agents["103"] == AgentStatus(AgentState.PAUSED, "lunch", 2.0)
    await live.set_agent(A, "102", AgentStatus(AgentState.LOGGED_OUT))
    assert set(await live.agents(A)) == {"103"}


async def test_queue_positions(live: LiveState) -> None:
    assert await live.enqueue(A, "500", "c1") == 1
    assert await live.enqueue(A, "500", "c2") == 2
    assert await live.enqueue(A, "500", "c1") == 1  # already waiting: same place
    assert await live.queue(A, "500") == ["c1", "c2"]
    assert await live.dequeue(A, "500", "c1")
    assert not await live.dequeue(A, "500", "c1")
    assert await live.queue(A, "500") == ["c2"]
    assert await live.enqueue(A, "500", "c3") == 2


async def test_no_tenant_sees_another_tenants_state(live: LiveState) -> None:
    """Isolation: the same extension, slot, agent and queue numbers in two tenants."""
    await live.set_dialog(A, "102", dialog("a-call", DialogPhase.CONFIRMED))
    await live.set_dialog(A, "103", dialog("a-ring", DialogPhase.EARLY))
    assert await live.claim_park_slot(A, ["701"], "a-call") == "701"
    await live.set_agent(A, "102", AgentStatus(AgentState.READY))
    await live.enqueue(A, "500", "a-call")

    assert await live.dialogs(B, "102") == []
    assert await live.presence(B, "102", registered=True) is Presence.IDLE
    assert await live.ringing(B, ["102", "103"]) == []
    assert await live.parked(B, "701") is None
    assert not await live.release_park_slot(B, "701", "a-call")
    assert await live.parked(A, "701") == "a-call"
    assert await live.claim_park_slot(B, ["701"], "b-call") == "701"
    assert await live.agents(B) == {}
    assert await live.queue(B, "500") == []
    assert not await live.dequeue(B, "500", "a-call")
    assert await live.queue(A, "500") == ["a-call"]


async def test_watchers_see_each_change_and_can_stop(live: LiveState) -> None:
    seen: list[LiveChange] = []
    stop = live.watch(seen.append)
    await live.set_dialog(A, "102", dialog("c1", DialogPhase.EARLY))
    await live.set_dialog(A, "102", dialog("c1", DialogPhase.EARLY))  # no change: no event
    await live.claim_park_slot(B, ["701"], "c9")
    await live.set_agent(A, "103", AgentStatus(AgentState.READY))
    await live.enqueue(A, "500", "c1")
    assert seen == [
        LiveChange(A, "dialog", "102"),
        LiveChange(B, "park", "701"),
        LiveChange(A, "agent", "103"),
        LiveChange(A, "queue", "500"),
    ]
    stop()
    stop()  # idempotent
    await live.set_dialog(A, "102", dialog("c1", DialogPhase.TERMINATED))
    assert len(seen) == 4


async def test_a_failing_watcher_does_not_break_the_change(live: LiveState) -> None:
    def broken(_change: LiveChange) -> None:
        raise RuntimeError("watcher bug")

    seen: list[LiveChange] = []
    live.watch(broken)
    live.watch(seen.append)
    await live.set_dialog(A, "102", dialog("c1", DialogPhase.EARLY))
    assert await live.presence(A, "102", registered=True) is Presence.RINGING
    assert seen == [LiveChange(A, "dialog", "102")]


async def test_placing_a_call_is_busy_not_ringing(live: LiveState) -> None:
    """A lamp blinks for a call *to* the extension; one it is placing shows it busy."""
    await live.set_dialog(A, "101", dialog("out", DialogPhase.EARLY, initiator=True))
    assert await live.presence(A, "101", registered=True) is Presence.BUSY
