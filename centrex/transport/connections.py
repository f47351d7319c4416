"""What every transport shares: flows, the per-source guard, and the connection table.

A *flow* names where a message came from: transport kind, the peer's address as seen on the
socket (not as claimed in Via) and our local address. Responses and requests to a peer reuse its
open connection (RFC 3261 §18.2.2, RFC 5626 §3.5.1 "flow"): stream connections are kept in a
table keyed by (kind, remote address), so anything the upper layers send to a phone registered
over TCP, TLS or WebSocket goes back on the connection the phone opened, through its NAT.

The `SourceGuard` is the first thing every received message meets: a token bucket per source
host (setting `max_messages_per_second`) and the ban list (fed by the registrar's failed
authentications through a callable, so this layer never imports the registrar).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from centrex.logs import RateLimitedLogger

log = logging.getLogger(__name__)
junk_log = RateLimitedLogger(log)

Address = tuple[str, int]
MAX_CONNECTIONS = 20_000  # a cap so a connection flood cannot exhaust file descriptors
MAX_WRITE_BUFFER = 1_048_576  # bytes queued to a slow reader before we give up on it


class TransportKind(enum.StrEnum):
    """Transport names as they appear in a Via (RFC 3261 §20.42, RFC 7118 §5.2)."""

    UDP = "UDP"
    TCP = "TCP"
    TLS = "TLS"
    WS = "WS"
    WSS = "WSS"

    @property
    def reliable(self) -> bool:
        """Reliable transports need no retransmissions (RFC 3261 §17.1.1.2)."""
        return self is not TransportKind.UDP


@dataclass(frozen=True, slots=True)
class Flow:
    """Where a message came from (or must go): the socket-level truth, never the Via's claim."""

    kind: TransportKind
    remote: Address
    local: Address


class Receiver(Protocol):
    """What a transport calls for each received message (one datagram or one framed message)."""

    def __call__(self, data: bytes, flow: Flow) -> None: ...


class Connection(Protocol):
    """An open stream towards one peer (TCP, TLS or WebSocket)."""

    flow: Flow

    def send(self, data: bytes) -> None:
        """Queue `data`; never blocks."""
        ...

    def close(self) -> None:
        """Close; the connection removes itself from the table."""
        ...


class SourceGuard:
    """Per-source message-rate limit and ban check, called once per received message.

    A token bucket per source host allows `rate` messages per second with a burst of two
    seconds' worth. `is_banned(host, now)` is provided by the wiring (the registrar's
    authentication-failure tracker); banned sources are dropped silently, since answering
    would only help a scanner.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float],
        is_banned: Callable[[str, float], bool] | None = None,
        max_sources: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = max(rate * 2.0, 1.0)
        self._clock = clock
        self._is_banned = is_banned
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_sources = max_sources
        self.dropped_rate = 0
        self.dropped_banned = 0
        # Per transport, for monitoring: messages dropped before the SIP core saw them, by
        # reason (rate, banned, oversize), and stream bytes that could not be framed.
        self.drops: dict[tuple[str, str], int] = {}
        self.malformed: dict[str, int] = {}

    def count_drop(self, kind: TransportKind, reason: str) -> None:
        """A transport dropped a message for `reason` (also used by `admit`)."""
        key = (kind.value, reason)
        self.drops[key] = self.drops.get(key, 0) + 1

    def count_malformed(self, kind: TransportKind) -> None:
        """A transport met bytes it could not frame as SIP (RFC 3261 §18.3)."""
        self.malformed[kind.value] = self.malformed.get(kind.value, 0) + 1

    def admit(self, host: str, kind: TransportKind = TransportKind.UDP) -> bool:
        """True if a message from `host`, arriving over `kind`, may be processed now."""
        now = self._clock()
        if self._is_banned is not None and self._is_banned(host, now):
            self.dropped_banned += 1
            self.count_drop(kind, "banned")
            return False
        if self.rate <= 0:
            return True
        tokens, stamp = self._buckets.get(host, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens < 1.0:
            self._buckets[host] = (tokens, now)
            self.dropped_rate += 1
            self.count_drop(kind, "rate")
            junk_log.warning(
                "rate:" + host, now, "message rate limit exceeded by %s, dropping", host
            )
            return False
        if len(self._buckets) >= self._max_sources and host not in self._buckets:
            # bounded memory: forget every bucket (they refill anyway) rather than grow
            self._buckets.clear()
        self._buckets[host] = (tokens - 1.0, now)
        return True


class ConnectionTable:
    """Open stream connections by (kind, remote address): connection reuse (RFC 3261 §18)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[TransportKind, Address], Connection] = {}

    def add(self, connection: Connection) -> bool:
        """Register a new connection; False (caller closes it) when the table is full."""
        if len(self._by_key) >= MAX_CONNECTIONS:
            return False
        key = (connection.flow.kind, connection.flow.remote)
        self._by_key[key] = connection
        return True

    def remove(self, connection: Connection) -> None:
        """Forget a connection that closed (only if it is still the one registered)."""
        key = (connection.flow.kind, connection.flow.remote)
        if self._by_key.get(key) is connection:
            del self._by_key[key]

    def get(self, kind: TransportKind, remote: Address) -> Connection | None:
        """The open connection to `remote` over `kind`, if any."""
        return self._by_key.get((kind, remote))

    def all(self) -> list[Connection]:
        """Every open connection (for shutdown)."""
        return list(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)
