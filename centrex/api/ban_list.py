"""The registrar's list of banned SIP sources as the API and the portal read and edit it.

The ban logic lives with the registrar (`registrar/security.py`: sources that keep failing
authentication are dropped by the transport guard for a while); the HTTP layer only needs to
list the bans and lift one. `server.py` passes a `TrackerBans` over its tracker to `create_app`;
without one the list is empty and unbanning finds nothing. The list is this process's: with
several workers each keeps its own (the edge proxy bans too, shared/DESIGN.md §7).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from centrex.registrar.security import AuthFailureTracker


@runtime_checkable
class BanList(Protocol):
    """Banned source hosts and the seconds left on each; lifting one by hand."""

    def banned(self) -> dict[str, float]: ...

    def unban(self, host: str) -> bool:
        """True when `host` was banned (and no longer is)."""
        ...


class NoBans:
    """Default: no registrar in this process, so nothing is banned."""

    def banned(self) -> dict[str, float]:
        return {}

    def unban(self, host: str) -> bool:
        return False


class TrackerBans:
    """A `BanList` over the registrar's tracker, read on the clock the tracker bans with."""

    def __init__(self, tracker: AuthFailureTracker, now: Callable[[], float]) -> None:
        self._tracker = tracker
        self._now = now

    def banned(self) -> dict[str, float]:
        return self._tracker.banned(self._now())

    def unban(self, host: str) -> bool:
        return self._tracker.unban(host.strip())
