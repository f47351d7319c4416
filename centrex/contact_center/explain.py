"""Explain the dialer: why a number would (not) be called now, and why a hopper is empty.

"Why is my hopper empty?" is the most common dialer support question (issue 15 item 6). The
answer must come from the rules the dialer really applies, not from a second opinion, so:

* the *due* filters (status, next attempt time, attempts left, postal focus) are the pure
  predicates below, and `dialable_count` re-counts with the hopper's own SQL
  (`hopper.due_clauses`) so a test can hold the two together;
* DNC is `dnc.blocked_numbers` (tenant list + campaign list + the provider's national lists,
  what the hopper reads at every claim), the window is `calling_window.is_open` /
  `next_opening` in the callee's zones with the
  tenant's zone as fallback, with the campaign's calling days and legal rules (`_Rules`; its
  `closed_reason` is the one-line why of `explain --number`), and the caller ID is
  `campaigns.caller_id_of_call` — the same calls the hopper and the dialer make.

For a whole campaign every lead is counted once, by the *first* filter that removes it, in
the order of `FILTERS` (the order a supervisor fixes things in: a lead that is done does not
need its window explained). Who would take the calls is campaign-wide, not a lead filter:
`agents` lists the campaign's agents *now* (its extensions plus the current members of its
agent groups, `campaign_agents.campaign_agents`, what the dialer resolves every tick); with
nobody there the dialer places no call, and a hint starting "no agents" says why (no one
assigned, or groups whose queues have no member). Nothing is written: unlike the hopper,
explaining never moves a lead to its next window opening nor marks it ``dnc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from centrex.contact_center import campaign_agents as assigned
from centrex.contact_center.calling_window import (
    BadDays,
    BadWindow,
    Window,
    closed_reason,
    is_open,
    local_times,
    next_opening,
    parse_days,
    parse_window,
)
from centrex.contact_center.campaigns import caller_id_of_call
from centrex.contact_center.dnc import blocked_numbers, tenant_region
from centrex.contact_center.hopper import DUE, due_clauses
from centrex.contact_center.national_dnc import national_blocked
from centrex.contact_center.phone_numbers import BadNumber, normalise
from centrex.data.models import Campaign, CampaignStatus, DncEntry, Lead, LeadStatus, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

# the funnel's order (module docstring); each name is a key of `explain_campaign`'s "removed"
FILTERS = ("status", "attempts", "not_yet_due", "postal_focus", "dnc", "window")


def status_ok(status: LeadStatus) -> bool:
    """Only ``new`` and ``retry`` leads are dialled (``in-call`` is held, the rest are final)."""
    return status in DUE


def attempts_left(attempts: int, max_attempts: int) -> int:
    return max(0, max_attempts - attempts)


def is_due(next_attempt_at: datetime | None, now: datetime) -> bool:
    """Its retry delay (or a pushed window opening) has passed."""
    return next_attempt_at is None or next_attempt_at <= now


def in_focus(postal_code: str, focus: Sequence[str]) -> bool:
    """With a focus, only postal codes starting with one of its prefixes are called (the
    hopper's SQL does the same)."""
    return not focus or any(postal_code.startswith(code) for code in focus)


def first_filter(
    *,
    status: LeadStatus,
    attempts: int,
    next_attempt_at: datetime | None,
    postal_code: str,
    blocked: bool,
    window_open: bool,
    max_attempts: int,
    focus: Sequence[str],
    now: datetime,
) -> str | None:
    """The first of `FILTERS` that keeps a lead from being dialled now (None: dialable)."""
    checks = (
        ("status", status_ok(status)),
        ("attempts", attempts_left(attempts, max_attempts) > 0),
        ("not_yet_due", is_due(next_attempt_at, now)),
        ("postal_focus", in_focus(postal_code, focus)),
        ("dnc", not blocked),
        ("window", window_open),
    )
    for name, passed in checks:
        if not passed:
            return name
    return None


@dataclass(frozen=True, slots=True)
class _Rules:
    """A campaign's window, calling days and legal rules, as the hopper applies them."""

    window: Window
    days: frozenset[int]
    legal: bool

    def open(self, e164: str, now: datetime, zone: str) -> bool:
        return is_open(self.window, e164, now, zone, days=self.days, legal=self.legal)

    def reason(self, e164: str, now: datetime, zone: str) -> str | None:
        return closed_reason(self.window, e164, now, zone, days=self.days, legal=self.legal)

    def next(self, e164: str, now: datetime, zone: str) -> datetime | None:
        return next_opening(self.window, e164, now, zone, days=self.days, legal=self.legal)


def _window(campaign: Campaign) -> _Rules | None:
    try:
        window, days = parse_window(campaign.calling_window), parse_days(campaign.calling_days)
    except (BadWindow, BadDays):
        return None
    return _Rules(window, days, campaign.legal_rules)


async def _zone(scope: TenantScope) -> str:
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    return tenant.timezone if tenant is not None else "UTC"


def _head(campaign: Campaign) -> dict[str, Any]:
    return {
        "campaign": campaign.name,
        "campaign_id": campaign.id,
        "campaign_status": campaign.status.value,
        "running": campaign.status is CampaignStatus.RUNNING,
        "window": campaign.calling_window,
        "calling_days": campaign.calling_days,
        "legal_rules": campaign.legal_rules,
        "max_attempts": campaign.max_attempts,
        "postal_focus": list(campaign.postal_focus),
    }


async def _agents(scope: TenantScope, campaign: Campaign) -> dict[str, Any]:
    """Who takes the campaign's calls now, and what is assigned (module docstring)."""
    rows = await assigned.campaign_agents(scope.session, scope.tenant_id, campaign.id)
    return {
        "agents": [r.number for r in rows],
        "assigned_agents": await assigned.agent_numbers(scope, campaign.id),
        "groups": await assigned.group_numbers(scope, campaign.id),
    }


def no_agents_hint(agents: dict[str, Any]) -> str | None:
    """Why nobody would take a call, or None when someone would."""
    if agents["agents"]:
        return None
    groups = agents["groups"]
    if groups:
        names = ", ".join(groups)
        return (f"no agents: the agent groups (queues {names}) have no members and no extension "
                "is assigned: the dialer places no call until a member joins")  # fmt: skip
    return "no agents: assign extensions or agent groups; the dialer places no call"


async def dialable_count(scope: TenantScope, campaign: Campaign, now: datetime) -> int:
    """What the hopper would find now: its SQL, then its DNC and window checks (read only)."""
    stmt = select(Lead.number).where(*due_clauses(campaign, now))  # type: ignore[arg-type]
    numbers = (await scope.session.scalars(stmt)).all()
    window = _window(campaign)
    if window is None or not numbers:
        return 0
    blocked = await blocked_numbers(scope, campaign)
    zone = await _zone(scope)
    return sum(1 for n in numbers if n not in blocked and window.open(n, now, zone))


async def explain_campaign(scope: TenantScope, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """How many leads each filter removes and how many remain dialable now."""
    window = _window(campaign)
    zone = await _zone(scope)
    blocked = await blocked_numbers(scope, campaign)
    stmt = select(
        Lead.number, Lead.status, Lead.attempts, Lead.next_attempt_at, Lead.postal_code
    ).where(Lead.tenant_id == scope.tenant_id, Lead.campaign_id == campaign.id)
    removed = dict.fromkeys(FILTERS, 0)
    by_status: dict[str, int] = {}
    total = 0
    for number, raw_status, attempts, next_at, postal in (await scope.session.execute(stmt)).all():
        total += 1
        status = LeadStatus(raw_status)
        by_status[status.value] = by_status.get(status.value, 0) + 1
        reason = first_filter(
            status=status, attempts=attempts, next_attempt_at=next_at, postal_code=postal,
            blocked=number in blocked,
            window_open=window is not None and window.open(number, now, zone),
            max_attempts=campaign.max_attempts, focus=campaign.postal_focus, now=now,
        )  # fmt: skip
        if reason is not None:
            removed[reason] += 1
    dialable = total - sum(removed.values())
    agents = await _agents(scope, campaign)
    hints: list[str] = []
    if campaign.status is not CampaignStatus.RUNNING:
        hints.append(f"the campaign is {campaign.status.value}: the dialer takes no lead")
    nobody = no_agents_hint(agents)
    if nobody is not None:
        hints.append(nobody)
    if window is None:
        hints.append(f"the calling window {campaign.calling_window!r} or the calling days "
                     f"{campaign.calling_days!r} are not valid")  # fmt: skip
    if total == 0:
        hints.append("the campaign has no leads: import a list")
    elif dialable == 0:
        worst = max(FILTERS, key=lambda name: removed[name])
        hints.append(f"no lead is dialable now; most are removed by {worst!r}")
    return {
        **_head(campaign),
        **agents,
        "now": now,
        "leads": total,
        "by_status": dict(sorted(by_status.items())),
        "removed": removed,
        "dialable_now": dialable,
        "hints": hints,
    }


async def _dnc_lists(scope: TenantScope, campaign: Campaign, e164: str) -> dict[str, Any]:
    """Which lists hold the number: the tenant's, the campaign's (bools), a national one (its
    name or None), and whether any of them blocks it."""
    stmt = (
        select(DncEntry.campaign_id, func.count())
        .where(DncEntry.tenant_id == scope.tenant_id, DncEntry.number == e164)
        .group_by(DncEntry.campaign_id)
    )
    found = {cid for cid, _n in (await scope.session.execute(stmt)).all()}
    national = (await national_blocked(scope.session, [e164])).get(e164)
    tenant, own = None in found, campaign.id in found
    return {"tenant": tenant, "campaign": own, "national": national,
            "blocked": tenant or own or national is not None}  # fmt: skip


async def explain_number(
    scope: TenantScope, campaign: Campaign, number: str, now: datetime
) -> dict[str, Any]:
    """For one number: caller ID, callee's local time, window, DNC, attempts, next attempt."""
    try:
        e164 = normalise(number, await tenant_region(scope))
    except BadNumber as exc:
        raise ValidationFailed(
            f"not a number to explain: {exc}", error_id="explain-bad-number", field="number"
        ) from None
    zone = await _zone(scope)
    window = _window(campaign)
    lead = await scope.first(Lead, Lead.campaign_id == campaign.id, Lead.number == e164)
    dnc = await _dnc_lists(scope, campaign, e164)
    closed = window.reason(e164, now, zone) if window is not None else "no valid window"
    window_open = closed is None
    opening = window.next(e164, now, zone) if window is not None else None
    attempts = lead.attempts if lead is not None else 0
    left = attempts_left(attempts, campaign.max_attempts)
    reason: str | None
    next_at: datetime | None = None
    if lead is None:
        reason = "not_a_lead"
    else:
        reason = first_filter(
            status=lead.status, attempts=lead.attempts, next_attempt_at=lead.next_attempt_at,
            postal_code=lead.postal_code, blocked=dnc["blocked"],
            window_open=window_open, max_attempts=campaign.max_attempts,
            focus=campaign.postal_focus, now=now,
        )  # fmt: skip
    if reason in (None, "not_yet_due", "window") and opening is not None:
        due = lead.next_attempt_at if lead is not None and lead.next_attempt_at else now
        next_at = due if due > now else now
        if window is not None and not window.open(e164, next_at, zone):
            next_at = window.next(e164, next_at, zone)
    agents = await _agents(scope, campaign)
    return {
        **_head(campaign),
        **agents,
        "no_agents": no_agents_hint(agents),
        "now": now,
        "number": e164,
        "caller_id": await caller_id_of_call(scope, campaign, e164),
        "caller_id_policy": campaign.caller_id,
        "local_time": {
            z: t.isoformat(timespec="minutes") for z, t in local_times(e164, now, zone).items()
        },
        "inside_window": window_open,
        "closed_reason": closed,  # "not a calling day (Saturday)", "public holiday in FR: …"
        "next_window_opening": opening,
        "dnc": dnc,
        "lead": None
        if lead is None
        else {
            "id": lead.id,
            "name": lead.name,
            "status": lead.status.value,
            "attempts": lead.attempts,
            "postal_code": lead.postal_code,
            "last_outcome": lead.last_outcome,
            "next_attempt_at": lead.next_attempt_at,
        },
        "attempts_left": left,
        "dialable_now": reason is None,  # by the lead filters; "running" says the rest
        "blocked_by": reason,
        "next_attempt_at": next_at,
    }
