"""RTP/RTCP port pool: every media leg gets an even RTP port and the odd port above it for RTCP.

Why even/odd: RFC 3550 §11 says RTP uses an even port and RTCP the next higher (odd) one, and
RFC 3605 lets an SDP omit `a=rtcp` exactly when that rule holds, so Centrex keeps to it and never
has to advertise the RTCP port separately.

Allocation is FIFO over the free pairs: a released pair goes to the back of the queue, so a port
is reused as late as possible. Late packets of a finished call (a phone that keeps streaming for a
second after BYE) then land on a closed socket rather than in the next call. Binding can still
fail when another process holds a port; the engine then calls `quarantine` and asks for another
pair. O(1) per allocate/release; memory O(range / 2).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["PortPair", "PortPool", "PortPoolExhausted"]


class PortPoolExhausted(RuntimeError):
    """No free RTP/RTCP pair is left in the configured range (the call gets 503 or 488)."""


@dataclass(frozen=True, slots=True)
class PortPair:
    """An even RTP port and its RTCP port (`rtp + 1`, RFC 3550 §11)."""

    rtp: int

    @property
    def rtcp(self) -> int:
        return self.rtp + 1


class PortPool:
    """Pairs from `[low, high]` inclusive (settings `rtp_port_min`/`rtp_port_max`)."""

    def __init__(self, low: int, high: int) -> None:
        if not 1024 <= low <= high <= 65535:
            raise ValueError("RTP port range must lie in 1024..65535 with low <= high")
        first = low + (low & 1)  # round up to even
        if first + 1 > high:
            raise ValueError("RTP port range holds no even/odd pair")
        self.low = low
        self.high = high
        self._free: deque[int] = deque(range(first, high, 2))
        self._used: set[int] = set()
        self._quarantined: set[int] = set()

    @property
    def capacity(self) -> int:
        """Pairs the range holds, quarantined ones excluded."""
        return len(self._free) + len(self._used)

    @property
    def free(self) -> int:
        return len(self._free)

    @property
    def in_use(self) -> int:
        return len(self._used)

    def allocate(self) -> PortPair:
        """The least recently used free pair; raises `PortPoolExhausted` when none is left."""
        if not self._free:
            raise PortPoolExhausted(f"no free RTP port pair in {self.low}-{self.high}")
        port = self._free.popleft()
        self._used.add(port)
        return PortPair(port)

    def release(self, pair: PortPair) -> None:
        """Give a pair back (to the end of the queue). Releasing twice is a caller bug."""
        if pair.rtp not in self._used:
            raise ValueError(f"RTP port {pair.rtp} is not allocated")
        self._used.remove(pair.rtp)
        self._free.append(pair.rtp)

    def quarantine(self, pair: PortPair) -> None:
        """Take an allocated pair out of service (another process holds it; bind failed)."""
        if pair.rtp not in self._used:
            raise ValueError(f"RTP port {pair.rtp} is not allocated")
        self._used.remove(pair.rtp)
        self._quarantined.add(pair.rtp)

    def __contains__(self, pair: object) -> bool:
        return isinstance(pair, PortPair) and pair.rtp in self._used
