"""The in-call keys of three-way calling: `*3` + number + `#`, as a state table.

Theory of operation
-------------------
A party of an answered call presses keys; they arrive one per press as RFC 4733
telephone-events on the relayed RTP (RFC 4733 §2.5.1.4: one event per key however many
packets carry it — `media.digits.DigitListener` reports each press once). The collector turns
that stream into "dial this number" and nothing else:

* `*` arms it (STAR); `3` next opens the number (COLLECTING); any other key after `*` drops
  back to IDLE (a `*` again stays armed: `**3` still works), so an IVR menu choice or a PIN
  the parties type at a remote system never dials anything unless it holds `*3`.
* In COLLECTING, digits 0-9 are the number (at most `MAX_DIGITS`); `#` ends it: DIAL with the
  number, or ABANDON when no digit came. `*` starts over (the party changed its mind: STAR
  again); a number longer than `MAX_DIGITS` is abandoned.
* Keys must follow each other within `INTER_DIGIT_SECONDS` once `*` was pressed: the deadline
  passing (TIMEOUT) abandons, so a stray `*3` does not wait for ever.

The table below is the whole behaviour: `(state, input) -> (action, next state)`, every pair
present (a party may press anything at any time, so nothing is a protocol error here). Time
is an argument (`now`, seconds on the caller's monotonic clock) and `next_deadline()` says
when to call `handle_timer`; nothing here reads a clock.
"""

from __future__ import annotations

import enum

__all__ = [
    "INTER_DIGIT_SECONDS",
    "KEY_TABLE",
    "MAX_DIGITS",
    "KeyAction",
    "KeyInput",
    "KeyState",
    "ThreeWayKeys",
    "classify",
]

INTER_DIGIT_SECONDS = 5.0
MAX_DIGITS = 32


class KeyState(enum.Enum):
    IDLE = "idle"
    STAR = "star"  # `*` pressed
    COLLECTING = "collecting"  # `*3` pressed: digits of the number


class KeyInput(enum.Enum):
    STAR = "*"
    THREE = "3"
    DIGIT = "0-9"  # any digit but 3 (3 is a DIGIT too while COLLECTING)
    HASH = "#"
    OTHER = "A-D"  # the RFC 4733 events 12-15: never part of a number
    TIMEOUT = "timeout"


class KeyAction(enum.Enum):
    NONE = enum.auto()
    ARM = enum.auto()  # start the inter-digit deadline
    OPEN = enum.auto()  # `*3`: start a number
    ADD = enum.auto()  # one more digit of the number
    DIAL = enum.auto()  # `#`: the number is complete
    ABANDON = enum.auto()  # give the number up


_S, _I, _A = KeyState, KeyInput, KeyAction
KEY_TABLE: dict[tuple[KeyState, KeyInput], tuple[KeyAction, KeyState]] = {
    (_S.IDLE, _I.STAR): (_A.ARM, _S.STAR),
    (_S.IDLE, _I.THREE): (_A.NONE, _S.IDLE),
    (_S.IDLE, _I.DIGIT): (_A.NONE, _S.IDLE),
    (_S.IDLE, _I.HASH): (_A.NONE, _S.IDLE),
    (_S.IDLE, _I.OTHER): (_A.NONE, _S.IDLE),
    (_S.IDLE, _I.TIMEOUT): (_A.NONE, _S.IDLE),
    (_S.STAR, _I.STAR): (_A.ARM, _S.STAR),
    (_S.STAR, _I.THREE): (_A.OPEN, _S.COLLECTING),
    (_S.STAR, _I.DIGIT): (_A.ABANDON, _S.IDLE),
    (_S.STAR, _I.HASH): (_A.ABANDON, _S.IDLE),
    (_S.STAR, _I.OTHER): (_A.ABANDON, _S.IDLE),
    (_S.STAR, _I.TIMEOUT): (_A.ABANDON, _S.IDLE),
    (_S.COLLECTING, _I.STAR): (_A.ARM, _S.STAR),  # starts over
    (_S.COLLECTING, _I.THREE): (_A.ADD, _S.COLLECTING),
    (_S.COLLECTING, _I.DIGIT): (_A.ADD, _S.COLLECTING),
    (_S.COLLECTING, _I.HASH): (_A.DIAL, _S.IDLE),
    (_S.COLLECTING, _I.OTHER): (_A.ABANDON, _S.IDLE),
    (_S.COLLECTING, _I.TIMEOUT): (_A.ABANDON, _S.IDLE),
}  # fmt: skip


def classify(key: str) -> KeyInput:
    """The table input for one key press (`0-9 * # A-D`, as `DtmfReceiver` reports them)."""
    if key == "*":
        return KeyInput.STAR
    if key == "#":
        return KeyInput.HASH
    if key == "3":
        return KeyInput.THREE
    if len(key) == 1 and key.isdigit() and key.isascii():
        return KeyInput.DIGIT
    return KeyInput.OTHER


class ThreeWayKeys:
    """One party's key collector (module docstring). `press` and `handle_timer` return the
    number to dial when `#` completed one, else None."""

    def __init__(self, inter_digit: float = INTER_DIGIT_SECONDS) -> None:
        self.inter_digit = inter_digit
        self.state = KeyState.IDLE
        self.number = ""
        self._deadline: float | None = None
        self.abandoned = 0

    def next_deadline(self) -> float | None:
        return self._deadline

    def press(self, key: str, now: float) -> str | None:
        return self._step(classify(key), key, now)

    def handle_timer(self, now: float) -> str | None:
        if self._deadline is None or now < self._deadline:
            return None
        return self._step(KeyInput.TIMEOUT, "", now)

    def _step(self, event: KeyInput, key: str, now: float) -> str | None:
        action, self.state = KEY_TABLE[(self.state, event)]
        dialled: str | None = None
        if action is KeyAction.ARM or action is KeyAction.OPEN:
            self.number = ""
        elif action is KeyAction.ADD:
            self.number += key
            if len(self.number) > MAX_DIGITS:
                action, self.state = KeyAction.ABANDON, KeyState.IDLE
        elif action is KeyAction.DIAL:
            if self.number:
                dialled = self.number
            else:
                action = KeyAction.ABANDON
        if action is KeyAction.ABANDON:
            self.abandoned += 1
        if self.state is KeyState.IDLE:
            self.number = ""
            self._deadline = None
        elif action is not KeyAction.NONE:
            self._deadline = now + self.inter_digit
        return dialled
