"""ACD queues of a tenant: create, list, read, change, delete, statistics; agents' states.

Rules, each with a stable error id (the call feature is `calls/features/queue.py`, the app
`apps/queue`):

* number: 2-10 digits, unique among the tenant's queues (`queue-exists`), not an extension's
  number (`queue-number-taken`) nor a ring group's (`queue-number-taken`);
* strategy: ring-all, longest-idle, round-robin, fewest-calls or skills (`queue-bad-strategy`);
* members: 1-100 extensions of *this* tenant, no repeats; `EXT` or `EXT:LEVEL` (level 1-10,
  the skills strategy offers the highest first) — another tenant's extension is unknown here
  (`queue-member-unknown`), a queue with no member is refused (`queue-no-members`);
* wrap-up 0-600 s, max-wait 5-7200 s, ring time 5-120 s, service level 1-3600 s, minimum level
  1-10 (`queue-bad-seconds`, `queue-bad-level`);
* fallback: an extension of this tenant, an outside number (E.164 for the tenant's country) or
  `voicemail:N` (N's mailbox must exist) (`queue-fallback-unknown`);
* callback (off): "press 1 to be called back" (`apps/queue/callback.py`), the caller rung up to
  1-10 `callback_attempts` (3) `callback_retry_seconds` (5-3600, 30) apart
  (`queue-bad-attempts`, `queue-bad-seconds`);
* moh (none): the queue's own music on hold, a media file of this tenant of kind moh or prompt
  (`queue-moh-unknown`); none plays the tenant's default music.

Agents: `agent_state` / `set_agent_state` (the API's `/api/v1/agents/{extension}/state`) go
through the call layer's `calls/features/agent_state.py`, the same rows `*50`-`*53` change.
Every query goes through `TenantScope`, so another tenant's queue or extension is "not found".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from centrex.calls.features import agent_state as agents
from centrex.calls.router import emergency_numbers, normalise_outbound
from centrex.data.models import (
    AgentEvent,
    CallQueue,
    Conference,
    Extension,
    MediaFile,
    MediaKind,
    QueueCall,
    QueueMember,
    QueueStrategy,
    RingGroup,
    Tenant,
    VoicemailBox,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.queue_stats import CallRow, EventRow, queue_stats

STRATEGIES = tuple(s.value for s in QueueStrategy)
MAX_MEMBERS = 100
LIMITS = {  # field → (minimum, maximum, default)
    "wrap_up_seconds": (0, 600, 10),
    "max_wait_seconds": (5, 7200, 300),
    "ring_seconds": (5, 120, 15),
    "service_level_seconds": (1, 3600, 20),
    "callback_retry_seconds": (5, 3600, 30),
}
CALLBACK_ATTEMPTS = (1, 10, 3)  # a callback rings the caller at most this many times
MIN_LEVEL, MAX_LEVEL = 1, 10


@dataclass(frozen=True, slots=True)
class QueueView:
    queue: CallQueue
    members: tuple[QueueMember, ...]

    def as_dict(self) -> dict[str, Any]:
        q = self.queue
        return {
            "id": q.id,
            "number": q.number,
            "name": q.name,
            "strategy": q.strategy.value,
            "members": [
                {"extension": m.extension, "level": m.level, "static": m.static}
                for m in self.members
            ],
            "ring_seconds": q.ring_seconds,
            "wrap_up_seconds": q.wrap_up_seconds,
            "max_wait_seconds": q.max_wait_seconds,
            "fallback": q.fallback,
            "announce_position": q.announce_position,
            "service_level_seconds": q.service_level_seconds,
            "min_level": q.min_level,
            "callback": q.callback,
            "callback_attempts": q.callback_attempts,
            "callback_retry_seconds": q.callback_retry_seconds,
            "moh": q.moh_id,
        }


def _invalid(message: str, error_id: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field=field)


def check_strategy(value: str) -> QueueStrategy:
    try:
        return QueueStrategy(value)
    except ValueError:
        raise _invalid(f"strategy must be one of {', '.join(STRATEGIES)}, not {value!r}",
                       "queue-bad-strategy", "strategy") from None  # fmt: skip


def check_seconds(field: str, value: int) -> int:
    low, high, _ = LIMITS[field]
    if not low <= value <= high:
        raise _invalid(f"{field.replace('_', ' ')} must be {low}-{high}, not {value}",
                       "queue-bad-seconds", field)  # fmt: skip
    return value


def check_level(value: int, field: str = "min_level") -> int:
    if not MIN_LEVEL <= value <= MAX_LEVEL:
        raise _invalid(f"a skill level is {MIN_LEVEL}-{MAX_LEVEL}, not {value}",
                       "queue-bad-level", field)  # fmt: skip
    return value


def check_attempts(value: int) -> int:
    low, high, _ = CALLBACK_ATTEMPTS
    if not low <= value <= high:
        raise _invalid(f"callback attempts must be {low}-{high}, not {value}",
                       "queue-bad-attempts", "callback_attempts")  # fmt: skip
    return value


async def _check_number(scope: TenantScope, number: str, current: CallQueue | None) -> str:
    value = number.strip()
    if not (value.isascii() and value.isdigit() and 2 <= len(value) <= 10):
        raise _invalid(f"a queue number has 2 to 10 digits, not {number!r}",
                       "queue-bad-number", "number")  # fmt: skip
    extension = await scope.first(Extension, Extension.number == value)
    group = await scope.first(RingGroup, RingGroup.number == value)
    room = await scope.first(Conference, Conference.number == value)
    if extension is not None or group is not None or room is not None:
        raise Conflict(f"{value} is in use in {scope.domain}", error_id="queue-number-taken",
                       field="number")  # fmt: skip
    other = await scope.first(CallQueue, CallQueue.number == value)
    if other is not None and other is not current:
        raise Conflict(f"queue {value} exists already", error_id="queue-exists", field="number")
    return value


async def check_members(scope: TenantScope, members: Sequence[str]) -> list[tuple[str, int]]:
    """(extension, level) of each `EXT` / `EXT:LEVEL`, every extension of this tenant."""
    if not members:
        raise _invalid("a queue needs at least one member", "queue-no-members", "members")
    if len(members) > MAX_MEMBERS:
        raise _invalid(f"a queue has at most {MAX_MEMBERS} members", "queue-too-many-members",
                       "members")  # fmt: skip
    found: list[tuple[str, int]] = []
    for member in members:
        text, _, level_text = member.strip().partition(":")
        try:
            level = int(level_text) if level_text else 1
        except ValueError:
            raise _invalid(f"{member!r}: the level is a number", "queue-bad-level",
                           "members") from None  # fmt: skip
        check_level(level, "members")
        if await scope.first(Extension, Extension.number == text) is None:
            raise _invalid(f"extension {text} does not exist in {scope.domain}",
                           "queue-member-unknown", "members")  # fmt: skip
        if any(text == ext for ext, _ in found):
            raise _invalid(f"member {text} is listed twice", "queue-duplicate-member", "members")
        found.append((text, level))
    return found


async def check_fallback(scope: TenantScope, fallback: str | None) -> str | None:
    if fallback is None or not fallback.strip():
        return None
    text = fallback.strip()
    if text.lower().startswith("voicemail:"):
        box_of = text.partition(":")[2].strip()
        extension = await scope.first(Extension, Extension.number == box_of)
        box = (
            await scope.first(VoicemailBox, VoicemailBox.extension_id == extension.id)
            if extension is not None
            else None
        )
        if box is None:
            raise _invalid(f"no voicemail box for {box_of!r} in {scope.domain}",
                           "queue-fallback-unknown", "fallback")  # fmt: skip
        return f"voicemail:{box_of}"
    if await scope.first(Extension, Extension.number == text) is not None:
        return text
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is not None and text.replace(" ", "") not in emergency_numbers(tenant.country):
        e164 = normalise_outbound(text, tenant.country)
        if e164 is not None and text.startswith(("+", "0")):
            return e164
    raise _invalid(f"{fallback!r} is neither an extension of {scope.domain}, an outside number "
                   "nor voicemail:N", "queue-fallback-unknown", "fallback")  # fmt: skip


MOH_KINDS = (MediaKind.MOH, MediaKind.PROMPT)  # a greeting belongs to a mailbox


async def check_moh(scope: TenantScope, media_id: int | None) -> int | None:
    """The queue's own music: a media file of *this* tenant of kind moh or prompt; another
    tenant's file is unknown here, like a member extension (`queue-moh-unknown`)."""
    if media_id is None:
        return None
    media = await scope.first(MediaFile, MediaFile.id == media_id, MediaFile.kind.in_(MOH_KINDS))
    if media is None:
        raise _invalid(f"no music on hold or prompt file {media_id} in {scope.domain}",
                       "queue-moh-unknown", "moh")  # fmt: skip
    return media.id


def _apply_moh(queue: CallQueue, music: int | None, clear: bool) -> None:
    """Set the queue's own music (checked), clear it, or (neither given) keep it."""
    if clear or music is not None:
        queue.moh_id = music


async def _members(scope: TenantScope, queue: CallQueue) -> tuple[QueueMember, ...]:
    rows = await scope.list(QueueMember, QueueMember.queue_id == queue.id,
                            order_by=QueueMember.position)  # fmt: skip
    return tuple(rows)


async def _write_members(
    scope: TenantScope, queue: CallQueue, members: Sequence[tuple[str, int]]
) -> None:
    await scope.delete(QueueMember, QueueMember.queue_id == queue.id, QueueMember.static.is_(True))
    await scope.session.flush()
    dynamic = {m.extension: m for m in await _members(scope, queue)}
    for position, (extension, level) in enumerate(members):
        if extension in dynamic:  # a dynamic member the configuration now names: static
            row = dynamic.pop(extension)
            row.static, row.level, row.position = True, level, position
        else:
            scope.add(QueueMember(queue_id=queue.id, extension=extension, level=level,
                                  static=True, position=position))  # fmt: skip
    for offset, row in enumerate(dynamic.values()):
        row.position = len(members) + offset
    await scope.session.flush()


async def create_queue(
    scope: TenantScope,
    *,
    number: str,
    strategy: str,
    members: Sequence[str],
    name: str = "",
    wrap_up_seconds: int = LIMITS["wrap_up_seconds"][2],
    max_wait_seconds: int = LIMITS["max_wait_seconds"][2],
    ring_seconds: int = LIMITS["ring_seconds"][2],
    service_level_seconds: int = LIMITS["service_level_seconds"][2],
    fallback: str | None = None,
    announce_position: bool = False,
    min_level: int = MIN_LEVEL,
    callback: bool = False,
    callback_attempts: int = CALLBACK_ATTEMPTS[2],
    callback_retry_seconds: int = LIMITS["callback_retry_seconds"][2],
    moh: int | None = None,
) -> QueueView:
    """Create a queue; nothing is written when any input is refused."""
    value = await _check_number(scope, number, None)
    chosen = check_strategy(strategy)
    seconds = {
        "wrap_up_seconds": check_seconds("wrap_up_seconds", wrap_up_seconds),
        "max_wait_seconds": check_seconds("max_wait_seconds", max_wait_seconds),
        "ring_seconds": check_seconds("ring_seconds", ring_seconds),
        "service_level_seconds": check_seconds("service_level_seconds", service_level_seconds),
        "callback_retry_seconds": check_seconds("callback_retry_seconds", callback_retry_seconds),
    }
    attempts = check_attempts(callback_attempts)
    level = check_level(min_level)
    found = await check_members(scope, members)
    dest = await check_fallback(scope, fallback)
    music = await check_moh(scope, moh)
    queue = scope.add(CallQueue(number=value, name=name.strip(), strategy=chosen, fallback=dest,
                                announce_position=announce_position, min_level=level,
                                callback=callback, callback_attempts=attempts, moh_id=music,
                                **seconds))  # fmt: skip
    await scope.session.flush()
    await _write_members(scope, queue, found)
    await agents.pause_reasons(scope)  # the tenant's agents can pause from now on
    return QueueView(queue, await _members(scope, queue))


async def list_queues(scope: TenantScope) -> list[QueueView]:
    queues = await scope.list(CallQueue, order_by=CallQueue.number)
    return [QueueView(q, await _members(scope, q)) for q in queues]


async def get_queue(scope: TenantScope, number: str) -> QueueView:
    queue = await scope.first(CallQueue, CallQueue.number == number.strip())
    if queue is None:
        raise NotFound(f"queue {number} not found", error_id="queue-not-found")
    return QueueView(queue, await _members(scope, queue))


async def get_queue_by_id(scope: TenantScope, queue_id: int) -> QueueView:
    queue = await scope.first(CallQueue, CallQueue.id == queue_id)
    if queue is None:
        raise NotFound(f"queue {queue_id} not found", error_id="queue-not-found")
    return QueueView(queue, await _members(scope, queue))


async def update_queue(
    scope: TenantScope,
    view: QueueView,
    *,
    number: str | None = None,
    name: str | None = None,
    strategy: str | None = None,
    members: Sequence[str] | None = None,
    fallback: str | None = None,
    clear_fallback: bool = False,
    announce_position: bool | None = None,
    min_level: int | None = None,
    callback: bool | None = None,
    callback_attempts: int | None = None,
    moh: int | None = None,
    clear_moh: bool = False,
    **seconds: int | None,
) -> QueueView:
    """Change what is given (static members are replaced when given); all checked first."""
    queue = view.queue
    new_number = await _check_number(scope, number, queue) if number is not None else None
    chosen = check_strategy(strategy) if strategy is not None else None
    checked = {k: check_seconds(k, v) for k, v in seconds.items() if v is not None}
    level = check_level(min_level) if min_level is not None else None
    attempts = check_attempts(callback_attempts) if callback_attempts is not None else None
    found = await check_members(scope, members) if members is not None else None
    dest = await check_fallback(scope, fallback) if fallback is not None else None
    music = await check_moh(scope, moh)  # None stays None
    if new_number is not None:
        queue.number = new_number
    if name is not None:
        queue.name = name.strip()
    if chosen is not None:
        queue.strategy = chosen
    for key, value in checked.items():
        setattr(queue, key, value)
    if level is not None:
        queue.min_level = level
    if announce_position is not None:
        queue.announce_position = announce_position
    if callback is not None:
        queue.callback = callback
    if attempts is not None:
        queue.callback_attempts = attempts
    if clear_fallback:
        queue.fallback = None
    elif dest is not None:
        queue.fallback = dest
    _apply_moh(queue, music, clear_moh)
    if found is not None:
        await _write_members(scope, queue, found)
    await scope.session.flush()
    return QueueView(queue, await _members(scope, queue))


async def delete_queue(scope: TenantScope, view: QueueView) -> None:
    await scope.delete(QueueMember, QueueMember.queue_id == view.queue.id)
    await scope.remove(view.queue)
    await scope.session.flush()


async def stats(
    scope: TenantScope,
    view: QueueView,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The queue's statistics over [since, until) (`queue_stats.py` says what each means)."""
    if since is not None and until is not None and until <= since:
        raise _invalid("until must be after since", "queue-bad-window", "until")
    queue = view.queue
    calls = await scope.list(QueueCall, QueueCall.queue_number == queue.number)
    members = [m.extension for m in view.members]
    events = await scope.list(AgentEvent, AgentEvent.extension.in_(members)) if members else []
    result = queue_stats(
        [CallRow(c.entered_at, c.outcome.value, c.wait_seconds, c.agent, c.talk_seconds,
                 c.callback) for c in calls],
        [EventRow(e.extension, e.kind, e.started_at, e.seconds, e.reason) for e in events
         if e.kind == "pause" or e.queue_number == queue.number],
        service_level_seconds=queue.service_level_seconds, since=since, until=until,
        agents=members,
    )  # fmt: skip
    return {"queue": queue.number, "since": _iso(since), "until": _iso(until), **result}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def agent_state(scope: TenantScope, extension: str) -> dict[str, object]:
    return (await agents.agent_view(scope, extension)).as_dict()


async def set_agent_state(
    scope: TenantScope,
    extension: str,
    *,
    state: str,
    now: datetime,
    reason: str = "",
    queue: str | None = None,
) -> dict[str, object]:
    view = await agents.set_agent_state(scope, extension, state, now, reason, queue)
    return view.as_dict()


async def pause_reasons(scope: TenantScope) -> list[dict[str, object]]:
    return [{"code": c, "label": label} for c, label in await agents.pause_reasons(scope)]
