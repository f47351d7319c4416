"""The per-leg edge without sockets: RFC 7983 demux by first byte, keys gate media both ways."""

from __future__ import annotations

import struct
import time
from typing import Any

import pytest

from centrex.media.rtcp import ReceiverReport, Sdes, build_compound
from centrex.media.sdp_rewrite import stream_params
from centrex.media.session import MediaLeg
from centrex.media.webrtc.dtls import DtlsCertificate
from centrex.media.webrtc.ice import IceCredentials
from centrex.media.webrtc.leg import WebRtcEdge
from centrex.media.webrtc.srtp import SrtpContext, SrtpProfile
from centrex.media.webrtc.stun import Attr, StunClass, StunMethod, build, parse

BROWSER = ("127.0.0.9", 50000)
STRANGER = ("127.0.0.10", 50000)
CREDS = IceCredentials("ours", "ourpassword0123456789xyz")
KEY_A, KEY_B = bytes(range(30)), bytes(range(50, 80))


class FakeSocket:
    """Stands in for the asyncio datagram transport the engine bound."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.closed = 0

    def get_protocol(self) -> Any:
        return self.protocol

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((bytes(data), addr))

    def close(self) -> None:
        self.closed += 1


@pytest.fixture(scope="module")
def cert() -> DtlsCertificate:
    return DtlsCertificate()


def browser_leg(cert: DtlsCertificate) -> tuple[MediaLeg, WebRtcEdge, FakeSocket, FakeSocket]:
    leg = MediaLeg("w", "127.0.0.1", 40000, monotonic=time.monotonic, ssrc=7)
    rtp_proto, rtcp_proto = leg.protocols()
    rtp, rtcp = FakeSocket(rtp_proto), FakeSocket(rtcp_proto)
    leg.rtp_transport = rtp  # type: ignore[assignment]
    leg.rtcp_transport = rtcp  # type: ignore[assignment]
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n"
        "m=audio 50000 RTP/AVP 0\r\na=rtcp-mux\r\n"
    )
    params = stream_params(sdp)
    assert params is not None
    leg.set_remote(params)
    edge = WebRtcEdge(leg, cert, lambda _d, _f: _Timer(), CREDS)
    leg.webrtc = edge
    edge.install()
    edge.install()  # idempotent
    return leg, edge, rtp, rtcp


class _Timer:
    def cancel(self) -> None:
        return None


def feed(sock: FakeSocket, data: bytes, addr: tuple[str, int]) -> None:
    sock.protocol.datagram_received(data, addr)


def check(nominate: bool = True) -> bytes:
    attrs = [(Attr.USERNAME, b"ours:theirs")] + ([(Attr.USE_CANDIDATE, b"")] if nominate else [])
    return build(
        StunMethod.BINDING, StunClass.REQUEST, bytes(12), attrs, integrity_key=CREDS.pwd.encode()
    )


def rtp(seq: int) -> bytes:
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x55) + b"\xff" * 160


def test_stun_is_answered_and_latches_the_leg(cert: DtlsCertificate) -> None:
    leg, edge, sock, _ = browser_leg(cert)
    feed(sock, check(), BROWSER)
    assert parse(sock.sent[-1][0]).cls is StunClass.SUCCESS
    assert sock.sent[-1][1] == BROWSER
    assert (leg.latched, leg.send_addr, leg.rtcp_addr) == (BROWSER, BROWSER, BROWSER)
    assert edge.counters().stun_binding_requests == 1


def test_demux_by_first_byte_refuses_what_has_no_place(cert: DtlsCertificate) -> None:
    leg, _edge, sock, _ = browser_leg(cert)
    feed(sock, check(), BROWSER)
    feed(sock, b"\x16\xfe\xfd" + bytes(20), STRANGER)  # DTLS not from the selected address
    feed(sock, rtp(1), BROWSER)  # RTP before any key
    feed(sock, b"\x45" + bytes(30), BROWSER)  # 64..127: nothing of ours (RFC 7983)
    feed(sock, b"", BROWSER)
    assert leg.foreign == 2
    assert leg.garbage == 2
    assert leg.packets_in == 0


def test_keys_gate_media_both_ways(cert: DtlsCertificate) -> None:
    leg, edge, sock, rtcp = browser_leg(cert)
    feed(sock, check(), BROWSER)
    assert leg.rtp_transport is leg.rtcp_transport  # rtcp-mux
    leg.rtp_transport.sendto(rtp(1), BROWSER)  # type: ignore[union-attr]
    assert edge.unsent == 1  # never plain RTP to a browser
    centrex = SrtpContext(SrtpProfile.AES_CM_128_HMAC_SHA1_80, tx_key=KEY_A, rx_key=KEY_B)
    browser = SrtpContext(SrtpProfile.AES_CM_128_HMAC_SHA1_80, tx_key=KEY_B, rx_key=KEY_A)
    edge.srtp = centrex
    feed(sock, browser.protect(rtp(2)) or b"", BROWSER)
    assert leg.packets_in == 1  # decrypted and counted by the plain leg code
    feed(sock, browser.protect(rtp(3)) or b"", STRANGER)
    assert leg.packets_in == 1
    sent_before = len(sock.sent)
    leg.rtp_transport.sendto(rtp(4), BROWSER)  # type: ignore[union-attr]
    out, addr = sock.sent[sent_before]
    assert addr == BROWSER
    assert browser.unprotect(out) == rtp(4)
    rr = build_compound((ReceiverReport(0x55), Sdes.with_cname(0x55, "browser")))
    feed(sock, browser.protect_rtcp(rr) or b"", BROWSER)
    assert leg.rtcp_in == 1  # SRTCP on the RTP port (RFC 5761)
    feed(sock, (browser.protect(rtp(5)) or b"")[:-1] + b"\x00", BROWSER)
    assert edge.counters().srtp_auth_failures == 1
    leg.close()
    assert (sock.closed, rtcp.closed) == (1, 1)  # the muxed wrapper closes each socket once
