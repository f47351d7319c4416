"""The `*3` + number + `#` key collector (calls/features/three_way_keys.py): the table's every
pair, the deadlines on a manual clock, and a Hypothesis sweep of random key streams."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.calls.features.three_way_keys import (
    INTER_DIGIT_SECONDS,
    KEY_TABLE,
    MAX_DIGITS,
    KeyInput,
    KeyState,
    ThreeWayKeys,
    classify,
)
from centrex.clock import ManualClock

KEYS = "0123456789*#ABCD"


def test_every_pair_has_a_move() -> None:
    assert set(KEY_TABLE) == {(s, i) for s in KeyState for i in KeyInput}


@pytest.mark.parametrize(
    ("key", "expected"),
    [("*", KeyInput.STAR), ("#", KeyInput.HASH), ("3", KeyInput.THREE), ("0", KeyInput.DIGIT),
     ("9", KeyInput.DIGIT), ("A", KeyInput.OTHER), ("D", KeyInput.OTHER), ("٣", KeyInput.OTHER)],
)  # fmt: skip
def test_classify(key: str, expected: KeyInput) -> None:
    assert classify(key) is expected


def press_all(keys: ThreeWayKeys, text: str, clock: ManualClock, step: float = 0.5) -> list[str]:
    dialled = []
    for key in text:
        clock.advance(step)
        number = keys.press(key, clock.monotonic())
        if number is not None:
            dialled.append(number)
    return dialled


def test_star_three_number_hash_dials_the_number() -> None:
    clock = ManualClock()
    keys = ThreeWayKeys()
    assert press_all(keys, "*3103#", clock) == ["103"]
    assert keys.state is KeyState.IDLE
    assert keys.next_deadline() is None


def test_the_number_may_hold_threes_and_a_second_star_rearms() -> None:
    clock = ManualClock()
    keys = ThreeWayKeys()
    assert press_all(keys, "**30033#", clock) == ["0033"]
    assert press_all(keys, "12*3+", clock) == []  # '+' is no key: OTHER abandons


def test_other_keys_never_dial() -> None:
    clock = ManualClock()
    keys = ThreeWayKeys()
    assert press_all(keys, "3103#", clock) == []  # no star
    assert press_all(keys, "*4103#", clock) == []  # star then not 3
    assert press_all(keys, "*3#", clock) == []  # no digit
    assert keys.abandoned == 2
    assert press_all(keys, "*31*3102#", clock) == ["102"]  # a second star starts over


def test_inter_digit_deadline_on_a_manual_clock() -> None:
    clock = ManualClock()
    keys = ThreeWayKeys()
    keys.press("*", clock.monotonic())
    assert keys.next_deadline() == clock.monotonic() + INTER_DIGIT_SECONDS
    clock.advance(1.0)
    keys.press("3", clock.monotonic())
    deadline = keys.next_deadline()
    assert deadline == clock.monotonic() + INTER_DIGIT_SECONDS  # each key re-arms
    clock.advance(INTER_DIGIT_SECONDS - 0.01)
    assert keys.handle_timer(clock.monotonic()) is None
    assert keys.state is KeyState.COLLECTING  # early wake-up: nothing happens
    clock.advance(0.01)
    assert keys.handle_timer(clock.monotonic()) is None
    assert keys.state is KeyState.IDLE
    assert keys.next_deadline() is None
    assert keys.abandoned == 1
    assert press_all(keys, "1#", clock) == []  # the old number is gone


def test_too_long_a_number_is_abandoned() -> None:
    clock = ManualClock()
    keys = ThreeWayKeys()
    assert press_all(keys, "*3" + "1" * (MAX_DIGITS + 1) + "#", clock) == []
    assert press_all(keys, "*3" + "1" * MAX_DIGITS + "#", clock) == ["1" * MAX_DIGITS]


@given(st.text(alphabet=KEYS, max_size=60), st.lists(st.floats(0, 8), max_size=60))
def test_random_key_streams_dial_only_what_a_star_three_hash_enclosed(
    text: str, gaps: list[float]
) -> None:
    clock = ManualClock()
    keys = ThreeWayKeys()
    for index, key in enumerate(text):
        clock.advance(gaps[index] if index < len(gaps) else 0.1)
        keys.handle_timer(clock.monotonic())
        number = keys.press(key, clock.monotonic())
        assert keys.state in KeyState
        if number is not None:
            assert number.isdigit()
            assert len(number) <= MAX_DIGITS
            assert f"*3{number}#" in text[: index + 1]
        if keys.state is KeyState.IDLE:
            assert keys.next_deadline() is None
        else:
            assert keys.next_deadline() == clock.monotonic() + INTER_DIGIT_SECONDS
