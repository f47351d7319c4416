"""Answering-machine detection cost: microseconds per 20 ms frame, and per answered call.

    .venv/bin/python bench/media/amd_bench.py [--frames 50000]

Feeds `media/amd.py`'s detector speech-like frames (a 300 Hz tone at speech level) with its
decisions disabled, so every frame takes the full path (energy, run bookkeeping, the checks),
then times whole verdicts on the three greetings the tests use (a "hello" then silence, a 4 s
greeting, a long initial silence). The dialer runs one detector per answered call for at most
the analysis time (5 s = 250 frames). Numbers go to docs/performance.md ("Answering-machine
detection").
"""

from __future__ import annotations

import argparse
import math
import struct
import time

from centrex.media.amd import AmdDetector, AmdSettings

VOICE = struct.pack("<160h", *(round(4000 * math.sin(2 * math.pi * 300 * i / 8000))
                               for i in range(160)))  # fmt: skip
QUIET = bytes(320)
GREETINGS = {
    "hello then silence (human)": [VOICE] * 20 + [QUIET] * 100,
    "4 s greeting (machine)": [VOICE] * 200,
    "silence (machine)": [QUIET] * 200,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=50_000)
    args = parser.parse_args()
    never = AmdSettings(total_analysis=10**9, greeting=10**9, max_words=10**9,
                        max_word_length=10**9)  # fmt: skip
    detector = AmdDetector(never)
    started = time.perf_counter()
    for _ in range(args.frames):
        detector.feed(VOICE)
    per_frame = (time.perf_counter() - started) / args.frames
    print(f"{per_frame * 1e6:.1f} us per 20 ms frame = {per_frame / 0.020 * 100:.3f} % of a "
          f"core per call under analysis")  # fmt: skip
    for name, frames in GREETINGS.items():
        started = time.perf_counter()
        for _ in range(200):
            amd = AmdDetector()
            for frame in frames:
                if amd.feed(frame) is not None:
                    break
        took = (time.perf_counter() - started) / 200
        print(f"{name}: {amd.verdict} ({amd.cause}) after {amd.elapsed_ms:.0f} ms of audio, "
              f"{took * 1e3:.2f} ms of CPU")  # fmt: skip


if __name__ == "__main__":
    main()
