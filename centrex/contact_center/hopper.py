"""The hopper: which leads of a running campaign the dialer may call now, claimed exclusively.

Theory of operation (issue 15 item 3):

* A lead is *due* when its status is ``new`` or ``retry``, its `next_attempt_at` is empty or
  past, it has attempts left (`attempts < max_attempts`) and, while the campaign has a postal
  focus, its postal code starts with one of the focus codes (prefixes). Those filters are SQL.
* Two more checks cannot wait for import time or are not SQL: the **DNC lists** (the tenant's,
  the campaign's and the provider's national lists for the numbers scanned, read again at
  every claim, so a number added after import is never dialled: such a lead becomes ``dnc``
  for good) and the **calling window** in the callee's
  local time (`calling_window.is_open`, the number's zones; the tenant's zone when the number
  has none) with the campaign's calling days and, with `legal_rules` on, the legal hours and
  public holidays of the callee's country. A lead outside them is pushed to its next opening
  (`next_attempt_at`; when nothing opens within `calling_window.HORIZON_DAYS`, to the end of
  that horizon), so it leaves the head of the hopper instead of hiding the leads behind it.
* **Claiming**: on PostgreSQL, `want` of the leads that passed every check are locked with
  ``SELECT … FOR UPDATE SKIP LOCKED`` (a second dialer process skips the rows this one takes
  instead of waiting for them; only those rows are locked, not the whole scan); each is then
  claimed by ``UPDATE leads SET status='in-call' WHERE id=… AND status IN ('new','retry')``, and
  a claim that updates no row lost the race. SQLite has no row locks but one writer at a time:
  every eligible lead of the scan is offered to that guarded UPDATE in turn, so a claimer that
  waited for another one's commit finds its first leads ``in-call``, skips them and takes the
  next ones. Either way no lead is dialled twice (tested with concurrent claimers on both).
* Recording an attempt (`record_attempt`) writes its `LeadAttempt` row and moves the lead by
  `lead_outcomes.lead_update` in one transaction, guarded on ``in-call`` so a lead rolled back
  meanwhile (its batch deleted) is simply gone.

Every query names the tenant (`TenantScope`): a campaign only ever sees its tenant's leads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from centrex.contact_center.calling_window import (
    HORIZON_DAYS,
    BadDays,
    BadWindow,
    Window,
    is_open,
    next_opening,
    parse_days,
    parse_window,
)
from centrex.contact_center.dnc import blocked_numbers
from centrex.contact_center.lead_outcomes import AttemptOutcome, lead_update
from centrex.data.db import Database
from centrex.data.models import Campaign, CampaignStatus, Lead, LeadAttempt, LeadStatus, Tenant
from centrex.data.tenancy import TenantScope

log = logging.getLogger(__name__)

DUE = (LeadStatus.NEW, LeadStatus.RETRY)
SCAN_FACTOR = 4  # candidates read per lead wanted: the window and DNC checks remove some
SCAN_EXTRA = 20


@dataclass(frozen=True, slots=True)
class ClaimedLead:
    """A lead the dialer now holds (status ``in-call``) and must record an attempt for."""

    id: int
    tenant_id: int
    campaign_id: int
    number: str
    name: str
    postal_code: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One finished call to a claimed lead, as `record_attempt` writes it."""

    outcome: AttemptOutcome
    started_at: datetime
    ended_at: datetime
    caller_id: str | None = None
    call_id: str | None = None
    extension_id: int | None = None
    ring_seconds: float = 0.0
    talk_seconds: float = 0.0
    wrap_seconds: float = 0.0


def due_clauses(campaign: Campaign, now: datetime) -> list[object]:
    """The SQL half of "due" (module docstring): status, time, attempts, postal focus."""
    clauses: list[object] = [
        Lead.tenant_id == campaign.tenant_id,
        Lead.campaign_id == campaign.id,
        Lead.status.in_(DUE),
        or_(Lead.next_attempt_at.is_(None), Lead.next_attempt_at <= now),
        Lead.attempts < campaign.max_attempts,
    ]
    if campaign.postal_focus:  # prefixes: "75" is all of Paris, "75011" one district
        clauses.append(
            or_(
                *(
                    Lead.postal_code.startswith(code, autoescape=True)
                    for code in campaign.postal_focus
                )
            )
        )
    return clauses


async def _guarded(scope: TenantScope, lead_id: int, **values: object) -> bool:
    """Update one lead of the scope's tenant only while it is still due."""
    result = await scope.session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.tenant_id == scope.tenant_id, Lead.status.in_(DUE))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def _dialable(
    scope: TenantScope,
    campaign: Campaign,
    lead: Lead,
    blocked: set[str],
    window: Window,
    days: frozenset[int],
    zone: str,
    now: datetime,
) -> bool:
    """The dial-time checks of a due lead: a DNC number becomes ``dnc`` for good; a lead
    outside its window is pushed to its next opening (module docstring)."""
    if lead.number in blocked:
        if await _guarded(scope, lead.id, status=LeadStatus.DNC, last_outcome="dnc"):
            log.info("campaign %s: lead %s (%s) is on a DNC list now: never dialled",
                     campaign.name, lead.id, lead.number)  # fmt: skip
        return False
    legal = campaign.legal_rules
    if is_open(window, lead.number, now, zone, days=days, legal=legal):
        return True
    opening = next_opening(window, lead.number, now, zone, days=days, legal=legal)
    later = opening or now + timedelta(days=HORIZON_DAYS)  # none in the horizon: look again then
    await _guarded(scope, lead.id, next_attempt_at=later)
    return False


async def claim_leads(
    database: Database, tenant_id: int, campaign_id: int, want: int, now: datetime
) -> list[ClaimedLead]:
    """Claim up to `want` due leads of a running campaign (module docstring), oldest first."""
    if want <= 0:
        return []
    async with database.transaction() as session:
        tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            return []
        scope = TenantScope(session, tenant.id, tenant.domain)
        campaign = await scope.first(Campaign, Campaign.id == campaign_id)
        if campaign is None or campaign.status is not CampaignStatus.RUNNING:
            return []
        try:
            window = parse_window(campaign.calling_window)
            days = parse_days(campaign.calling_days)
        except (BadWindow, BadDays) as exc:
            log.warning("campaign %s of tenant %s: %s: nothing dialled", campaign.name,
                        tenant_id, exc)  # fmt: skip
            return []
        stmt = (
            select(Lead)
            .where(*due_clauses(campaign, now))  # type: ignore[arg-type]
            .order_by(Lead.next_attempt_at.is_not(None), Lead.next_attempt_at, Lead.id)
            .limit(want * SCAN_FACTOR + SCAN_EXTRA)
        )
        candidates: Sequence[Lead] = (await session.scalars(stmt)).all()
        blocked = (
            await blocked_numbers(scope, campaign, [lead.number for lead in candidates])
            if candidates
            else set()
        )
        eligible = [lead for lead in candidates
                    if await _dialable(scope, campaign, lead, blocked, window, days,
                                      tenant.timezone, now)]  # fmt: skip
        if not eligible:
            return []
        ids = [lead.id for lead in eligible]
        if not database.is_sqlite:
            # lock `want` rows nobody else holds (a second dialer process skips exactly those)
            ids = list(
                (
                    await session.scalars(
                        select(Lead.id)
                        .where(Lead.id.in_(ids), Lead.status.in_(DUE))
                        .order_by(Lead.id)
                        .limit(want)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
            )
        # SQLite: no row locks, one writer at a time — the whole eligible scan is offered to
        # the guarded UPDATE, so a claimer that lost the first rows takes the next ones
        claimed: list[ClaimedLead] = []
        takeable = set(ids)
        for lead in (lead for lead in eligible if lead.id in takeable):
            if len(claimed) >= want:
                break
            if await _guarded(scope, lead.id, status=LeadStatus.IN_CALL):
                claimed.append(ClaimedLead(lead.id, tenant.id, campaign.id, lead.number,
                                           lead.name, lead.postal_code, lead.attempts))  # fmt: skip
        return claimed


async def record_attempt(
    database: Database,
    lead: ClaimedLead,
    attempt: Attempt,
    *,
    max_attempts: int,
    retry_delays: dict[str, int],
) -> LeadStatus | None:
    """Write the attempt and move the lead by the outcome table; the lead's new status (None
    when the lead is gone: its batch was rolled back while it was being called)."""
    update_ = lead_update(attempt.outcome, attempts_before=lead.attempts,
                          max_attempts=max_attempts, retry_delays=retry_delays,
                          now=attempt.ended_at)  # fmt: skip
    async with database.transaction() as session:
        result = await session.execute(
            update(Lead)
            .where(
                Lead.id == lead.id,
                Lead.tenant_id == lead.tenant_id,
                Lead.status == LeadStatus.IN_CALL,
            )
            .values(
                status=update_.status,
                attempts=update_.attempts,
                next_attempt_at=update_.next_attempt_at,
                last_outcome=attempt.outcome.value,
            )
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            log.info("lead %s left the campaign while it was called: attempt not kept", lead.id)
            return None
        session.add(
            LeadAttempt(
                tenant_id=lead.tenant_id, lead_id=lead.id, campaign_id=lead.campaign_id,
                started_at=attempt.started_at, ended_at=attempt.ended_at,
                outcome=attempt.outcome.value, extension_id=attempt.extension_id,
                caller_id=attempt.caller_id, call_id=attempt.call_id,
                talk_seconds=round(attempt.talk_seconds),
                ring_seconds=round(attempt.ring_seconds),
                wrap_seconds=round(attempt.wrap_seconds),
            )
        )  # fmt: skip
    return update_.status


async def release_unfinished(database: Database, now: datetime) -> int:
    """Leads left ``in-call`` by a process that stopped mid-call go back to ``retry`` now,
    with no attempt counted (no outcome is known). Run once when the dialer starts; with
    several dialer processes on one database only the first to start should run it."""
    async with database.transaction() as session:
        result = await session.execute(
            update(Lead)
            .where(Lead.status == LeadStatus.IN_CALL)
            .values(status=LeadStatus.RETRY, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)
