"""Who gets into a conference room, and when (pure: no I/O, no clock).

Theory of operation
-------------------
A caller of a room goes through three questions, in this order, each answered here from data
only so that the app (`app.py`) merely plays prompts between them:

1. **PIN** (`classify_pin`). A room with a member PIN or a moderator PIN asks for one
   (`needs_pin`). The moderator PIN makes a moderator; the member PIN a member; with only a
   moderator PIN set, an empty entry (just `#`) is a member. Anything else is wrong; after
   `MAX_PIN_TRIES` wrong entries the caller hears goodbye (`next_pin_step`).
2. **Room size** (`admit`). A room holding `max_members` participants is `FULL`: the caller
   is told so and hung up. Waiting callers count: they hold a place.
3. **Moderator** (`admit`). When the room has a moderator PIN, members `WAIT` (music on hold)
   until a moderator is in; a moderator, or any caller of a room without a moderator PIN,
   `JOIN`s at once. When the last moderator leaves, the members already in stay.

The moves are tables (`PIN_STEPS`, `ADMISSION`): every (input) → (outcome) pair is listed,
and the Hypothesis test in tests/apps/test_conference_admission.py sweeps them.
"""

from __future__ import annotations

from enum import Enum

MAX_PIN_TRIES = 3


class PinResult(Enum):
    MEMBER = "member"
    MODERATOR = "moderator"
    WRONG = "wrong"


class PinStep(Enum):
    """What the app does after one PIN entry."""

    ENTER_AS_MEMBER = "enter-as-member"
    ENTER_AS_MODERATOR = "enter-as-moderator"
    ASK_AGAIN = "ask-again"  # "that PIN is not correct", then the PIN prompt again
    GOODBYE = "goodbye"  # the last try was wrong


class Admission(Enum):
    JOIN = "join"
    WAIT = "wait"  # music on hold until a moderator is in
    FULL = "full"  # "this conference is full", hang up


# (result, last try?) → step
PIN_STEPS: dict[tuple[PinResult, bool], PinStep] = {
    (PinResult.MEMBER, False): PinStep.ENTER_AS_MEMBER,
    (PinResult.MEMBER, True): PinStep.ENTER_AS_MEMBER,
    (PinResult.MODERATOR, False): PinStep.ENTER_AS_MODERATOR,
    (PinResult.MODERATOR, True): PinStep.ENTER_AS_MODERATOR,
    (PinResult.WRONG, False): PinStep.ASK_AGAIN,
    (PinResult.WRONG, True): PinStep.GOODBYE,
}

# (room full?, moderator PIN set?, caller is moderator?, a moderator is in?) → admission
ADMISSION: dict[tuple[bool, bool, bool, bool], Admission] = {
    **{(True, r, m, p): Admission.FULL for r in (False, True) for m in (False, True)
       for p in (False, True)},
    **{(False, False, m, p): Admission.JOIN for m in (False, True) for p in (False, True)},
    (False, True, True, False): Admission.JOIN,
    (False, True, True, True): Admission.JOIN,
    (False, True, False, True): Admission.JOIN,
    (False, True, False, False): Admission.WAIT,
}  # fmt: skip


def needs_pin(pin: str | None, moderator_pin: str | None) -> bool:
    """A room with either PIN asks for one."""
    return bool(pin) or bool(moderator_pin)


def classify_pin(entered: str, pin: str | None, moderator_pin: str | None) -> PinResult:
    """What an entered PIN makes the caller (see the module docstring)."""
    if moderator_pin and entered == moderator_pin:
        return PinResult.MODERATOR
    if pin:
        return PinResult.MEMBER if entered == pin else PinResult.WRONG
    return PinResult.MEMBER if entered == "" else PinResult.WRONG


def next_pin_step(result: PinResult, tries: int) -> PinStep:
    """The step after the `tries`-th entry (1-based) gave `result`."""
    if tries < 1:
        raise ValueError("tries counts from 1")
    return PIN_STEPS[(result, tries >= MAX_PIN_TRIES)]


def admit(
    *,
    present: int,
    max_members: int,
    moderated: bool,
    is_moderator: bool,
    moderator_in: bool,
) -> Admission:
    """Whether a caller who passed the PIN joins, waits or is turned away; `present` counts
    every participant in the room or waiting for it (not the caller)."""
    return ADMISSION[(present >= max_members, moderated, is_moderator, moderator_in)]
