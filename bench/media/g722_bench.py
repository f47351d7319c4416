"""Per-packet cost of G.722 (issue 14 item 4): the codec glue and the relay's transcoder.

Run (numbers go to docs/performance.md, section "G.722 and SDES per packet"):

    .venv/bin/python bench/media/g722_bench.py [--packets 20000] [--repeat 5]

No sockets: the Python work per 20 ms packet of a 1 kHz tone. Measures `G722Codec.encode`
and `decode` at their 8 kHz face (PyAV's adpcm_g722 plus libswresample), the relay's
`G711Bridge.rewrite` both ways (what a G.722 phone bridged to a G.711-only phone costs per
packet), and the SDES transport wrappers (`sdes._Protecting.sendto`, `_Unprotecting`) on
AES_CM_128_HMAC_SHA1_80, the suite desk phones use.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from centrex.media.codecs import PCMU, G711Bridge, G722Codec
from centrex.media.sdes import _Protecting, _Unprotecting
from centrex.media.webrtc.srtp import SrtpContext, SrtpProfile


def _tone_frames(count: int) -> list[bytes]:
    out = []
    for i in range(count):
        samples = [
            int(8000 * math.sin(2 * math.pi * 1000 * (i * 160 + n) / 8000)) for n in range(160)
        ]
        out.append(struct.pack("<160h", *samples))
    return out


def _best(label: str, work: Callable[[], None], packets: int, repeat: int) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    print(f"{label:<48} {min(times) / packets * 1e6:7.1f} us/packet")


class _Null:
    def sendto(self, data: bytes, addr: object = None) -> None:
        return None

    def datagram_received(self, data: bytes, addr: object) -> None:
        return None


def _codec_cases(n: int) -> list[tuple[str, Callable[[], None]]]:
    frames = _tone_frames(50)
    payloads = [G722Codec().encode(f) for f in frames]
    header = struct.pack("!BBHII", 0x80, 9, 1, 160, 0x1234)
    packets = [bytearray(header + p) for p in payloads]
    ulaw = [bytearray(header + PCMU.encode(f)) for f in frames]

    def encode() -> None:
        codec = G722Codec()
        for i in range(n):
            codec.encode(frames[i % 50])

    def decode() -> None:
        codec = G722Codec()
        for i in range(n):
            codec.decode(payloads[i % 50])

    def to_g711() -> None:
        bridge = G711Bridge(PCMU, to_g711=True)
        for i in range(n):
            bridge.rewrite(packets[i % 50], 0)

    def to_g722() -> None:
        bridge = G711Bridge(PCMU, to_g711=False)
        for i in range(n):
            bridge.rewrite(ulaw[i % 50], 9)

    return [
        ("G722Codec.encode (8 kHz in, resample + encode)", encode),
        ("G722Codec.decode (decode + resample, 8 kHz out)", decode),
        ("relay transcoder G.722 -> PCMU (rewrite)", to_g711),
        ("relay transcoder PCMU -> G.722 (rewrite)", to_g722),
    ]


def _srtp_cases(n: int) -> list[tuple[str, Callable[[], None]]]:
    key = bytes(range(30))
    profile = SrtpProfile.AES_CM_128_HMAC_SHA1_80
    packets = []
    for i in range(n):
        packets.append(struct.pack("!BBHII", 0x80, 0, i & 0xFFFF, 160 * i, 0x1234) + bytes(160))
    peer = SrtpContext(profile, tx_key=key, rx_key=key)
    protected = [peer.protect(p) for p in packets]

    def protect() -> None:
        context = SrtpContext(profile, tx_key=key, rx_key=key)
        sender = _Protecting(_Null(), context, rtcp=False)  # type: ignore[arg-type]
        for packet in packets:
            sender.sendto(packet, ("127.0.0.1", 4000))

    def unprotect() -> None:
        context = SrtpContext(profile, tx_key=key, rx_key=key)
        receiver = _Unprotecting(_Null(), context, rtcp=False)
        for data in protected:
            receiver.datagram_received(data, ("127.0.0.1", 4000))  # type: ignore[arg-type]

    return [
        ("SDES protect wrapper (AES_CM_128_HMAC_SHA1_80)", protect),
        ("SDES unprotect wrapper (AES_CM_128_HMAC_SHA1_80)", unprotect),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for label, work in _codec_cases(args.packets):
        _best(label, work, args.packets, args.repeat)
    for label, work in _srtp_cases(args.packets):  # a fresh context per run: no replays
        _best(label, work, args.packets, args.repeat)


if __name__ == "__main__":
    main()
