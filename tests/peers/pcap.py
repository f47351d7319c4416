"""Write RTP as a pcap file for sipp's `play_pcap_audio` (a carrier or a phone that talks).

sipp replays the UDP payloads of a capture at the capture's pace, so a test can make a peer
say exactly what it needs (a short "hello", a long answering-machine greeting) from PCM it
builds. Ethernet + IPv4 + UDP framing with placeholder addresses (sipp sends to the media
address negotiated in SDP, not to the capture's), G.711 µ-law payloads, 20 ms per packet.
"""

from __future__ import annotations

import struct
from pathlib import Path

from centrex.media.codecs import ulaw_encode

__all__ = ["write_rtp_pcap"]

_FRAME = 320  # bytes of 16-bit PCM in 20 ms at 8 kHz


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def write_rtp_pcap(path: Path, pcm: bytes, *, payload_type: int = 0, ssrc: int = 0x5EED) -> Path:
    """One PCMU RTP packet per 20 ms of `pcm` (16-bit mono 8 kHz), timestamps 20 ms apart."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    frames = [pcm[i : i + _FRAME] for i in range(0, len(pcm) - _FRAME + 1, _FRAME)]
    for n, frame in enumerate(frames):
        rtp = struct.pack("!BBHII", 0x80, payload_type | (0x80 if n == 0 else 0), n & 0xFFFF,
                          (n * 160) & 0xFFFFFFFF, ssrc) + ulaw_encode(frame)  # fmt: skip
        udp = struct.pack("!HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))  # fmt: skip
        ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
        packet = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        packet += ip + udp
        micros = n * 20_000
        out += struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(packet),
                           len(packet))  # fmt: skip
        out += packet
    path.write_bytes(bytes(out))
    return path
