"""The conference's admission rules (apps/conference/admission.py, pure): PIN classification,
three tries then goodbye, a full room, members waiting for the moderator — each table swept
whole by Hypothesis against the rules written out independently here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.apps.conference.admission import (
    ADMISSION,
    MAX_PIN_TRIES,
    PIN_STEPS,
    Admission,
    PinResult,
    PinStep,
    admit,
    classify_pin,
    needs_pin,
    next_pin_step,
)

pins = st.none() | st.text("0123456789", min_size=3, max_size=8)
entries = st.text("0123456789", max_size=8)


def test_tables_cover_every_input() -> None:
    assert set(PIN_STEPS) == {(r, last) for r in PinResult for last in (False, True)}
    assert len(ADMISSION) == 16


@pytest.mark.parametrize(
    ("entered", "pin", "moderator_pin", "expected"),
    [
        ("1234", "1234", None, PinResult.MEMBER),
        ("9999", "1234", "9999", PinResult.MODERATOR),
        ("1111", "1234", "9999", PinResult.WRONG),
        ("", "1234", None, PinResult.WRONG),
        ("", None, "9999", PinResult.MEMBER),  # only a moderator PIN: '#' alone is a member
        ("9999", None, "9999", PinResult.MODERATOR),
        ("5", None, "9999", PinResult.WRONG),
    ],
)
def test_classify_pin(
    entered: str, pin: str | None, moderator_pin: str | None, expected: PinResult
) -> None:
    assert classify_pin(entered, pin, moderator_pin) is expected


@given(entries, pins, pins)
def test_classify_pin_sweep(entered: str, pin: str | None, moderator_pin: str | None) -> None:
    result = classify_pin(entered, pin, moderator_pin)
    if moderator_pin and entered == moderator_pin:
        assert result is PinResult.MODERATOR
    elif pin:
        assert result is (PinResult.MEMBER if entered == pin else PinResult.WRONG)
    else:
        assert result is (PinResult.MEMBER if entered == "" else PinResult.WRONG)
    assert needs_pin(pin, moderator_pin) is bool(pin or moderator_pin)


@given(st.sampled_from(list(PinResult)), st.integers(min_value=1, max_value=10))
def test_pin_steps(result: PinResult, tries: int) -> None:
    step = next_pin_step(result, tries)
    if result is PinResult.MEMBER:
        assert step is PinStep.ENTER_AS_MEMBER
    elif result is PinResult.MODERATOR:
        assert step is PinStep.ENTER_AS_MODERATOR
    else:
        assert step is (PinStep.GOODBYE if tries >= MAX_PIN_TRIES else PinStep.ASK_AGAIN)


def test_three_wrong_pins_then_goodbye() -> None:
    steps = [next_pin_step(PinResult.WRONG, t) for t in (1, 2, 3)]
    assert steps == [PinStep.ASK_AGAIN, PinStep.ASK_AGAIN, PinStep.GOODBYE]
    with pytest.raises(ValueError, match="from 1"):
        next_pin_step(PinResult.WRONG, 0)


@given(
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=2, max_value=100),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_admission_sweep(
    present: int, max_members: int, moderated: bool, is_moderator: bool, moderator_in: bool
) -> None:
    decision = admit(present=present, max_members=max_members, moderated=moderated,
                     is_moderator=is_moderator, moderator_in=moderator_in)  # fmt: skip
    if present >= max_members:
        assert decision is Admission.FULL
    elif moderated and not is_moderator and not moderator_in:
        assert decision is Admission.WAIT
    else:
        assert decision is Admission.JOIN
