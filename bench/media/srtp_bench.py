"""Per-packet cost of SRTP on a browser leg, without sockets (DESIGN.md habit 11).

Run (numbers go to docs/performance.md, section "SRTP per packet"):

    .venv/bin/python bench/media/srtp_bench.py [--packets 200000] [--repeat 5]

Two measurements on 172-byte G.711 packets:

* `SrtpContext` alone: protect and unprotect per packet for the two DTLS-SRTP profiles Centrex
  offers (AEAD_AES_128_GCM, which browsers and aiortc pick, and AES_CM_128_HMAC_SHA1_80).
* The relay path, as `relay_hotpath.py` measures it, three ways: plain RTP -> plain RTP (the
  baseline, unchanged by WebRTC), browser -> phone (the edge's RFC 7983 demux + SRTP unprotect,
  then the plain relay) and phone -> browser (the plain relay, then SRTP protect on the way out).
  Inputs are protected beforehand with one increasing index each, so no packet is a replay.
"""

from __future__ import annotations

import argparse
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from centrex.media.relay import Bridge
from centrex.media.sdp_rewrite import stream_params
from centrex.media.session import MediaLeg
from centrex.media.webrtc.dtls import DtlsCertificate
from centrex.media.webrtc.leg import WebRtcEdge, _EdgeProtocol, _SecureTransport
from centrex.media.webrtc.srtp import SrtpContext, SrtpProfile

ADDR = ("127.0.0.1", 4000)


class _NullTransport:
    def sendto(self, data: bytes | bytearray, addr: tuple[str, int] | None = None) -> None:
        return None

    def close(self) -> None:
        return None


def _sdp(port: int) -> bytes:
    return (
        f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
    ).encode()


def _packets(count: int) -> list[bytes]:
    return [
        struct.pack("!BBHII", 0x80, 0, i & 0xFFFF, (i * 160) & 0xFFFFFFFF, 99) + bytes(160)
        for i in range(count)
    ]


def _pair(profile: SrtpProfile) -> tuple[SrtpContext, SrtpContext]:
    n = profile.key_length + profile.salt_length
    one, two = bytes(range(n)), bytes(range(100, 100 + n))
    return SrtpContext(profile, tx_key=one, rx_key=two), SrtpContext(
        profile, tx_key=two, rx_key=one
    )


def context_cost(profile: SrtpProfile, packets: list[bytes]) -> tuple[float, float]:
    sender, receiver = _pair(profile)
    start = time.perf_counter()
    protected = [sender.protect(p) for p in packets]
    middle = time.perf_counter()
    for p in protected:
        receiver.unprotect(p)  # type: ignore[arg-type]
    end = time.perf_counter()
    assert receiver.packets_in == len(packets)
    n = len(packets)
    return (middle - start) / n * 1e6, (end - middle) / n * 1e6


def _legs() -> tuple[MediaLeg, MediaLeg]:
    a = MediaLeg("a", "127.0.0.1", 20000, monotonic=time.monotonic, ssrc=1)
    b = MediaLeg("b", "127.0.0.1", 20002, monotonic=time.monotonic, ssrc=2)
    a.rtp_transport = _NullTransport()  # type: ignore[assignment]
    b.rtp_transport = _NullTransport()  # type: ignore[assignment]
    for leg, port in ((a, 4000), (b, 4002)):
        params = stream_params(_sdp(port))
        assert params is not None
        leg.set_remote(params)
    return a, b


def _browser(leg: MediaLeg, cert: DtlsCertificate, ctx: SrtpContext) -> WebRtcEdge:
    edge = WebRtcEdge(leg, cert, lambda _delay, _fn: _NullTimer())
    edge.srtp = ctx
    edge.ice.selected = ADDR
    leg.latch(ADDR)
    leg.webrtc = edge
    return edge


class _NullTimer:
    def cancel(self) -> None:
        return None


def relay_cost(mode: str, packets: list[bytes], cert: DtlsCertificate) -> float:
    a, b = _legs()
    browser_ctx, centrex_ctx = _pair(SrtpProfile.AEAD_AES_128_GCM)
    inputs = packets
    if mode == "browser->phone":
        _browser(a, cert, centrex_ctx)
        inputs = [browser_ctx.protect(p) or b"" for p in packets]
    elif mode == "phone->browser":
        edge = _browser(b, cert, centrex_ctx)
        b.rtp_transport = _SecureTransport(edge, _NullTransport(), None)  # type: ignore[arg-type,assignment]
    Bridge(a, b).start()
    inner, _ = a.protocols()
    protocol = _EdgeProtocol(a.webrtc, inner) if a.webrtc is not None else inner
    start = time.perf_counter()
    for packet in inputs:
        protocol.datagram_received(packet, ADDR)
    elapsed = time.perf_counter() - start
    assert b.packets_out == len(inputs), (mode, b.packets_out)
    return elapsed / len(inputs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="SRTP per-packet cost")
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs (shared machine)")
    args = parser.parse_args()
    packets = _packets(args.packets)
    for profile in (SrtpProfile.AEAD_AES_128_GCM, SrtpProfile.AES_CM_128_HMAC_SHA1_80):
        runs = [context_cost(profile, packets) for _ in range(args.repeat)]
        protect, unprotect = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"{profile.name:<26} protect {protect:5.2f} us  unprotect {unprotect:5.2f} us")
    cert = DtlsCertificate()
    for mode in ("plain->plain", "browser->phone", "phone->browser"):
        us = min(relay_cost(mode, packets, cert) for _ in range(args.repeat))
        print(f"relay {mode:<20} {us:6.2f} us/packet   {1e6 / us:>10,.0f} packets/s")


if __name__ == "__main__":
    main()
