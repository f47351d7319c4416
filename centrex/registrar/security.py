"""Banning sources that keep failing authentication (brute-force and scanner protection).

Only a *wrong answer to a challenge* counts as a failure: the 401/407 that starts every digest
exchange is normal traffic (RFC 3261 §22.2), and counting it would ban every phone. A source
with `failures` wrong answers within `window` seconds is banned for `ban_seconds`; the ban is
logged once with its reason. Pure: time is the caller's `now`; memory is bounded.
"""

from __future__ import annotations

import logging
from collections import deque

log = logging.getLogger(__name__)
MAX_TRACKED = 100_000


class AuthFailureTracker:
    """Counts authentication failures per source host and answers `is_banned`."""

    def __init__(self, failures: int, window: float, ban_seconds: float) -> None:
        self.failures = failures
        self.window = window
        self.ban_seconds = ban_seconds
        self._recent: dict[str, deque[float]] = {}
        self._banned: dict[str, float] = {}

    def record_failure(self, host: str, now: float, reason: str) -> bool:
        """Count one failure; True when this failure got the source banned."""
        if self.failures <= 0:
            return False
        if len(self._recent) >= MAX_TRACKED and host not in self._recent:
            self._recent.clear()
        stamps = self._recent.setdefault(host, deque())
        stamps.append(now)
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) < self.failures:
            return False
        del self._recent[host]
        if len(self._banned) >= MAX_TRACKED:
            self._banned = {h: t for h, t in self._banned.items() if t > now}
        self._banned[host] = now + self.ban_seconds
        log.warning(
            "banning %s for %.0f s: %d authentication failures in %.0f s (last: %s)",
            host,
            self.ban_seconds,
            self.failures,
            self.window,
            reason,
        )
        return True

    def is_banned(self, host: str, now: float) -> bool:
        """True while `host` is banned."""
        until = self._banned.get(host)
        if until is None:
            return False
        if until <= now:
            del self._banned[host]
            return False
        return True

    def banned(self, now: float) -> dict[str, float]:
        """Banned hosts and the seconds left (for monitoring)."""
        return {h: t - now for h, t in self._banned.items() if t > now}

    def unban(self, host: str) -> bool:
        """Lift a ban by hand (the provider's security page); its failure count restarts too.
        False when `host` was not banned."""
        self._recent.pop(host, None)
        if self._banned.pop(host, None) is None:
            return False
        log.warning("ban of %s lifted by hand", host)
        return True
