"""Micro-benchmark of the media engine's pure hot paths (DESIGN.md habit 11).

Run: .venv/bin/python bench/media_micro.py [--seconds 1.0]

Measures, on one core, operations per second of:
  * the relay per-packet path: `peek` (pt/seq/ts/ssrc) + `rewrite_header` on a 172-byte G.711
    packet held in a bytearray (what the relay does between a socket read and a socket write),
    `StreamRewriter.rewrite` and `translate_payload` (in-place PCMU->PCMA);
  * a full `RtpPacket.parse` for comparison;
  * G.711 PCMU->PCMA transcode of a 160-byte payload (`bytes.translate`), and encode/decode;
  * `ReceiveStats.update` (RFC 3550 A.1/A.8 accounting per packet) and `DtmfReceiver.feed`;
  * the in-band DTMF detector on 20 ms frames: a DTMF tone (full Goertzel work) and silence
    (the energy gate).
Numbers are for docs/performance.md; tests never assert on timing.
"""

from __future__ import annotations

import argparse
import math
import platform
import struct
import time
from collections.abc import Callable

from centrex.media import rtp
from centrex.media.codecs import g711
from centrex.media.dtmf import (
    DtmfReceiver,
    InbandDtmfDetector,
    dtmf_frequencies,
    telephone_event_packets,
)
from centrex.media.jitter import ReceiveStats
from centrex.media.pcm import amplitude_for_dbm0


def measure(name: str, fn: Callable[[], object], seconds: float, unit: str = "ops") -> float:
    """Run `fn` in batches until `seconds` have passed; return and print calls per second."""
    batch = 1
    while True:  # calibrate a batch that takes ~10 ms
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        if time.perf_counter() - start > 0.01:
            break
        batch *= 2
    calls = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(batch):
            fn()
        calls += batch
    rate = calls / elapsed
    print(f"{name:<48} {rate:>14,.0f} {unit}/s   {1e6 / rate:>9.2f} us/{unit[:-1] or unit}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    seconds: float = args.seconds

    print(f"python {platform.python_version()} on {platform.machine()} ({platform.system()})")
    packet = bytearray(rtp.RtpPacket(0, 1000, 160000, 0x1234, bytes(range(160))).serialize())
    assert len(packet) == 172

    def relay() -> None:
        rtp.peek(packet)
        rtp.rewrite_header(packet, 0xCAFE, 1, 160)

    measure("RTP peek + rewrite_header (172 B)", relay, seconds, "packets")
    rewriter = rtp.StreamRewriter(0xBEEF, initial_seq=1, initial_ts=1)
    measure(
        "RTP StreamRewriter.rewrite (172 B)",
        lambda: rewriter.rewrite(packet, 1.0),
        seconds,
        "packets",
    )
    ulaw_to_alaw = g711.ULAW_TO_ALAW
    measure(
        "RTP translate_payload PCMU->PCMA in place",
        lambda: rtp.translate_payload(packet, ulaw_to_alaw, 8),
        seconds,
        "packets",
    )
    frozen = bytes(packet)
    measure(
        "RTP full RtpPacket.parse (172 B)", lambda: rtp.RtpPacket.parse(frozen), seconds, "packets"
    )

    payload = bytes(range(96, 256))
    measure(
        "G.711 PCMU->PCMA translate (160 B)", lambda: g711.ulaw_to_alaw(payload), seconds, "frames"
    )
    n = 160
    amp = amplitude_for_dbm0(-10)
    pcm = struct.pack(
        f"<{n}h", *(round(amp * math.sin(2 * math.pi * 1000 * i / 8000)) for i in range(n))
    )
    measure("G.711 u-law encode (160 samples)", lambda: g711.ulaw_encode(pcm), seconds, "frames")
    measure(
        "G.711 u-law decode (160 samples)", lambda: g711.ulaw_decode(payload), seconds, "frames"
    )

    stats = ReceiveStats(0x1234)
    state = [0]

    def account() -> None:
        i = state[0] = state[0] + 1
        stats.update(i & 0xFFFF, (160 * i) & 0xFFFFFFFF, 0.02 * i, 160)

    measure("ReceiveStats.update", account, seconds, "packets")

    receiver = DtmfReceiver()
    events = [p.payload for p in telephone_event_packets("5", 100)]
    counter = [0]

    def rfc4733() -> None:
        k = counter[0] = counter[0] + 1
        receiver.feed(800 * (k // 7), k % 7 == 0, events[k % 7])

    measure("DtmfReceiver.feed (RFC 4733 packets)", rfc4733, seconds, "packets")

    row, col = dtmf_frequencies("5")
    tone_frames = [
        struct.pack(
            f"<{n}h",
            *(
                round(
                    amp
                    * (
                        math.sin(2 * math.pi * row * t / 8000)
                        + math.sin(2 * math.pi * col * t / 8000)
                    )
                )
                for t in range(k * n, (k + 1) * n)
            ),
        )
        for k in range(50)
    ]
    detector = InbandDtmfDetector()
    idx = [0]

    def detect_tone() -> None:
        idx[0] = (idx[0] + 1) % 50
        detector.feed(tone_frames[idx[0]])

    measure("Goertzel DTMF detector, tone (20 ms frames)", detect_tone, seconds, "frames")
    silent = bytes(2 * n)
    quiet = InbandDtmfDetector()
    measure(
        "Goertzel DTMF detector, silence (20 ms frames)",
        lambda: quiet.feed(silent),
        seconds,
        "frames",
    )


if __name__ == "__main__":
    main()
