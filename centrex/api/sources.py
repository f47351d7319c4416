"""The small interfaces through which the API reads live state owned by other layers.

The registrar owns bindings and the call layer owns live calls; the API must not reach into
either. `server.py` passes objects satisfying these Protocols to `create_app`; until those layers
are wired the defaults answer with nothing (and `RegistrationsFromEvents` keeps a view built from
`RegistrationChanged` events, which is enough for the portal and for tests).

Registration dicts carry: aor, contact, source, transport, user_agent, expires_at (ISO 8601).
Live call dicts carry: call_id, caller, callee, direction, state, started_at, answered_at.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from centrex.clock import Clock, SystemClock
from centrex.errors import Conflict, NotFound
from centrex.events import Event, EventBus, RegistrationChanged


@runtime_checkable
class RegistrationSource(Protocol):
    """Current registrations (bindings) of one tenant."""

    async def list(self, tenant_id: int) -> list[dict[str, Any]]: ...


@runtime_checkable
class LiveCalls(Protocol):
    """Calls in progress of one tenant, and a way to end one."""

    async def list(self, tenant_id: int) -> list[dict[str, Any]]: ...

    async def hangup(self, tenant_id: int, call_id: str) -> bool:
        """End the call; False when the tenant has no such call (the API answers 404)."""
        ...


@runtime_checkable
class CallControlSource(Protocol):
    """Acting on live calls of one tenant (the switchboard, click-to-call): each raises a
    `CentrexError` (404 another tenant's or an ended call, 409 a call in the wrong state, 422
    bad input) that the API turns into problem+json."""

    async def originate(self, tenant_id: int, from_extension: str, to: str) -> dict[str, Any]: ...

    async def transfer(
        self, tenant_id: int, call_id: str, to: str, mode: str, party: str | None
    ) -> dict[str, Any]: ...

    async def park(self, tenant_id: int, call_id: str, party: str | None) -> str: ...

    async def hold(self, tenant_id: int, call_id: str, party: str | None) -> None: ...

    async def resume(self, tenant_id: int, call_id: str) -> None: ...

    async def pickup(self, tenant_id: int, call_id: str, extension: str) -> None: ...

    async def complete_transfer(self, tenant_id: int, call_id: str) -> None: ...

    async def cancel_transfer(self, tenant_id: int, call_id: str) -> None: ...


class NoCallControl:
    """Default: no call layer to act on (every action is a 409 saying so)."""

    @staticmethod
    def _none() -> Conflict:
        return Conflict("call control is not available here", error_id="no-call-control")

    async def originate(self, tenant_id: int, from_extension: str, to: str) -> dict[str, Any]:
        raise self._none()

    async def transfer(
        self, tenant_id: int, call_id: str, to: str, mode: str, party: str | None
    ) -> dict[str, Any]:
        raise self._none()

    async def park(self, tenant_id: int, call_id: str, party: str | None) -> str:
        raise self._none()

    async def hold(self, tenant_id: int, call_id: str, party: str | None) -> None:
        raise self._none()

    async def resume(self, tenant_id: int, call_id: str) -> None:
        raise self._none()

    async def pickup(self, tenant_id: int, call_id: str, extension: str) -> None:
        raise self._none()

    async def complete_transfer(self, tenant_id: int, call_id: str) -> None:
        raise self._none()

    async def cancel_transfer(self, tenant_id: int, call_id: str) -> None:
        raise self._none()


@runtime_checkable
class PresenceSource(Protocol):
    """The lamp of every extension of one tenant: [{"extension", "name", "state"}], state one
    of idle, ringing, busy, dnd, offline."""

    async def list(self, tenant_id: int) -> list[dict[str, Any]]: ...


class NoPresence:
    """Default: no extension's state is known."""

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        return []


@runtime_checkable
class ConferenceSource(Protocol):
    """Live conference rooms (`apps/conference/live.py`): participants of one room of one
    tenant (id, caller, caller_name, muted, moderator, joined_at, waiting), mute and kick;
    another tenant's room, or a participant not in it, raises `NotFound` (404)."""

    async def participants(self, tenant_id: int, conference_id: int) -> list[dict[str, Any]]: ...

    async def set_muted(
        self, tenant_id: int, conference_id: int, participant_id: int, muted: bool
    ) -> dict[str, Any]: ...

    async def kick(self, tenant_id: int, conference_id: int, participant_id: int) -> None: ...


class NoConferences:
    """Default: no room is open (no participant to act on)."""

    async def participants(self, tenant_id: int, conference_id: int) -> list[dict[str, Any]]:
        return []

    async def set_muted(
        self, tenant_id: int, conference_id: int, participant_id: int, muted: bool
    ) -> dict[str, Any]:
        raise NotFound(f"no participant {participant_id}", error_id="participant-not-found")

    async def kick(self, tenant_id: int, conference_id: int, participant_id: int) -> None:
        raise NotFound(f"no participant {participant_id}", error_id="participant-not-found")


class NoRegistrations:
    """Default: nothing is registered."""

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        return []


class NoLiveCalls:
    """Default: no call is in progress."""

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        return []

    async def hangup(self, tenant_id: int, call_id: str) -> bool:
        return False


class RegistrationsFromEvents:
    """A registration view kept from `RegistrationChanged` events (expires=0 removes a contact).

    Useful until the registrar offers a direct source, and in tests: publishing one event on the
    bus makes a device appear in the API, the WebSocket and the portal alike.
    """

    def __init__(self, bus: EventBus, clock: Clock | None = None) -> None:
        self._bus = bus
        self._clock = clock or SystemClock()
        self._bindings: dict[tuple[int, str, str], dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Event] | None = None

    def start(self) -> None:
        """Subscribe now (in the running loop); events published before are not seen."""
        if self._task is None:
            self._queue = self._bus.subscribe()
            self._task = asyncio.create_task(self._consume(self._queue))

    async def stop(self) -> None:
        if self._task is not None and self._queue is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._bus.unsubscribe(self._queue)
            self._task = None

    async def _consume(self, queue: asyncio.Queue[Event]) -> None:
        while True:
            self.apply(await queue.get())

    def apply(self, event: Event) -> None:
        if not isinstance(event, RegistrationChanged) or event.tenant_id is None:
            return
        key = (event.tenant_id, event.aor, event.contact)
        if event.expires <= 0:
            self._bindings.pop(key, None)
            return
        expires_at: datetime = self._clock.utcnow() + timedelta(seconds=event.expires)
        self._bindings[key] = {
            "aor": event.aor,
            "contact": event.contact,
            "source": event.source,
            "transport": _transport_of(event.contact),
            "user_agent": event.user_agent,
            "expires_at": expires_at.isoformat(),
        }

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        now = self._clock.utcnow().isoformat()
        return [
            dict(value)
            for (tenant, _aor, _contact), value in sorted(self._bindings.items())
            if tenant == tenant_id and value["expires_at"] > now
        ]


def _transport_of(contact: str) -> str:
    """The transport parameter of a Contact URI (`;transport=tcp`), UDP when absent."""
    lowered = contact.lower()
    marker = "transport="
    if marker in lowered:
        value = lowered.split(marker, 1)[1]
        return value.split(";", 1)[0].split(">", 1)[0] or "udp"
    return "tls" if lowered.startswith(("sips:", "<sips:")) else "udp"
