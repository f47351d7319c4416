"""Queue callback ("press 1 to be called back"): the callback entry's states and the retry
schedule on a manual clock, the number a caller can be called back on, the confirm prompt."""

from __future__ import annotations

import itertools

import pytest

from centrex.apps.queue.callback import callback_number, confirm_keys
from centrex.apps.queue.machine import (
    CALLBACK_STATES,
    FINAL,
    TABLE,
    QueueMachineError,
    WaitAction,
    WaitingCaller,
    WaitInput,
    WaitState,
)
from centrex.clock import ManualClock
from centrex.provisioning.prompt_catalog import CATALOG, LANGUAGES


def _caller(clock: ManualClock, *, attempts: int = 3, retry: float = 30.0) -> WaitingCaller:
    return WaitingCaller(clock.monotonic(), max_wait=60.0, announce_every=30.0,
                         first_announce=3.0, attempts=attempts, retry_every=retry)  # fmt: skip


def test_pressing_1_keeps_the_place_with_no_timer_of_a_waiting_caller() -> None:
    clock = ManualClock()
    caller = _caller(clock)
    clock.advance(5)
    assert caller.feed(WaitInput.CALLBACK_REQUESTED, clock.monotonic()) is (
        WaitAction.CONFIRM_CALLBACK
    )
    assert caller.state is WaitState.CALLBACK_PENDING
    assert caller.callback
    assert caller.next_deadline() is None  # no announcement, no maximum wait: nobody listens
    clock.advance(3600)  # far past the maximum wait: still waiting for its turn
    assert caller.handle_timer(clock.monotonic()) is WaitAction.NONE
    assert caller.feed(WaitInput.MAX_WAIT_TIMER, clock.monotonic()) is WaitAction.NONE
    assert caller.state is WaitState.CALLBACK_PENDING


def test_callback_answered_offers_the_reserved_agent_and_the_wait_ends_at_the_connection() -> None:
    clock = ManualClock()
    caller = _caller(clock)
    clock.advance(10)
    caller.feed(WaitInput.CALLBACK_REQUESTED, clock.monotonic())
    clock.advance(100)
    assert caller.feed(WaitInput.AGENT_FREE, clock.monotonic()) is WaitAction.DIAL_CALLER
    assert caller.dialled == 1
    clock.advance(4)
    assert caller.feed(WaitInput.CALLER_ANSWERED, clock.monotonic()) is WaitAction.OFFER
    assert caller.state is WaitState.OFFERING
    clock.advance(6)
    assert caller.feed(WaitInput.ANSWERED, clock.monotonic()) is WaitAction.BRIDGE
    assert caller.waited(clock.monotonic() + 50) == 120.0  # entry to connection


def test_back_on_the_line_the_maximum_wait_counts_from_the_answer() -> None:
    clock = ManualClock()
    caller = _caller(clock)
    caller.feed(WaitInput.CALLBACK_REQUESTED, 1.0)
    clock.advance(500)
    caller.feed(WaitInput.AGENT_FREE, clock.monotonic())
    caller.feed(WaitInput.CALLER_ANSWERED, clock.monotonic())
    caller.feed(WaitInput.OFFER_FAILED, clock.monotonic())  # the agent did not answer
    assert caller.state is WaitState.WAITING
    assert caller.max_wait_at == clock.monotonic() + 60.0  # not overflowed at once


def test_retry_schedule_then_failed_after_the_last_attempt() -> None:
    clock = ManualClock()
    caller = _caller(clock, attempts=3, retry=20.0)
    caller.feed(WaitInput.CALLBACK_REQUESTED, clock.monotonic())
    dialled_at = []
    for attempt in range(1, 4):
        assert caller.state is WaitState.CALLBACK_PENDING
        dialled_at.append(clock.monotonic())
        caller.feed(WaitInput.AGENT_FREE, clock.monotonic())
        assert caller.dialled == attempt
        clock.advance(15)  # rang its ring time, unanswered
        action = caller.not_reached(clock.monotonic())
        if attempt < 3:
            assert action is WaitAction.RELEASE_AGENTS
            assert caller.state is WaitState.CALLBACK_RETRY
            assert caller.next_deadline() == clock.monotonic() + 20.0
            clock.advance(19.9)
            assert caller.handle_timer(clock.monotonic()) is WaitAction.NONE
            clock.advance(0.1)
            assert caller.handle_timer(clock.monotonic()) is WaitAction.NONE  # back at its place
        else:
            assert action is WaitAction.RECORD_FAILED
    assert caller.state is WaitState.CALLBACK_FAILED
    assert caller.state in FINAL
    assert [b - a for a, b in itertools.pairwise(dialled_at)] == [35.0, 35.0]
    assert caller.next_deadline() is None


def test_one_attempt_only_fails_at_once() -> None:
    caller = WaitingCaller(0.0, 60.0, attempts=1)
    caller.feed(WaitInput.CALLBACK_REQUESTED, 1.0)
    caller.feed(WaitInput.AGENT_FREE, 2.0)
    assert caller.not_reached(20.0) is WaitAction.RECORD_FAILED
    assert caller.ended_at == 20.0


def test_pressing_1_while_an_agent_rings_changes_nothing() -> None:
    caller = WaitingCaller(0.0, 60.0)
    caller.feed(WaitInput.AGENT_FREE, 1.0)
    assert caller.feed(WaitInput.CALLBACK_REQUESTED, 2.0) is WaitAction.NONE
    assert caller.state is WaitState.OFFERING
    assert not caller.callback


@pytest.mark.parametrize("state", sorted(CALLBACK_STATES, key=lambda s: s.value))
def test_a_callback_entry_has_no_caller_to_hang_up_or_announce_to(state: WaitState) -> None:
    for event in (WaitInput.HANGUP, WaitInput.ANNOUNCE_TIMER, WaitInput.ANSWERED):
        assert (state, event) not in TABLE
        caller = WaitingCaller(0.0, 60.0)
        caller.state = state
        with pytest.raises(QueueMachineError):
            caller.feed(event, 1.0)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [("101", "101"), ("+41441234567", "+41441234567"), (" 0441234567 ", "0441234567"),
     ("anonymous", None), ("", None), ("1", None), ("Anonymous", None), ("10a", None),
     ("+", None), ("1" * 21, None)],
)  # fmt: skip
def test_callback_number(caller: str, expected: str | None) -> None:
    assert callback_number(caller) == expected


def test_confirm_says_the_number_digit_by_digit_in_every_language() -> None:
    assert confirm_keys("+4101") == ["queue.callback_confirm", "number.4", "number.1",
                                     "number.0", "number.1", "queue.callback_goodbye"]  # fmt: skip
    for key in ("queue.callback_offer", "queue.callback_confirm", "queue.callback_goodbye",
                "queue.callback_unavailable", "queue.callback_hello"):  # fmt: skip
        assert all(CATALOG[key][lang] for lang in LANGUAGES)


class _Context:
    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id


class _Wait:
    """What `Callbacks.take` reads of a wait: its place token and tenant."""

    def __init__(self, token: str, tenant_id: int) -> None:
        self.token = token
        self.context = _Context(tenant_id)
        self.callback_to = "101"


async def test_an_answered_callback_finds_its_entry_in_its_own_tenant_only() -> None:
    from centrex.apps.queue.callback import CallbackRun, Callbacks

    callbacks = Callbacks()
    run = CallbackRun(callbacks, _Wait("call-a", tenant_id=1))  # type: ignore[arg-type]
    callbacks._runs["call-a"] = run
    assert callbacks.take("call-a", tenant_id=2) is None  # another tenant's call: no entry
    assert not run.started.is_set()
    assert callbacks.take("call-a", tenant_id=1) is run
    assert run.started.is_set()
    assert callbacks.take("call-a", tenant_id=1) is None  # taken once only
    assert callbacks.take("unknown", tenant_id=1) is None
