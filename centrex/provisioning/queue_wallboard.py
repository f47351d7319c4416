"""A queue's wallboard now: callers waiting, the longest wait, agents by state, today's service
level (issue 13 item 7), read from the same rows the statistics use.

Why from the database and not from the call layer's board: the API may run where the call
layer does not (scale-out), and the rows say it all — a `queue_calls` row still `waiting` is a
caller in the queue, an `answered` one with no talk time yet is an agent talking, an
`agent_events` wrap-up whose end is still ahead is an agent wrapping up; the rest is the
agent's chosen state. "Today" (the service level) is the UTC day of `now`; callers waiting and
agents talking are read from the last 24 hours, so a row left `waiting` by a crash stops
showing a day later. A caller waiting for its callback (it pressed 1 and hung up, its entry
keeps its place) is a caller waiting: counted in `waiting` and also in `waiting_callbacks`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from centrex.calls.features import agent_state as agents
from centrex.data.models import AgentEvent, QueueCall, QueueOutcome
from centrex.data.tenancy import TenantScope
from centrex.provisioning.queue_stats import CallRow, queue_stats
from centrex.provisioning.queues import QueueView

STATES = ("ready", "busy", "wrap-up", "paused", "logged-out")


async def wallboard(scope: TenantScope, view: QueueView, now: datetime) -> dict[str, Any]:
    queue = view.queue
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    recent = now - timedelta(days=1)  # a wait lasts 2 h at most (max-wait), whatever the day
    rows_since = await scope.list(QueueCall, QueueCall.queue_number == queue.number,
                                  QueueCall.entered_at >= min(today, recent))  # fmt: skip
    calls = [c for c in rows_since if c.entered_at >= today]
    waiting = [c for c in rows_since if c.outcome is QueueOutcome.WAITING]
    longest = max(((now - c.entered_at).total_seconds() for c in waiting), default=0.0)
    members = [m.extension for m in view.members]
    modes = await agents.modes(scope, members) if members else {}
    talking = {c.agent for c in rows_since if c.outcome is QueueOutcome.ANSWERED and c.agent
               and c.talk_seconds == 0.0}  # fmt: skip
    wraps = await scope.list(AgentEvent, AgentEvent.kind == "wrap-up",
                             AgentEvent.started_at >= recent)  # fmt: skip
    wrapping = {e.extension for e in wraps
                if e.started_at + timedelta(seconds=e.seconds) > now}  # fmt: skip
    board = []
    for extension in members:
        state = modes[extension].value
        if state == "ready" and extension in talking:
            state = "busy"
        elif state == "ready" and extension in wrapping:
            state = "wrap-up"
        board.append({"extension": extension, "state": state})
    rows = [CallRow(c.entered_at, c.outcome.value, c.wait_seconds, c.agent, c.talk_seconds,
                    c.callback) for c in calls]  # fmt: skip
    day = queue_stats(rows, [], service_level_seconds=queue.service_level_seconds)
    return {
        "id": queue.id,
        "number": queue.number,
        "name": queue.name,
        "waiting": len(waiting),
        "waiting_callbacks": sum(1 for c in waiting if c.callback is not None),
        "longest_wait_seconds": round(max(0.0, longest), 1),
        "agents": board,
        "agents_by_state": {s: sum(1 for a in board if a["state"] == s) for s in STATES},
        "offered_today": day["offered"],
        "answered_today": day["answered"],
        "service_level_today_pct": day["answered_within_service_level_pct"],
        "at": now.isoformat(),
    }
