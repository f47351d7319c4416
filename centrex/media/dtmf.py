"""DTMF: RFC 4733 telephone-events (payload, receiver, sender) and in-band Goertzel detection.

Theory of operation
-------------------
*RFC 4733 §2.3 payload*: event (8 bits), E (end) bit, R (reserved) bit, volume (6 bits, -dBm0),
duration (16 bits, timestamp units). All packets of one key press carry the same RTP timestamp,
the event's start; the first has the marker bit (§2.5.1.1); updates carry the growing duration;
the final packet has E set and is sent three times (§2.5.1.4) because there is no retransmission.
An event longer than 0xFFFF units continues in a new segment with a new timestamp and no marker
(§2.5.1.3).

*Receiver*: `DtmfReceiver` classifies each packet against the event it is tracking and drives a
table-driven state machine (`RX_TABLE`, DESIGN.md habit 4) so that retransmitted end packets,
same-timestamp updates, reordering and lost start packets still give exactly one digit per key
press. A digit is reported on the first packet of a press (lowest latency for IVR barge-in).

*Sender*: `telephone_event_packets` produces the payload sequence of one press for the caller to
send one packet per media tick with a shared timestamp and consecutive sequence numbers.

*In-band detector*: `InbandDtmfDetector` runs the Goertzel algorithm for the 8 DTMF frequencies
(ITU-T Q.23) on blocks of 102 samples (12.75 ms at 8 kHz, bins of 78 Hz: adjacent DTMF
frequencies are more than 0.9 bin apart). A block holds a digit when the strongest row and column
tones are both above a level threshold, their twist is within limits (Q.24: normal twist 8 dB,
reverse 4 dB), each is well above the other tones of its group (relative peak) and the pair
carries most of the block's energy (which rejects speech, noise and single tones). Two consecutive
blocks report a digit (tones of 40 ms or more are always detected; 20 ms never), and three blocks
without it end the press: a 40 ms pause always yields three (Q.24 minimum pause), a 10 ms dropout
at most two, so each press is reported once. Cost: O(n) in the samples, about 8 multiply-adds
per sample in pure Python (~100 us per 20 ms frame of tone on the reference VM); blocks too weak
to hold a digit are skipped after an O(n) energy sum in C.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from operator import mul

from centrex.media.pcm import SAMPLE_RATE, amplitude_for_dbm0, to_samples
from centrex.media.rtp import ts_delta

__all__ = [
    "DTMF_COLUMNS",
    "DTMF_ROWS",
    "EVENT_FLASH",
    "RX_TABLE",
    "DtmfDigit",
    "DtmfParseError",
    "EventPacket",
    "InbandDtmfDetector",
    "RxAction",
    "RxInput",
    "RxState",
    "TelephoneEvent",
    "digit_for_event",
    "dtmf_frequencies",
    "event_for_digit",
    "goertzel_power",
    "telephone_event_packets",
]

# RFC 4733 §3.2 Table 1: events 0-9, *, #, A-D, then 16 = hook flash.
_DIGITS = "0123456789*#ABCD"
EVENT_FLASH = 16
FLASH_DIGIT = "!"

# ITU-T Q.23: row (low group) and column (high group) frequencies.
DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
_KEYPAD = ("123A", "456B", "789C", "*0#D")

_EVENT = struct.Struct("!BBH")


class DtmfParseError(ValueError):
    """A telephone-event payload that is not 4 bytes (RFC 4733 §2.3)."""


def event_for_digit(digit: str) -> int:
    """RFC 4733 event code of a keypad character ("0".."9", "*", "#", "A".."D", "!" flash)."""
    if digit == FLASH_DIGIT:
        return EVENT_FLASH
    code = _DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if code < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return code


def digit_for_event(event: int) -> str | None:
    """Keypad character of an event code, or None for events that are not keys."""
    if 0 <= event < 16:
        return _DIGITS[event]
    return FLASH_DIGIT if event == EVENT_FLASH else None


def dtmf_frequencies(digit: str) -> tuple[float, float]:
    """(row, column) frequencies of a keypad digit (ITU-T Q.23)."""
    key = digit.upper()
    for r, row in enumerate(_KEYPAD):
        c = row.find(key) if len(key) == 1 else -1
        if c >= 0:
            return DTMF_ROWS[r], DTMF_COLUMNS[c]
    raise ValueError(f"not a DTMF digit: {digit!r}")


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """RFC 4733 §2.3 payload: event code, end bit, volume (0..63 = -dBm0), duration."""

    event: int
    end: bool = False
    volume: int = 10
    duration: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.event <= 255:
            raise ValueError("event code is 8 bits")
        if not 0 <= self.volume <= 63:
            raise ValueError("volume is 6 bits (0..63, -dBm0)")
        if not 0 <= self.duration <= 0xFFFF:
            raise ValueError("duration is 16 bits")

    @classmethod
    def parse(cls, payload: bytes | bytearray | memoryview) -> TelephoneEvent:
        """Parse a 4-byte payload; the R bit is ignored on receipt as §2.3 requires.

        Leniency: a payload longer than 4 bytes (several events in one packet, RFC 4733 §2.4.1
        redundancy is done with RFC 2198 instead) is parsed from its first 4 bytes.
        """
        if len(payload) < 4:
            raise DtmfParseError("telephone-event payload is shorter than 4 bytes")
        event, flags, duration = _EVENT.unpack_from(payload, 0)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def serialize(self) -> bytes:
        return _EVENT.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)

    @property
    def digit(self) -> str | None:
        return digit_for_event(self.event)


# --- receiver state machine ---------------------------------------------------------------------


class RxState(Enum):
    """States of `DtmfReceiver` (module docstring)."""

    IDLE = "idle"  # nothing seen yet (or after reset)
    IN_EVENT = "in_event"  # a press is under way
    ENDED = "ended"  # the press ended; retransmitted end packets are expected


class RxInput(Enum):
    """A packet classified against the tracked event (`DtmfReceiver.classify`)."""

    START = "start"  # new timestamp, no end bit: a new press
    START_END = "start_end"  # new timestamp with the end bit: the start packets were lost
    UPDATE = "update"  # same timestamp and event, no end bit
    END = "end"  # same timestamp and event, end bit
    CONTINUE = "continue"  # new timestamp, same event, no marker while in a press (§2.5.1.3)
    STALE = "stale"  # older timestamp, or same timestamp with another event: reordered junk


class RxAction(Enum):
    """What the receiver does on a transition of `RX_TABLE`."""

    REPORT = "report"  # report a digit and track the new event
    TRACK = "track"  # update the tracked duration
    IGNORE = "ignore"


RX_TABLE: dict[tuple[RxState, RxInput], tuple[RxAction, RxState]] = {
    (RxState.IDLE, RxInput.START): (RxAction.REPORT, RxState.IN_EVENT),
    (RxState.IDLE, RxInput.START_END): (RxAction.REPORT, RxState.ENDED),
    # The classifier never yields these in IDLE (nothing is tracked); total for safety.
    (RxState.IDLE, RxInput.UPDATE): (RxAction.IGNORE, RxState.IDLE),
    (RxState.IDLE, RxInput.END): (RxAction.IGNORE, RxState.IDLE),
    (RxState.IDLE, RxInput.CONTINUE): (RxAction.IGNORE, RxState.IDLE),
    (RxState.IDLE, RxInput.STALE): (RxAction.IGNORE, RxState.IDLE),
    (RxState.IN_EVENT, RxInput.START): (RxAction.REPORT, RxState.IN_EVENT),  # end lost
    (RxState.IN_EVENT, RxInput.START_END): (RxAction.REPORT, RxState.ENDED),
    (RxState.IN_EVENT, RxInput.UPDATE): (RxAction.TRACK, RxState.IN_EVENT),
    (RxState.IN_EVENT, RxInput.END): (RxAction.TRACK, RxState.ENDED),
    (RxState.IN_EVENT, RxInput.CONTINUE): (RxAction.TRACK, RxState.IN_EVENT),
    (RxState.IN_EVENT, RxInput.STALE): (RxAction.IGNORE, RxState.IN_EVENT),
    (RxState.ENDED, RxInput.START): (RxAction.REPORT, RxState.IN_EVENT),
    (RxState.ENDED, RxInput.START_END): (RxAction.REPORT, RxState.ENDED),
    (RxState.ENDED, RxInput.UPDATE): (RxAction.IGNORE, RxState.ENDED),  # late update
    (RxState.ENDED, RxInput.END): (RxAction.IGNORE, RxState.ENDED),  # retransmitted end
    (RxState.ENDED, RxInput.CONTINUE): (RxAction.REPORT, RxState.IN_EVENT),
    (RxState.ENDED, RxInput.STALE): (RxAction.IGNORE, RxState.ENDED),
}

# A timestamp behind the tracked one by less than this is a reordered packet; further behind is
# a new timestamp base (re-INVITE, new SSRC) and starts a new press. 0xFFFF is the longest event
# segment (§2.5.1.3).
_MAX_STALE = 0x10000
# A new segment of a long event (§2.5.1.3) follows a segment that reached the 16-bit maximum;
# allow 200 ms (at 8 kHz) of lost updates before it. A same-digit packet after a shorter segment
# is a new press whose start packets were lost, not a continuation.
_LONG_SLACK = 1600
_LONG_SEGMENT = 0xFFFF - _LONG_SLACK


@dataclass(frozen=True, slots=True)
class DtmfDigit:
    """One key press, reported once. `timestamp` is the RTP timestamp of the event start."""

    digit: str
    event: int
    timestamp: int
    volume: int


class DtmfReceiver:
    """Turns the telephone-event packets of one stream into one `DtmfDigit` per key press.

    Feed every packet of the telephone-event payload type, in arrival order. O(1) per packet.
    Call `reset()` when the stream's SSRC changes.
    """

    __slots__ = ("_base", "_event", "_segment", "_state", "_timestamp")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the tracked event (new SSRC, re-INVITE)."""
        self._state = RxState.IDLE
        self._timestamp = 0
        self._event = -1
        self._base = 0  # duration of the finished segments of a long event (§2.5.1.3)
        self._segment = 0  # duration of the current segment

    @property
    def state(self) -> RxState:
        """Current state, for tests and diagnostics."""
        return self._state

    @property
    def duration(self) -> int:
        """Duration (timestamp units) of the tracked press so far, including long segments."""
        return self._base + self._segment

    def classify(self, timestamp: int, marker: bool, event: TelephoneEvent) -> RxInput:
        """Which `RxInput` a packet is relative to the tracked event."""
        if self._state is RxState.IDLE:
            return RxInput.START_END if event.end else RxInput.START
        delta = ts_delta(timestamp, self._timestamp)
        if delta == 0:
            if event.event != self._event:
                return RxInput.STALE
            return RxInput.END if event.end else RxInput.UPDATE
        if -_MAX_STALE < delta < 0:
            return RxInput.STALE
        if (
            self._state is RxState.IN_EVENT
            and not marker
            and event.event == self._event
            and self._segment >= _LONG_SEGMENT
            and delta <= _MAX_STALE + _LONG_SLACK
        ):
            return RxInput.CONTINUE
        return RxInput.START_END if event.end else RxInput.START

    def feed(
        self, timestamp: int, marker: bool, payload: bytes | bytearray | memoryview
    ) -> DtmfDigit | None:
        """Process one packet; returns a digit on the first packet of a new press.

        Junk payloads (short, or events that are not keys, such as RFC 4734 fax tones) are
        ignored rather than raised: this is network input on the media path.
        """
        if len(payload) < 4:
            return None
        event = TelephoneEvent.parse(payload)
        digit = event.digit
        if digit is None:
            return None
        action, next_state = RX_TABLE[(self._state, self.classify(timestamp, marker, event))]
        if action is RxAction.IGNORE:
            self._state = next_state
            return None
        if action is RxAction.TRACK:
            if timestamp != self._timestamp:  # a new segment of a long event: durations add up
                self._base += self._segment
                self._segment = event.duration
                self._timestamp = timestamp
            else:  # updates may arrive reordered: keep the longest duration seen
                self._segment = max(self._segment, event.duration)
            self._state = next_state
            return None
        self._state = next_state
        self._timestamp = timestamp & 0xFFFFFFFF
        self._event = event.event
        self._base = 0
        self._segment = event.duration
        return DtmfDigit(digit, event.event, self._timestamp, event.volume)


# --- sender -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventPacket:
    """One RTP packet of a telephone event: marker bit and 4-byte payload (shared timestamp)."""

    marker: bool
    end: bool
    duration: int
    payload: bytes


def telephone_event_packets(
    digit: str,
    duration_ms: int = 100,
    *,
    volume: int = 10,
    clock_rate: int = 8000,
    packet_ms: int = 20,
    end_repeats: int = 3,
) -> tuple[EventPacket, ...]:
    """Packets of one key press per RFC 4733 §2.5.1, to send one per `packet_ms`.

    The first packet has the marker bit (§2.5.1.1); each carries the duration since the start
    (§2.5.1.2); the last duration goes out `end_repeats` times with the E bit (§2.5.1.4).
    The caller uses the same RTP timestamp for all of them and consecutive sequence numbers.
    """
    event = event_for_digit(digit)
    total = duration_ms * clock_rate // 1000
    step = packet_ms * clock_rate // 1000
    if step <= 0 or total < step or total > 0xFFFF:
        raise ValueError("duration must cover one packet and fit in 16 bits of timestamp units")
    if end_repeats < 1:
        raise ValueError("at least one end packet is needed")
    packets: list[EventPacket] = []
    duration = step
    while duration < total:
        payload = TelephoneEvent(event, False, volume, duration).serialize()
        packets.append(EventPacket(not packets, False, duration, payload))
        duration += step
    end_payload = TelephoneEvent(event, True, volume, total).serialize()
    for _ in range(end_repeats):
        packets.append(EventPacket(not packets, True, total, end_payload))
    return tuple(packets)


# --- in-band detection (Goertzel) ---------------------------------------------------------------

_BLOCK = 102
_COEFFS = tuple(2.0 * math.cos(2.0 * math.pi * f / SAMPLE_RATE) for f in DTMF_ROWS + DTMF_COLUMNS)


def goertzel_power(samples: Iterable[float], frequency: float, sample_rate: int = 8000) -> float:
    """Squared magnitude of one DFT bin at `frequency` by the Goertzel recursion. O(n).

    For a sine of amplitude A over n samples this is about (A * n / 2) ** 2.
    """
    coeff = 2.0 * math.cos(2.0 * math.pi * frequency / sample_rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def _goertzel8(block: Iterable[int]) -> tuple[float, ...]:
    """The 8 DTMF Goertzel filters in one pass over the block (unrolled for CPython speed)."""
    c0, c1, c2, c3, c4, c5, c6, c7 = _COEFFS
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = 0.0
    q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = 0.0
    for x in block:
        p0, q0 = x + c0 * p0 - q0, p0
        p1, q1 = x + c1 * p1 - q1, p1
        p2, q2 = x + c2 * p2 - q2, p2
        p3, q3 = x + c3 * p3 - q3, p3
        p4, q4 = x + c4 * p4 - q4, p4
        p5, q5 = x + c5 * p5 - q5, p5
        p6, q6 = x + c6 * p6 - q6, p6
        p7, q7 = x + c7 * p7 - q7, p7
    return (
        p0 * p0 + q0 * q0 - c0 * p0 * q0,
        p1 * p1 + q1 * q1 - c1 * p1 * q1,
        p2 * p2 + q2 * q2 - c2 * p2 * q2,
        p3 * p3 + q3 * q3 - c3 * p3 * q3,
        p4 * p4 + q4 * q4 - c4 * p4 * q4,
        p5 * p5 + q5 * q5 - c5 * p5 * q5,
        p6 * p6 + q6 * q6 - c6 * p6 * q6,
        p7 * p7 + q7 * q7 - c7 * p7 * q7,
    )


class InbandDtmfDetector:
    """Detects DTMF digits in 8 kHz pcm16, reporting each key press once (ITU-T Q.24 limits).

    Feed frames of any length (normally 20 ms = 320 bytes); samples are carried over between
    calls, so detection does not depend on frame boundaries.
    """

    __slots__ = (
        "_current",
        "_energy_ratio",
        "_hits",
        "_last",
        "_min_power",
        "_misses",
        "_normal_twist",
        "_pending",
        "_relative_peak",
        "_reverse_twist",
    )

    HITS_TO_BEGIN = 2
    MISSES_TO_END = 3

    def __init__(
        self,
        *,
        min_level_dbm0: float = -36.0,
        normal_twist_db: float = 8.0,
        reverse_twist_db: float = 4.0,
        relative_peak_db: float = 8.0,
        energy_ratio: float = 0.8,
    ) -> None:
        """Thresholds: per-tone minimum level, Q.24 twist limits, how far the winning tone of
        each group must stand above the others, and the share of block energy the two tones
        must carry (1.0 would be a pure tone pair)."""
        self._min_power = (amplitude_for_dbm0(min_level_dbm0) * _BLOCK / 2) ** 2
        self._normal_twist = 10 ** (normal_twist_db / 10)
        self._reverse_twist = 10 ** (reverse_twist_db / 10)
        self._relative_peak = 10 ** (relative_peak_db / 10)
        # Goertzel power of a pure tone pair = (n / 2) * sum of squares of the block.
        self._energy_ratio = energy_ratio * _BLOCK / 2
        self._pending: list[int] = []
        self._last: str | None = None
        self._current: str | None = None
        self._hits = 0
        self._misses = 0

    def reset(self) -> None:
        """Drop buffered samples and any press in progress (new call, new stream)."""
        self._pending = []
        self._last = None
        self._current = None
        self._hits = 0
        self._misses = 0

    def feed(self, pcm: bytes | bytearray | memoryview) -> list[str]:
        """Process pcm16 little-endian samples; returns digits whose press began in them."""
        samples = self._pending
        samples.extend(to_samples(pcm))
        found: list[str] = []
        start = 0
        while len(samples) - start >= _BLOCK:
            digit = self._classify(samples[start : start + _BLOCK])
            start += _BLOCK
            reported = self._debounce(digit)
            if reported is not None:
                found.append(reported)
        self._pending = samples[start:]
        return found

    def _debounce(self, digit: str | None) -> str | None:
        if digit is not None and digit == self._last:
            self._hits += 1
        else:
            self._hits = 1 if digit is not None else 0
        self._last = digit
        if self._current is not None:
            if digit == self._current:
                self._misses = 0
            else:
                self._misses += 1
                if self._misses >= self.MISSES_TO_END:
                    self._current = None
        if digit is not None and self._hits >= self.HITS_TO_BEGIN and digit != self._current:
            self._current = digit
            self._misses = 0
            return digit
        return None

    def _classify(self, block: list[int]) -> str | None:
        """The digit held by one block, or None. O(block)."""
        energy = float(sum(map(mul, block, block)))
        # Cheap gate (Cauchy-Schwarz: one bin's power is at most n * energy): a block too weak
        # to hold even one tone at the minimum level skips the filters. Silence costs O(n) in C.
        if energy * _BLOCK < self._min_power:
            return None
        powers = _goertzel8(block)
        rows = powers[:4]
        cols = powers[4:]
        r = max(range(4), key=rows.__getitem__)
        c = max(range(4), key=cols.__getitem__)
        row_p = rows[r]
        col_p = cols[c]
        if row_p < self._min_power or col_p < self._min_power:
            return None
        # Q.24 twist: the high group may be up to 4 dB stronger (reverse) or 8 dB weaker (normal).
        if col_p > row_p * self._reverse_twist or row_p > col_p * self._normal_twist:
            return None
        for i in range(4):
            if i != r and rows[i] * self._relative_peak > row_p:
                return None
            if i != c and cols[i] * self._relative_peak > col_p:
                return None
        if row_p + col_p < self._energy_ratio * energy:
            return None
        return _KEYPAD[r][c]
