"""RFC 4733 telephone-events: payload, receiver state machine, sender."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media import dtmf
from centrex.media.dtmf import (
    RX_TABLE,
    DtmfParseError,
    DtmfReceiver,
    RxAction,
    RxInput,
    RxState,
    TelephoneEvent,
    telephone_event_packets,
)


def test_payload_fixture() -> None:
    # Event 5, E=1, R=0, volume 10, duration 800 (RFC 4733 §2.3 layout).
    wire = bytes([5, 0x80 | 10]) + (800).to_bytes(2, "big")
    ev = TelephoneEvent.parse(wire)
    assert ev == TelephoneEvent(5, True, 10, 800)
    assert ev.serialize() == wire
    assert ev.digit == "5"


def test_reserved_bit_is_ignored() -> None:
    ev = TelephoneEvent.parse(bytes([11, 0x40 | 7, 0, 160]))
    assert ev == TelephoneEvent(11, False, 7, 160)
    assert ev.digit == "#"


def test_short_payload() -> None:
    with pytest.raises(DtmfParseError, match="shorter"):
        TelephoneEvent.parse(b"\x01\x02\x03")


@pytest.mark.parametrize(
    "kwargs", [{"event": 256}, {"event": 1, "volume": 64}, {"event": 1, "duration": 70000}]
)
def test_invalid_event_fields(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="bits"):
        TelephoneEvent(**kwargs)  # type: ignore[arg-type]


@given(st.integers(0, 255), st.booleans(), st.integers(0, 63), st.integers(0, 0xFFFF))
def test_payload_round_trip(event: int, end: bool, volume: int, duration: int) -> None:
    ev = TelephoneEvent(event, end, volume, duration)
    assert TelephoneEvent.parse(ev.serialize()) == ev


@given(st.binary(max_size=8))
def test_parse_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(DtmfParseError):
        TelephoneEvent.parse(data)


def test_digit_mapping() -> None:
    assert [dtmf.event_for_digit(d) for d in "0123456789*#ABCD!"] == list(range(17))
    assert dtmf.event_for_digit("a") == 12
    assert [dtmf.digit_for_event(e) for e in (0, 10, 15, 16, 17, 200)] == [
        "0",
        "*",
        "D",
        "!",
        None,
        None,
    ]
    for bad in ("E", "", "12"):
        with pytest.raises(ValueError, match="not a DTMF digit"):
            dtmf.event_for_digit(bad)
    assert dtmf.dtmf_frequencies("1") == (697.0, 1209.0)
    assert dtmf.dtmf_frequencies("d") == (941.0, 1633.0)
    with pytest.raises(ValueError, match="not a DTMF digit"):
        dtmf.dtmf_frequencies("X")


# --- sender -------------------------------------------------------------------------------------


def test_sender_sequence() -> None:
    pkts = telephone_event_packets("7", 100, volume=12)
    assert [p.duration for p in pkts] == [160, 320, 480, 640, 800, 800, 800]
    assert [p.marker for p in pkts] == [True] + [False] * 6
    assert [p.end for p in pkts] == [False] * 4 + [True] * 3
    assert all(TelephoneEvent.parse(p.payload).event == 7 for p in pkts)
    assert TelephoneEvent.parse(pkts[-1].payload) == TelephoneEvent(7, True, 12, 800)


def test_sender_shortest_event_is_start_and_end() -> None:
    pkts = telephone_event_packets("#", 20)
    assert [(p.marker, p.end) for p in pkts] == [(True, True), (False, True), (False, True)]


@pytest.mark.parametrize("kwargs", [{"duration_ms": 10}, {"duration_ms": 9000}, {"end_repeats": 0}])
def test_sender_rejects_bad_durations(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"duration|end packet"):
        telephone_event_packets("1", **kwargs)


# --- receiver -----------------------------------------------------------------------------------


def send(rx: DtmfReceiver, digit: str, ts: int, ms: int = 100) -> list[str]:
    return [
        d.digit
        for p in telephone_event_packets(digit, ms)
        if (d := rx.feed(ts, p.marker, p.payload)) is not None
    ]


def test_receiver_one_digit_per_press() -> None:
    rx = DtmfReceiver()
    got = send(rx, "1", 1000) + send(rx, "2", 5000) + send(rx, "2", 9000)
    assert got == ["1", "2", "2"]
    assert rx.state is RxState.ENDED
    assert rx.duration == 800


def test_receiver_reports_timestamp_and_volume() -> None:
    rx = DtmfReceiver()
    digit = rx.feed(4242, True, TelephoneEvent(9, False, 20, 160).serialize())
    assert digit == dtmf.DtmfDigit("9", 9, 4242, 20)


def test_receiver_start_packets_lost() -> None:
    rx = DtmfReceiver()
    pkts = telephone_event_packets("5", 100)
    got = [rx.feed(0, p.marker, p.payload) for p in pkts[4:]]  # only the end packets arrive
    assert [d.digit for d in got if d] == ["5"]
    assert rx.state is RxState.ENDED


def test_receiver_end_packets_lost_then_next_press() -> None:
    rx = DtmfReceiver()
    pkts = telephone_event_packets("5", 100)
    for p in pkts[:3]:
        rx.feed(0, p.marker, p.payload)
    assert rx.state is RxState.IN_EVENT
    assert send(rx, "5", 2000) == ["5"]  # a new timestamp with the marker: a new press


def test_receiver_reordered_updates_and_late_packets() -> None:
    rx = DtmfReceiver()
    pkts = telephone_event_packets("3", 100)
    order = [0, 2, 1, 3, 4, 5, 6]
    got = [rx.feed(800, pkts[i].marker, pkts[i].payload) for i in order]
    assert [d.digit for d in got if d] == ["3"]
    # A late update of the previous press after a new press started: ignored (stale timestamp).
    assert send(rx, "4", 2000) == ["4"]
    assert rx.feed(800, False, pkts[1].payload) is None
    assert rx.state is RxState.ENDED


def test_receiver_same_timestamp_other_event_is_ignored() -> None:
    rx = DtmfReceiver()
    rx.feed(0, True, TelephoneEvent(1, False, 10, 160).serialize())
    assert rx.feed(0, False, TelephoneEvent(2, False, 10, 320).serialize()) is None
    assert rx.duration == 160


def test_receiver_long_event_segments_are_one_press() -> None:
    """RFC 4733 §2.5.1.3: past 0xFFFF the event continues with a new timestamp, no marker."""
    rx = DtmfReceiver()
    assert rx.feed(0, True, TelephoneEvent(0, False, 10, 0xFFFF).serialize()) is not None
    assert rx.feed(0xFFFF, False, TelephoneEvent(0, False, 10, 160).serialize()) is None
    assert rx.feed(0xFFFF, False, TelephoneEvent(0, True, 10, 320).serialize()) is None
    assert rx.duration == 0xFFFF + 320


def test_receiver_timestamp_wrap_and_new_base() -> None:
    rx = DtmfReceiver()
    assert send(rx, "1", 0xFFFFFF00) == ["1"]
    assert send(rx, "2", 0x100) == ["2"]  # newer across the 32-bit wrap
    # A far older timestamp (a new RTP timestamp base after re-INVITE) is a new press.
    assert send(rx, "3", 0x80000000) == ["3"]


def test_receiver_ignores_junk_and_non_key_events() -> None:
    rx = DtmfReceiver()
    assert rx.feed(0, True, b"\x01") is None
    assert rx.feed(0, True, TelephoneEvent(32, False, 10, 160).serialize()) is None  # fax CED
    assert rx.state is RxState.IDLE
    rx.feed(0, True, TelephoneEvent(1, False, 10, 160).serialize())
    rx.reset()
    assert rx.state is RxState.IDLE


def test_rx_table_is_total() -> None:
    assert set(RX_TABLE) == {(s, i) for s in RxState for i in RxInput}


@given(st.sampled_from(list(RxState)), st.sampled_from(list(RxInput)))
def test_rx_table_sweep(state: RxState, event: RxInput) -> None:
    action, next_state = RX_TABLE[(state, event)]
    if action is RxAction.REPORT:
        # Only a packet that starts a press may report, and it leaves a press tracked.
        assert event in {RxInput.START, RxInput.START_END, RxInput.CONTINUE}
        assert next_state is not RxState.IDLE
    if event in {RxInput.UPDATE, RxInput.END, RxInput.STALE}:
        assert action is not RxAction.REPORT
    if event is RxInput.STALE:
        assert next_state is state


@given(
    st.lists(st.sampled_from("0123456789*#ABCD"), min_size=1, max_size=6),
    st.integers(0, 0xFFFFFFFF),
    st.randoms(use_true_random=False),
)
def test_receiver_exactly_one_digit_per_press_with_duplication(
    digits: list[str], start: int, rnd: random.Random
) -> None:
    """Any press sequence, with packets duplicated and adjacent updates swapped, yields the
    digits in order, once each, as long as each press's first packet arrives first."""
    rx = DtmfReceiver()
    got: list[str] = []
    ts = start
    for digit in digits:
        pkts = list(telephone_event_packets(digit, rnd.choice([40, 60, 100, 200])))
        stream = [pkts[0]]
        for p in pkts[1:]:
            stream.append(p)
            if rnd.random() < 0.3:
                stream.append(p)  # network duplicate
        for i in range(1, len(stream) - 1):
            if rnd.random() < 0.2:
                stream[i], stream[i + 1] = stream[i + 1], stream[i]
        for p in stream:
            d = rx.feed(ts & 0xFFFFFFFF, p.marker, p.payload)
            if d is not None:
                got.append(d.digit)
        ts += 8000
    assert got == digits


def test_receiver_same_digit_again_with_start_and_end_lost() -> None:
    """Press 1 loses its end packets, press 2 of the same key loses its marker packet: two
    presses, because a continuation must follow a segment that reached 0xFFFF."""
    rx = DtmfReceiver()
    first = telephone_event_packets("8", 200)
    for p in first[:5]:
        rx.feed(0, p.marker, p.payload)
    second = telephone_event_packets("8", 200)
    got = [rx.feed(4000, p.marker, p.payload) for p in second[1:]]
    assert [d.digit for d in got if d] == ["8"]
