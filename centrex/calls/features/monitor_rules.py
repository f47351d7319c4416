"""Who may monitor whom, and how each mode is heard: the pure rules of supervisor monitoring
(issue 13 item 6; the feature is `monitor.py`).

* A phone may monitor when its extension is flagged `supervisor` or its user has the
  supervisor role (`phone_may_monitor`); a tenant administrator's own phone is no exception:
  the right belongs to the phone that listens, set on purpose.
* Through the API the principal must be a tenant administrator (any phone of the tenant that
  may monitor) or a supervisor (only its own phones); a plain user or agent may not
  (`api_refusal`). Both rules apply: the API never makes a phone listen that could not dial
  `*90N` itself.
* The modes (`MODES`) say who hears the supervisor in the mixing room (`room.hear_only_by`,
  the mixer's `heard_by`): listen — nobody; whisper — the agent (extension N) only; barge —
  both parties. The supervisor always hears both.
* The call watched is extension N's answered two-party call (`watched_side`): N must be one of
  its parties as an extension (a trunk's side never counts, whatever its name).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

__all__ = [
    "MODES",
    "PREFIXES",
    "MonitorMode",
    "Refusal",
    "api_refusal",
    "phone_may_monitor",
    "watched_side",
]


class MonitorMode(StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


# the feature codes: *90N listen, *91N whisper, *92N barge (feature_codes.CATALOG names them)
PREFIXES: dict[str, MonitorMode] = {
    "*90": MonitorMode.LISTEN,
    "*91": MonitorMode.WHISPER,
    "*92": MonitorMode.BARGE,
}


@dataclass(frozen=True, slots=True)
class Hearing:
    """Who hears the supervisor: `None` everyone, `()` nobody, `("agent",)` the agent only."""

    heard_by: tuple[str, ...] | None


MODES: dict[MonitorMode, Hearing] = {
    MonitorMode.LISTEN: Hearing(()),
    MonitorMode.WHISPER: Hearing(("agent",)),
    MonitorMode.BARGE: Hearing(None),
}

SUPERVISOR_ROLE = "supervisor"
ADMIN_ROLES = frozenset({"platform-admin", "partner", "tenant-admin"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why not: an HTTP-like status (403/404/409), a stable id and a sentence."""

    status: int
    error_id: str
    reason: str


def phone_may_monitor(flagged: bool, owner_role: str | None) -> bool:
    """The extension's phone may monitor: flagged supervisor, or its user is a supervisor."""
    return flagged or owner_role == SUPERVISOR_ROLE


def api_refusal(role: str, own_extensions: Iterable[str] | None, extension: str) -> Refusal | None:
    """Whether an API principal of role `role` may make `extension` monitor a call
    (`own_extensions`: the extensions its user owns; None for administrators)."""
    if role in ADMIN_ROLES:
        return None
    if role != SUPERVISOR_ROLE:
        return Refusal(403, "monitor-forbidden", "only a supervisor or an administrator may "
                       "monitor calls")  # fmt: skip
    if own_extensions is None or extension not in set(own_extensions):
        return Refusal(403, "not-your-extension", f"extension {extension} is not yours")
    return None


class _Side(Protocol):
    peer: str

    @property
    def trunk(self) -> object | None: ...


S = TypeVar("S", bound=_Side)


def watched_side(sides: Iterable[S | None], number: str) -> S | None:
    """The side of a call that is extension `number` (never a trunk's side), or None."""
    for side in sides:
        if side is not None and side.trunk is None and side.peer == number:
            return side
    return None
