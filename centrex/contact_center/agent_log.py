"""The agent state log: recording every change of an agent's state, reading it over a period.

`record_agent_state` is the one entry every state change goes through (the agent desktop's
session, the API's `/agents/{extension}/state`, the phone's `*50`-`*53` codes through the call
layer's `agent_state.set_agent_state`): it closes the extension's open interval and opens the
next (`centrex.data.models.agent_log` says why the writer itself lives in the data layer).

The readers clip every interval to the period asked for; an interval still open ends at `now`
(or at the period's end when that comes first), so a report of today counts the state the
agent is in up to the moment it is read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_

from centrex.contact_center.agent_stats import StateSpan, seconds_of
from centrex.data.models import AgentStateLog
from centrex.data.models.agent_log import STATES, write_agent_state
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

__all__ = ["record_agent_state", "state_durations", "state_spans"]


async def record_agent_state(
    scope: TenantScope,
    extension_id: int,
    state: str,
    reason: str,
    at: datetime,
    campaign_id: int | None = None,
) -> None:
    """Close the extension's open interval at `at` and open one in `state` (`ready`, `paused`
    with its reason, `wrap-up`, `in-call`; `logged-out` only closes). Repeating the current
    state, reason and campaign changes nothing."""
    if state not in STATES:
        raise ValidationFailed(f"unknown agent state {state!r}", error_id="agent-bad-state",
                               field="state")  # fmt: skip
    await write_agent_state(scope, extension_id, state, reason, at, campaign_id)


async def state_spans(
    scope: TenantScope,
    extension_ids: Sequence[int],
    since: datetime,
    until: datetime,
    now: datetime,
) -> dict[int, list[StateSpan]]:
    """Each extension's intervals overlapping [since, until), clipped to it, by start."""
    if not extension_ids:
        return {}
    end = min(until, now)
    rows = await scope.list(
        AgentStateLog,
        AgentStateLog.extension_id.in_(list(extension_ids)),
        AgentStateLog.started_at < end,
        or_(AgentStateLog.ended_at.is_(None), AgentStateLog.ended_at > since),
        order_by=AgentStateLog.started_at,
    )
    spans: dict[int, list[StateSpan]] = defaultdict(list)
    for row in rows:
        stop = min(row.ended_at or end, end)
        start = max(row.started_at, since)
        if start < stop:
            spans[row.extension_id].append(StateSpan(row.state, row.reason, start, stop))
    return dict(spans)


async def state_durations(
    scope: TenantScope, extension_id: int, since: datetime, until: datetime, now: datetime
) -> dict[str, int]:
    """Whole seconds the extension spent in each state over the period, pauses by reason
    (`paused:lunch`), boundaries floored to the second as the statistics count them."""
    spent: Counter[str] = Counter()
    for span in (await state_spans(scope, [extension_id], since, until, now)).get(extension_id, []):
        key = f"paused:{span.reason}" if span.state == "paused" else span.state
        spent[key] += seconds_of(span.end) - seconds_of(span.start)
    return dict(sorted(spent.items()))
