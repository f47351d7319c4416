"""What a phone really received: RTP captured on the loopback interface, G.711 decoded.

Why: baresip 1.0's `sndfile` stops writing its decoded dump at the first re-INVITE (both the
phone that sent it and the one that received it), so what a held party hears cannot be read
from the phone's own recording. tshark is not installed here; a raw AF_PACKET socket on `lo`
(the tests run as root) sees the same datagrams. Each packet on `lo` shows up twice (outgoing
and incoming); only the incoming copy is kept.
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field

import numpy as np

ETH_P_ALL = 0x0003
PACKET_HOST = 0
_ETH = 14


@dataclass
class RtpCapture:
    """Collects (payload type, payload) of RTP sent to UDP ports `low..high` on 127.0.0.1."""

    low: int
    high: int
    packets: list[tuple[int, bytes]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RtpCapture:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind(("lo", 0))
        sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, sock: socket.socket) -> None:
        with sock:
            while not self._stop.is_set():
                try:
                    frame, address = sock.recvfrom(65535)
                except TimeoutError:
                    continue
                if address[2] != PACKET_HOST or len(frame) < _ETH + 20 + 8 + 12:
                    continue
                ip = frame[_ETH:]
                if ip[0] >> 4 != 4 or ip[9] != 17:  # IPv4 / UDP
                    continue
                udp = ip[(ip[0] & 0x0F) * 4 :]
                port = struct.unpack_from("!H", udp, 2)[0]
                rtp = udp[8:]
                if self.low <= port <= self.high and rtp[0] & 0xC0 == 0x80:
                    csrc = rtp[0] & 0x0F
                    self.packets.append((rtp[1] & 0x7F, bytes(rtp[12 + 4 * csrc :])))

    def audio(self) -> np.ndarray:
        """The G.711 payloads (PCMU 0, PCMA 8) decoded to linear samples, in arrival order."""
        parts = [decode_g711(payload, pt) for pt, payload in self.packets if pt in (0, 8)]
        return np.concatenate(parts) if parts else np.zeros(0)


def decode_g711(payload: bytes, pt: int) -> np.ndarray:
    """ITU-T G.711 expansion (µ-law for payload type 0, A-law for 8), independent of Centrex."""
    data = np.frombuffer(payload, dtype=np.uint8).astype(np.int32)
    if pt == 0:
        u = ~data & 0xFF
        magnitude = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        return np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(float)
    a = data ^ 0x55
    exponent = (a & 0x70) >> 4
    mantissa = a & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(a & 0x80, magnitude, -magnitude).astype(float)
