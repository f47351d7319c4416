"""Per-packet cost of the Opus <-> G.711 transcoder (issue 14 item 4, browser legs).

Run (numbers go to docs/performance.md, section "Opus <-> G.711 transcoding per packet"):

    .venv/bin/python bench/media/opus_transcode_bench.py [--packets 10000] [--repeat 5]

No sockets: the Python work per 20 ms packet of a 1 kHz tone, what the relay's
`PcmBridge.rewrite` costs in each direction when a browser leg negotiated Opus and the other
leg G.711 (PCMU): Opus decode (libopus at 48 kHz) + libswresample to 8 kHz + G.711 tables,
or G.711 tables + libopus encode from 8 kHz, plus the header relabel and the 48 kHz <-> 8 kHz
timestamp rescale (`RtpClock`). Also the bare codec calls, and the Opus <-> Opus relay for
comparison: there the packet is forwarded untouched and none of this runs.
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

from centrex.media.codecs import OPUS, PCMU, PcmBridge, RtpClock


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
    print(f"{label:<52} {min(times) / packets * 1e6:7.1f} us/packet")


def _cases(n: int) -> list[tuple[str, Callable[[], None]]]:
    frames = _tone_frames(50)
    encoder = OPUS.new_stream()
    opus = [encoder.encode(f) for f in frames]
    opus_packets = [
        bytearray(struct.pack("!BBHII", 0x80, 111, i, 960 * i, 0x1234) + p)
        for i, p in enumerate(opus)
    ]
    ulaw_packets = [
        bytearray(struct.pack("!BBHII", 0x80, 0, i, 160 * i, 0x5678) + PCMU.encode(f))
        for i, f in enumerate(frames)
    ]

    def encode() -> None:
        codec = OPUS.new_stream()
        for i in range(n):
            codec.encode(frames[i % 50])

    def decode() -> None:
        codec = OPUS.new_stream()
        for i in range(n):
            codec.decode(opus[i % 50])

    def to_pcmu() -> None:
        bridge = PcmBridge(OPUS, PCMU, RtpClock(48000, 8000))
        for i in range(n):
            bridge.rewrite(opus_packets[i % 50], 0)

    def to_opus() -> None:
        bridge = PcmBridge(PCMU, OPUS, RtpClock(8000, 48000))
        for i in range(n):
            bridge.rewrite(ulaw_packets[i % 50], 111)

    return [
        ("OpusCodec.encode (8 kHz in, libopus)", encode),
        ("OpusCodec.decode (libopus 48 kHz, resample to 8 kHz)", decode),
        ("relay transcoder Opus -> PCMU (PcmBridge.rewrite)", to_pcmu),
        ("relay transcoder PCMU -> Opus (PcmBridge.rewrite)", to_opus),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for label, work in _cases(args.packets):
        _best(label, work, args.packets, args.repeat)


if __name__ == "__main__":
    main()
