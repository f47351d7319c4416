"""Per-packet cost of Centrex's relay code alone, without sockets (DESIGN.md habit 11).

Run: .venv/bin/python bench/media/relay_hotpath.py [--packets 300000]

Feeds 172-byte G.711 packets straight into the RTP protocol's `datagram_received` of a bridged
leg whose peer has a no-op transport, so the number is the Python work between the socket read
and the socket write: latch check, header unpack, RFC 3550 receive statistics, payload-type
route, copy, optional µ-law -> A-law translate, header rewrite. The socket and event-loop cost
is measured by relay_bench.py (--bare gives the trivial forwarder for comparison).
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


class _NullTransport:
    def sendto(self, data: bytes | bytearray, addr: tuple[str, int]) -> None:
        return None


def _sdp(port: int, pt: int) -> bytes:
    name = {0: "PCMU", 8: "PCMA"}[pt]
    return (
        f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP {pt} 101\r\na=rtpmap:{pt} {name}/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
    ).encode()


def measure(b_pt: int, packets: int) -> float:
    a = MediaLeg("a", "127.0.0.1", 20000, monotonic=time.monotonic, ssrc=1)
    b = MediaLeg("b", "127.0.0.1", 20002, monotonic=time.monotonic, ssrc=2)
    a.rtp_transport = _NullTransport()  # type: ignore[assignment]
    b.rtp_transport = _NullTransport()  # type: ignore[assignment]
    pa, pb = stream_params(_sdp(4000, 0)), stream_params(_sdp(4002, b_pt))
    assert pa is not None
    assert pb is not None
    a.set_remote(pa)
    b.set_remote(pb)
    Bridge(a, b).start()
    protocol, _ = a.protocols()
    addr = ("127.0.0.1", 4000)
    # A whole sequence-number cycle, so the stream stays in order across rounds (seq wraps).
    batch = [struct.pack("!BBHII", 0x80, 0, i, i * 160, 99) + bytes(160) for i in range(65536)]
    rounds = max(1, packets // len(batch))
    start = time.perf_counter()
    for _ in range(rounds):
        for packet in batch:
            protocol.datagram_received(packet, addr)
    elapsed = time.perf_counter() - start
    assert b.packets_out == rounds * len(batch)
    return elapsed / (rounds * len(batch)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="relay per-packet cost")
    parser.add_argument("--packets", type=int, default=655_360)
    args = parser.parse_args()
    for label, pt in (("plain relay (PCMU -> PCMU)", 0), ("transcode (PCMU -> PCMA)", 8)):
        us = measure(pt, args.packets)
        print(f"{label:<30} {us:6.2f} us/packet   {1e6 / us:>10,.0f} packets/s")


if __name__ == "__main__":
    main()
