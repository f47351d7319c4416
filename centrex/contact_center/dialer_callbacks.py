"""Which due callbacks a campaign runner places this tick, ahead of its new leads.

Theory of operation (issue 15 item 5; the data side is `callbacks.py`):

* Every tick, before the hopper is asked for leads, a runner picks due callbacks (scheduled,
  due, oldest first) for its *ready* agents, at most one per agent and at most as many as the
  pacer wants calls: those calls are subtracted from the leads claimed.
* A **personal** callback goes to its agent only. The runner of the callback's own campaign
  takes it when the agent is ready there; when the agent now works in another running
  campaign, that campaign's runner takes it (it looks at the tenant's due callbacks whose
  agent is among its ready agents), and the agent is told "callback for campaign X" first.
  An agent that is ready nowhere leaves the callback due: nothing is lost, it waits.
* A **campaign-wide** callback goes to any ready agent of its campaign's runner.
* Each pick is taken exclusively (`claim_callback`: scheduled → placed, one more try). The
  numbers are checked against the DNC lists again (`due_callbacks` does not): a callback to a
  number put on DNC since it was promised is ``cancelled`` (never placed, no try counted,
  logged and listed with that status).
* `release_placed` is the start-up recovery: callbacks a stopped process left ``placed``
  are scheduled again, due now, their unfinished try not counted.

No clock is read: `now` is an argument.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from centrex.contact_center.callbacks import (
    DueCallback,
    claim_callback,
    due_callbacks,
    finish_callback,
)
from centrex.contact_center.dnc import blocked_numbers
from centrex.data.db import Database
from centrex.data.models import CallbackStatus, Campaign, Lead, ScheduledCallback, Tenant
from centrex.data.tenancy import TenantScope

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallbackPick:
    """A due callback this runner now holds (``placed``) and must finish."""

    callback: DueCallback
    campaign: str  # the callback's campaign (the agent's notice when it is another one)
    extension: str  # the agent it is reserved for
    name: str  # the lead's name
    postal_code: str
    promised_at: str = ""  # "YYYY-MM-DD HH:MM Zone": the time promised, in the lead's zone
    personal: bool = False  # promised to `extension` itself (else to anyone of the campaign)
    note: str = ""
    promised_by: str = ""  # who promised it ("Alice Agent (102)", "CLI"; "": not recorded)

    def notice(self) -> dict[str, Any]:
        """The `LeadOffered` fields of the agent's callback notice (issue 16: "callback
        promised by … for …: note"), on every event of the callback's call."""
        return {"campaign": self.campaign, "campaign_id": self.callback.campaign_id,
                "callback_id": self.callback.id, "callback_at": self.promised_at,
                "callback_by": self.extension if self.personal else "",
                "callback_note": self.note,
                "callback_promised_by": self.promised_by}  # fmt: skip


def assign(
    due: list[DueCallback], own_campaign: int, ready: dict[int, str], want: int
) -> list[tuple[DueCallback, str]]:
    """Pure selection: (callback, agent) pairs in `due`'s order (oldest first), one per agent.

    `ready` maps the runner's ready agents' extension ids to their numbers, in the order
    they are offered calls. A personal callback needs its own agent (of any campaign); a
    campaign-wide one must be of `own_campaign` and takes the first ready agent left."""
    free = dict(ready)
    picked: list[tuple[DueCallback, str]] = []
    for callback in due:
        if len(picked) >= want or not free:
            break
        if callback.extension_id is not None:
            agent = free.pop(callback.extension_id, None)
            if agent is not None:
                picked.append((callback, agent))
        elif callback.campaign_id == own_campaign:
            picked.append((callback, free.pop(next(iter(free)))))
    return picked


async def pick_callbacks(
    database: Database,
    tenant_id: int,
    campaign_id: int,
    ready: dict[int, str],
    want: int,
    now: datetime,
) -> list[CallbackPick]:
    """Claim the due callbacks this runner places now (module docstring)."""
    if want <= 0 or not ready:
        return []
    async with database.transaction() as session:
        tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            return []
        scope = TenantScope(session, tenant.id, tenant.domain)
        due = [c for c in await due_callbacks(scope, now)
               if c.campaign_id == campaign_id or c.extension_id in ready]  # fmt: skip
        picks: list[CallbackPick] = []
        campaigns: dict[int, Campaign | None] = {}
        blocked: dict[int, set[str]] = {}
        free = dict(ready)
        for callback in due:
            chosen = assign([callback], campaign_id, free, want - len(picks))
            if not chosen:
                continue
            if callback.campaign_id not in campaigns:
                campaigns[callback.campaign_id] = await scope.first(
                    Campaign, Campaign.id == callback.campaign_id
                )
            campaign = campaigns[callback.campaign_id]
            if campaign is None:
                continue
            if campaign.id not in blocked:
                blocked[campaign.id] = await blocked_numbers(scope, campaign)
            if callback.number in blocked[campaign.id]:
                await _cancel(scope, callback, campaign.name)
                continue
            if not await claim_callback(scope, callback.id):
                continue  # another runner or process took it
            agent = chosen[0][1]
            free = {k: v for k, v in free.items() if v != agent}
            lead = await scope.first(Lead, Lead.id == callback.lead_id)
            row = await scope.first(ScheduledCallback, ScheduledCallback.id == callback.id)
            picks.append(CallbackPick(
                callback, campaign.name, agent, lead.name if lead else "",
                lead.postal_code if lead else "",
                f"{row.local_time.replace('T', ' ')} {row.zone}" if row else "",
                callback.extension_id is not None, row.note if row else "",
                (row.promised_by or "") if row else "",
            ))  # fmt: skip
    return picks


async def _cancel(scope: TenantScope, callback: DueCallback, campaign: str) -> None:
    """A callback to a number now on DNC is never placed: ``cancelled``, no try counted."""
    await scope.session.execute(
        update(ScheduledCallback)
        .where(
            ScheduledCallback.id == callback.id,
            ScheduledCallback.tenant_id == scope.tenant_id,
            ScheduledCallback.status == CallbackStatus.SCHEDULED,
        )
        .values(status=CallbackStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    log.warning("campaign %s: callback %s to %s not placed: the number is on a DNC list "
                "(cancelled)", campaign, callback.id, callback.number)  # fmt: skip


async def release_placed(database: Database) -> int:
    """Callbacks left ``placed`` by a process that stopped mid-call are scheduled again, due
    at once (their due time is in the past), the unfinished try not counted."""
    async with database.transaction() as session:
        result = await session.execute(
            update(ScheduledCallback)
            .where(ScheduledCallback.status == CallbackStatus.PLACED)
            .values(status=CallbackStatus.SCHEDULED, attempts=ScheduledCallback.attempts - 1)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def finish_pick(
    database: Database, pick: CallbackPick, *, answered: bool, now: datetime,
    retry_seconds: float,
) -> CallbackStatus | None:  # fmt: skip
    """Record how a placed callback ended (done, retried or missed); None if it is gone."""
    async with database.transaction() as session:
        tenant = await session.get(Tenant, pick.callback.tenant_id)
        if tenant is None:
            return None
        scope = TenantScope(session, tenant.id, tenant.domain)
        found = await scope.first(ScheduledCallback, ScheduledCallback.id == pick.callback.id)
        if found is None:
            return None  # removed while it was being called
        status = await finish_callback(scope, found.id, answered=answered, now=now,
                                       retry_seconds=retry_seconds)  # fmt: skip
    log.info("callback %s of campaign %s to %s (agent %s): %s", pick.callback.id,
             pick.campaign, pick.callback.number, pick.extension, status.value)  # fmt: skip
    return status
