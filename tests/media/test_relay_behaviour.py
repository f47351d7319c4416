"""Relay behaviour: NAT latching, RFC 4733 mapping, hold, garbage and RTCP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from centrex.media.dtmf import TelephoneEvent
from centrex.media.rtcp import (
    ReceiverReport,
    ReportBlock,
    Sdes,
    SenderReport,
    build_compound,
    parse_compound,
)
from centrex.media.session import LatchPolicy
from tests.media.phones import (
    LOOPBACK,
    Phone,
    bridged_call,
    make_engine,
    rtp,
    sdp,
    wait_until,
)

PAYLOAD = bytes(range(160))


@pytest.fixture
async def phones() -> AsyncIterator[tuple[Phone, Phone]]:
    a = await Phone.open()
    b = await Phone.open()
    yield a, b
    a.close()
    b.close()


async def test_latches_to_the_nat_source_port(phones: tuple[Phone, Phone]) -> None:
    """The SDP names a private address/port; RTP comes from the NAT's mapping and goes back."""
    engine, _ = make_engine()
    pa, pb = phones
    nat = await Phone.open()  # the NAT's public port for phone A
    try:
        a = await engine.allocate("a")
        # A's SDP: a "private" address (another loopback address, nothing listens there).
        offer = sdp(4000, (0,), address="127.0.0.9")
        engine.set_remote(a, offer, signalling_host=LOOPBACK)
        b = await engine.allocate("b")
        engine.offer_for(b, offer)
        engine.set_remote(b, sdp(pb.port))
        engine.answer_for(a, offer, peer=b)
        engine.bridge(a, b)
        assert a.send_addr == ("127.0.0.9", 4000)
        nat.send(rtp(0, 1, 160, 7, PAYLOAD), (LOOPBACK, a.rtp_port))
        await pb.wait_for(1)
        assert a.latched == nat.address
        pb.send(rtp(0, 1, 160, 8, PAYLOAD), (LOOPBACK, b.rtp_port))
        got = await nat.wait_for(1)
        assert got[0].payload == PAYLOAD
        assert pa.received == []
    finally:
        nat.close()
        await engine.close()


async def test_strict_latching_ignores_strangers_lenient_accepts(
    phones: tuple[Phone, Phone],
) -> None:
    pa, pb = phones
    stranger = await Phone.open("127.0.0.2")
    try:
        for policy, accepted in ((LatchPolicy.EXPECTED_HOSTS, False), (LatchPolicy.ANY, True)):
            engine, _ = make_engine(latch_policy=policy)
            a, _b = await bridged_call(engine, pa, pb)
            stranger.send(rtp(0, 1, 160, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
            if accepted:
                await wait_until(lambda a=a: a.latched is not None)
                assert a.latched == stranger.address
            else:
                await wait_until(lambda a=a: a.foreign == 1)
                assert a.latched is None
                assert a.packets_in == 0
            await engine.close()
    finally:
        stranger.close()


async def test_relatch_after_the_latched_source_went_silent(phones: tuple[Phone, Phone]) -> None:
    engine, clock = make_engine()
    pa, pb = phones
    moved = await Phone.open()  # phone A after a NAT rebinding
    try:
        a, _b = await bridged_call(engine, pa, pb)
        pa.send(rtp(0, 1, 160, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
        await wait_until(lambda: a.latched == pa.address)
        moved.send(rtp(0, 2, 320, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
        await wait_until(lambda: a.foreign == 1)  # too soon: still the old source
        clock.advance(a.relatch_after + 0.1)
        moved.send(rtp(0, 3, 480, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
        await wait_until(lambda: a.latched == moved.address)
        assert a.relatched == 1
    finally:
        moved.close()
        await engine.close()


async def test_rfc4733_events_cross_with_payload_type_mapping(
    phones: tuple[Phone, Phone],
) -> None:
    engine, _ = make_engine()
    pa, pb = phones
    a, b = await bridged_call(engine, pa, pb, a_te=101, b_te=96)
    events = [
        TelephoneEvent(5, False, 10, 160).serialize(),
        TelephoneEvent(5, False, 10, 320).serialize(),
        TelephoneEvent(5, True, 10, 480).serialize(),
    ]
    for i, event in enumerate(events):
        pa.send(rtp(101, i, 8000, 4, event, marker=i == 0), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(3)
    assert [p.payload_type for p in got] == [96, 96, 96]
    assert [p.payload for p in got] == events
    assert got[0].marker
    assert len({p.timestamp for p in got}) == 1  # one event, one timestamp (RFC 4733 §2.5.1)

    for i, event in enumerate(events):
        pb.send(rtp(96, i, 0, 5, event), (LOOPBACK, b.rtp_port))
    back = await pa.wait_for(3)
    assert [p.payload_type for p in back] == [101, 101, 101]
    await engine.close()


async def test_events_are_dropped_when_the_far_side_has_no_telephone_event(
    phones: tuple[Phone, Phone],
) -> None:
    engine, _ = make_engine()
    pa, pb = phones
    a, _b = await bridged_call(engine, pa, pb, a_te=101, b_te=None)
    pa.send(rtp(101, 1, 0, 4, TelephoneEvent(1).serialize()), (LOOPBACK, a.rtp_port))
    pa.send(rtp(0, 2, 160, 4, PAYLOAD), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(1)
    assert got[0].payload_type == 0
    assert a.dropped == 1
    await engine.close()


async def test_hold_stops_forwarding_toward_the_held_side_and_a_player_fills_in(
    phones: tuple[Phone, Phone],
) -> None:
    engine, clock = make_engine()
    pa, pb = phones
    a, b = await bridged_call(engine, pa, pb)
    pa.send(rtp(0, 1, 160, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
    await pb.wait_for(1)

    # B holds: its re-INVITE says sendonly (RFC 3264 §8.4), so nothing may go toward B.
    engine.set_remote(b, sdp(pb.port, direction="sendonly"))
    assert engine.bridges["a"].forwarding == (False, True)
    for seq in range(2, 7):
        pa.send(rtp(0, seq, 160 * seq, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
    pb.send(rtp(0, 1, 160, 9, PAYLOAD), (LOOPBACK, b.rtp_port))  # B -> A still flows
    await pa.wait_for(1)
    await wait_until(lambda: a.packets_in == 6)
    assert b.packets_out == 1
    assert len(pb.received) == 1

    # B resumes; A holds with inactive, and music on hold plays to B (the held party).
    engine.set_remote(b, sdp(pb.port))
    engine.set_remote(a, sdp(pa.port, direction="inactive"))
    assert engine.bridges["a"].forwarding == (False, False)
    player = engine.play(b, bytes(320 * 3))
    for _ in range(4):
        clock.advance(0.02)
        engine.ticker.run_due(clock.monotonic())
    assert not player.playing
    got = await pb.wait_for(4)
    assert {p.ssrc for p in got} == {b.out.ssrc}
    engine.set_remote(a, sdp(pa.port))
    assert engine.bridges["a"].forwarding == (True, True)
    await engine.close()


async def test_garbage_is_counted_dropped_and_the_relay_keeps_working(
    phones: tuple[Phone, Phone],
) -> None:
    engine, _ = make_engine()
    pa, pb = phones
    a, _b = await bridged_call(engine, pa, pb)
    junk = [b"", b"hello", b"\x00" * 40, b"\x80\x00\x00", b"\x40" + bytes(30)]
    for data in junk:
        pa.send(data, (LOOPBACK, a.rtp_port))
    await wait_until(lambda: a.garbage == len(junk) - 1 or a.garbage == len(junk))
    assert a.latched is None  # junk never latches
    pa.send(rtp(0, 1, 160, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(1)
    assert got[0].payload == PAYLOAD
    for data in junk:
        pa.send(data, (LOOPBACK, a.rtp_port))  # now from the latched source
    pa.send(rtp(0, 2, 320, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
    await pb.wait_for(2)
    assert a.snapshot().garbage >= 2 * len(junk) - 2
    await engine.close()


async def test_rtcp_is_counted_parsed_and_reports_are_generated(
    phones: tuple[Phone, Phone],
) -> None:
    engine, clock = make_engine()
    pa, pb = phones
    a, b = await bridged_call(engine, pa, pb)
    for seq in range(5):
        pa.send(rtp(0, seq, 160 * seq, 0x77, PAYLOAD), (LOOPBACK, a.rtp_port))
    await pb.wait_for(5)
    sr = SenderReport(0x77, 1 << 40, 800, 5, 800)
    rr = ReceiverReport(0x77, (ReportBlock(a.out.ssrc, fraction_lost=64, jitter=80),))
    pa.send(build_compound((sr, rr, Sdes.with_cname(0x77, "a@x"))), (LOOPBACK, a.rtcp_port))
    pa.send(b"\x81\xc9\x00\x09junk", (LOOPBACK, a.rtcp_port))
    await wait_until(lambda: a.rtcp_in == 1 and a.rtcp_garbage == 1)
    snap = a.snapshot()
    assert snap.remote_fraction_lost == 0.25
    assert snap.remote_jitter_ms == 10.0

    # B got media from us: its report is an SR; A sent to us: its report block covers 0x77.
    report_b = parse_compound(b.rtcp_report(clock.monotonic(), 1.7e9))
    assert isinstance(report_b[0], SenderReport)
    assert report_b[0].packet_count == 5
    report_a = parse_compound(a.rtcp_report(clock.monotonic(), 1.7e9))
    assert isinstance(report_a[0], ReceiverReport)
    assert report_a[0].reports[0].ssrc == 0x77
    assert isinstance(report_a[1], Sdes)

    # The report timer on the ticker sends to the party's RTCP port (latched symmetric RTCP).
    for _ in range(500):
        clock.advance(0.02)
        engine.ticker.run_due(clock.monotonic())
    assert a.rtcp_out >= 1
    assert a.rtcp_addr == pa.address
    await engine.close()


async def test_rtcp_mux_on_the_rtp_port_and_old_style_hold(phones: tuple[Phone, Phone]) -> None:
    engine, _ = make_engine()
    pa, pb = phones
    a, b = await bridged_call(engine, pa, pb)
    pa.send(rtp(0, 1, 160, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
    await pb.wait_for(1)
    mux = build_compound((ReceiverReport(3), Sdes.with_cname(3, "a")))
    pa.send(mux, (LOOPBACK, a.rtp_port))  # RFC 5761 rtcp-mux
    await wait_until(lambda: a.rtcp_in == 1)
    assert a.packets_in == 1
    assert a.stats.ssrc == 3  # the RTCP packet did not restart the receive statistics
    # RFC 2543 hold: c=0.0.0.0 stops media toward B although the direction says sendrecv.
    engine.set_remote(b, sdp(pb.port, address="0.0.0.0"))
    assert engine.bridges["a"].forwarding == (False, True)
    assert b.send_addr == (LOOPBACK, pb.port)
    await engine.close()


async def test_releasing_a_leg_finishes_its_recording(tmp_path: object) -> None:
    from pathlib import Path

    from tests.media.phones import manual_ticks

    engine, clock = make_engine()
    leg = await engine.allocate()
    engine.set_remote(leg, sdp(4000))
    assert isinstance(tmp_path, Path)
    recorder = engine.record(leg, tmp_path / "r.wav", max_seconds=60)
    manual_ticks(engine, clock, 10)
    engine.release(leg)
    manual_ticks(engine, clock, 1)
    assert recorder.done.is_set()
    assert recorder.duration == 0.2
    await engine.close()


async def test_release_sends_an_rtcp_bye(phones: tuple[Phone, Phone]) -> None:
    from centrex.media.rtcp import Bye

    engine, _ = make_engine()
    pa, pb = phones
    rtcp_b = await Phone.open()
    try:
        a, b = await bridged_call(engine, pa, pb)
        b.rtcp_addr = rtcp_b.address  # as if B's SDP had a=rtcp pointing there
        pa.send(rtp(0, 1, 160, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
        await pb.wait_for(1)
        engine.release(b)
        await wait_until(lambda: bool(rtcp_b.received))
        packets = parse_compound(rtcp_b.received[0][0])
        assert isinstance(packets[-1], Bye)
        assert packets[-1].ssrcs == (b.out.ssrc,)
        assert engine.bridges == {}
        assert a.route is None
    finally:
        rtcp_b.close()
        await engine.close()


async def test_digits_on_a_bridged_leg_are_reported_and_still_relayed(
    phones: tuple[Phone, Phone],
) -> None:
    from centrex.media.dtmf import telephone_event_packets

    engine, _ = make_engine()
    pa, pb = phones
    a, _b = await bridged_call(engine, pa, pb)
    seen: list[str] = []
    listener = engine.watch_digits(a, seen.append)
    seq = 0
    for n, digit in enumerate("*2"):
        for packet in telephone_event_packets(digit, 60):
            data = rtp(101, seq, 8000 * (n + 1), 6, packet.payload, packet.marker)
            pa.send(data, (LOOPBACK, a.rtp_port))
            seq += 1
    await pb.wait_for(seq)  # the events also reach B (RFC 4733 pass-through)
    assert seen == ["*", "2"]
    listener.close()
    listener.close()
    assert a.taps == []
    await engine.close()


async def test_a_reinvite_to_a_new_address_drops_the_latch(phones: tuple[Phone, Phone]) -> None:
    """After a transfer the leg's party is another device: no 2 s wait for the old one."""
    engine, _ = make_engine()
    pa, pb = phones
    transferred = await Phone.open()
    try:
        a, b = await bridged_call(engine, pa, pb)
        pa.send(rtp(0, 1, 160, 3, PAYLOAD), (LOOPBACK, a.rtp_port))
        await wait_until(lambda: a.latched == pa.address)
        engine.set_remote(a, sdp(transferred.port))
        assert a.latched is None
        assert a.send_addr == transferred.address
        transferred.send(rtp(0, 9, 900, 4, PAYLOAD), (LOOPBACK, a.rtp_port))
        await wait_until(lambda: a.latched == transferred.address)
        pb.send(rtp(0, 1, 160, 5, PAYLOAD), (LOOPBACK, b.rtp_port))
        await transferred.wait_for(1)
        assert a.relatched == 0
        # A hold re-INVITE (c=0.0.0.0) keeps the latch.
        engine.set_remote(a, sdp(transferred.port, address="0.0.0.0"))
        assert a.latched == transferred.address
    finally:
        transferred.close()
        await engine.close()
