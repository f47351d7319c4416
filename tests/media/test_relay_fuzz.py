"""Whatever arrives on a media port, the relay never raises (Hypothesis, no sockets needed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.media.relay import Bridge
from centrex.media.sdp_rewrite import stream_params
from centrex.media.session import MediaLeg
from tests.media.phones import rtp, sdp

PHONE_A = ("127.0.0.1", 4000)


class Sink:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def sendto(self, data: bytes | bytearray, addr: tuple[str, int]) -> None:
        self.sent.append(bytes(data))


def bridged_pair(b_pt: int = 8) -> tuple[MediaLeg, MediaLeg, Sink]:
    now = [100.0]
    a = MediaLeg("a", "127.0.0.1", 20000, monotonic=lambda: now[0], ssrc=1)
    b = MediaLeg("b", "127.0.0.1", 20002, monotonic=lambda: now[0], ssrc=2)
    sink = Sink()
    for leg in (a, b):
        leg.rtp_transport = sink  # type: ignore[assignment]
        leg.rtcp_transport = sink  # type: ignore[assignment]
    pa = stream_params(sdp(4000, (0,)))
    pb = stream_params(sdp(4002, (b_pt,)))
    assert pa is not None
    assert pb is not None
    a.set_remote(pa)
    b.set_remote(pb)
    Bridge(a, b).start()
    return a, b, sink


@settings(max_examples=400, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_random_datagrams_never_raise(datagrams: list[bytes]) -> None:
    a, _b, sink = bridged_pair()
    rtp_proto, rtcp_proto = a.protocols()
    for data in datagrams:
        rtp_proto.datagram_received(data, PHONE_A)  # type: ignore[attr-defined]
        rtcp_proto.datagram_received(data, PHONE_A)  # type: ignore[attr-defined]
    snap = a.snapshot()
    accounted = snap.packets_in + snap.garbage + snap.foreign + snap.rtcp_in + snap.rtcp_garbage
    assert accounted >= len(datagrams)
    # Still relays afterwards.
    before = len(sink.sent)
    rtp_proto.datagram_received(rtp(0, 7, 160, 9, bytes(160)), PHONE_A)  # type: ignore[attr-defined]
    assert len(sink.sent) == before + 1 or a.latched != PHONE_A


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 127),
    st.integers(0, 15),
    st.booleans(),
    st.booleans(),
    st.binary(max_size=80),
)
def test_rtp_shaped_packets_with_any_header_bits(
    pt: int, cc: int, extension: bool, padding: bool, tail: bytes
) -> None:
    """Valid version, arbitrary CSRC count / extension / padding bits and truncated bodies."""
    a, _b, _sink = bridged_pair()
    b0 = 0x80 | (0x20 if padding else 0) | (0x10 if extension else 0) | cc
    data = bytes((b0, pt)) + bytes(10) + tail
    rtp_proto, _ = a.protocols()
    rtp_proto.datagram_received(data, PHONE_A)  # type: ignore[attr-defined]
    rtp_proto.datagram_received(data, PHONE_A)  # type: ignore[attr-defined]


def test_a_broken_tap_is_counted_and_the_relay_goes_on(caplog: object) -> None:
    a, _b, sink = bridged_pair(b_pt=0)

    def broken(data: bytes, pt: int, ts: int) -> None:
        raise RuntimeError("bug in an app tap")

    a.taps.append(broken)
    rtp_proto, _ = a.protocols()
    for seq in range(5):
        rtp_proto.datagram_received(rtp(0, seq, 160 * seq, 9, bytes(160)), PHONE_A)  # type: ignore[attr-defined]
    assert a.errors == 5
    a.taps.clear()
    rtp_proto.datagram_received(rtp(0, 5, 800, 9, bytes(160)), PHONE_A)  # type: ignore[attr-defined]
    assert len(sink.sent) == 1
