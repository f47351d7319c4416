"""Write a DTMF-free G.711 A-law RTP pcap for sipp's `play_pcap_audio`.

sipp's stock `g711a.pcap` carries RFC 2833 events, which can ping-pong through a relay with
`-rtp_echo` on the far side (shared/TESTING-NOTES.md), so the media benchmark plays its own
stream: a tone-plus-noise signal (or a WAV given with --wav: 8 kHz mono 16-bit, e.g. made with
`sox in.wav -r 8000 -c 1 -b 16 -e signed-integer out.wav`), A-law encoded (ITU-T G.711),
payload type 8, 160 samples per packet, one packet every 20 ms (RFC 3551).

sipp replaces the addresses and ports; it keeps the RTP header and the pcap's timing.

    .venv/bin/python bench/calls/g711_pcap.py OUT.pcap --seconds 70 [--wav IN.wav]
"""

from __future__ import annotations

import argparse
import math
import random
import struct
import wave
from pathlib import Path

RATE = 8000
SAMPLES = 160  # 20 ms (RFC 3551 §4.5: G.711 default packetisation)
PT_PCMA = 8


def alaw(sample: int) -> int:
    """ITU-T G.711 A-law encoding of one 16-bit linear sample."""
    sign = 0x80 if sample >= 0 else 0x00
    magnitude = min(abs(sample) >> 3, 0x0FFF)  # 13-bit magnitude
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (code | sign) ^ 0x55


ALAW = bytes(alaw(v) for v in range(-32768, 32768))


def synth(seconds: float, seed: int = 7) -> list[int]:
    """A 440 Hz + 1 kHz tone with some noise: nothing a DTMF detector would take for a digit."""
    rng = random.Random(seed)
    count = int(seconds * RATE)
    return [
        int(
            6000 * math.sin(2 * math.pi * 440 * n / RATE)
            + 2000 * math.sin(2 * math.pi * 1000 * n / RATE)
            + rng.randint(-500, 500)
        )
        for n in range(count)
    ]


def read_wav(path: Path) -> list[int]:
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (RATE, 1, 2):
            raise SystemExit(f"{path}: need 8 kHz mono 16-bit (convert with sox)")
        frames = wav.readframes(wav.getnframes())
    return list(struct.unpack(f"<{len(frames) // 2}h", frames))


def write_pcap(path: Path, samples: list[int], ssrc: int = 0x2E1B0C01) -> int:
    """Ethernet/IPv4/UDP/RTP frames (checksums zero), one per 20 ms; returns the packet count."""
    payload = bytes(ALAW[s + 32768] for s in samples)
    packets = len(payload) // SAMPLES
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
    for index in range(packets):
        rtp = struct.pack("!BBHII", 0x80, PT_PCMA, index & 0xFFFF, index * SAMPLES, ssrc)
        rtp += payload[index * SAMPLES : (index + 1) * SAMPLES]
        udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + len(udp),
            index & 0xFFFF,
            0,
            64,
            17,
            0,
            bytes((127, 0, 0, 1)),
            bytes((127, 0, 0, 2)),
        )
        frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
        micros = index * 20_000
        out += struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame))
        out += frame
    path.write_bytes(bytes(out))
    return packets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=70.0)
    parser.add_argument("--wav", type=Path, help="8 kHz mono 16-bit WAV instead of the tone")
    args = parser.parse_args()
    samples = read_wav(args.wav) if args.wav else synth(args.seconds)
    count = write_pcap(args.out, samples)
    print(f"{args.out}: {count} packets, {count * 0.02:.1f} s of PCMA")


if __name__ == "__main__":
    main()
