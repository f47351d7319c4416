"""Campaigns of a tenant: create, list, read, change, start/pause/stop, focus, delete.

Rules, each with a stable error id (CLI, API and the demo share them):

* name: 1-100 characters, unique in the tenant (`campaign-exists`, 409);
* dial method: preview, progressive, ratio, predictive (`campaign-bad-method`); ratio 1-5
  (`campaign-bad-ratio`: the pacer's `max_ratio`); drop target a share of answered calls in
  (0, 0.5] (`campaign-bad-drop-target`), 3 % by default;
* caller ID: `local` (local presence, `contact_center/caller_id.py`) or an E.164 number *of this
  tenant* (`campaign-caller-id-not-owned`: showing someone else's number is spoofing);
* calling window HH:MM-HH:MM in the callee's local time; one that never opens is refused here
  (`campaign-bad-window`), not discovered later by an empty hopper;
* calling days "mon-fri", "mon,wed,fri" (`campaign-bad-days`), "mon-sun" by default, stored in
  canonical form; legal rules (the callee country's legal hours and public holidays,
  `country_rules.py`) on by default. A campaign whose days and window never meet the legal
  hours of the tenant's own country would never call its home market: refused
  (`campaign-never-opens`, naming why);
* max attempts 1-20 (`campaign-bad-max-attempts`); retry delays per outcome in seconds
  (`campaign-bad-retry`);
* agents: extensions of this tenant (`campaign-agent-unknown`: another tenant's extension is
  simply unknown); agent groups: queues of this tenant by number (`campaign-group-unknown`),
  whose members are agents of the campaign too, resolved live (`campaign_agents.py`); a
  campaign with neither agents nor groups cannot start (`campaign-without-agents`), one whose
  groups are empty queues may (it dials nothing until a member joins: `explain` says so);
* status moves by the literal `TRANSITIONS` table (`campaign-bad-transition`, 409);
* postal-code focus: a list of postal-code prefixes, changed while running (the dialer reads it
  on every hopper fill), `[]` = no focus.

Every query goes through `TenantScope`, so another tenant's campaign is "not found".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from centrex.contact_center import campaign_agents as assigned
from centrex.contact_center.caller_id import caller_id_for
from centrex.contact_center.calling_window import (
    DEFAULT_DAYS,
    DEFAULT_WINDOW,
    BadDays,
    BadWindow,
    format_days,
    never_opens_reason,
    parse_days,
    parse_window,
)
from centrex.contact_center.phone_numbers import BadNumber, normalise, region_of
from centrex.data.models import (
    Campaign,
    CampaignStatus,
    DialMethod,
    Lead,
    Number,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

DEFAULT_DROP_TARGET = 0.03
MAX_RATIO = 5.0
MAX_ATTEMPTS = 20
OUTCOMES = ("busy", "no-answer", "machine", "dropped", "failed")
DEFAULT_RETRY_DELAYS = {"busy": 600, "no-answer": 3600, "machine": 7200, "dropped": 1800,
                        "failed": 3600}  # fmt: skip
MAX_RETRY_DELAY = 30 * 86400
MAX_FOCUS = 200
_POSTAL = re.compile(r"^[A-Za-z0-9 -]{1,20}$")

# (status, action) -> next status; anything else is `campaign-bad-transition`
TRANSITIONS: dict[tuple[CampaignStatus, str], CampaignStatus] = {
    (CampaignStatus.DRAFT, "start"): CampaignStatus.RUNNING,
    (CampaignStatus.PAUSED, "start"): CampaignStatus.RUNNING,
    (CampaignStatus.STOPPED, "start"): CampaignStatus.RUNNING,
    (CampaignStatus.RUNNING, "pause"): CampaignStatus.PAUSED,
    (CampaignStatus.DRAFT, "stop"): CampaignStatus.STOPPED,
    (CampaignStatus.RUNNING, "stop"): CampaignStatus.STOPPED,
    (CampaignStatus.PAUSED, "stop"): CampaignStatus.STOPPED,
}


def _invalid(message: str, error_id: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field=field)


def check_name(name: str) -> str:
    value = name.strip()
    if not 1 <= len(value) <= 100 or any(ord(c) < 32 for c in value):
        raise _invalid("a campaign name has 1 to 100 printable characters", "campaign-bad-name",
                       "name")  # fmt: skip
    return value


def check_method(method: str) -> DialMethod:
    try:
        return DialMethod(method.strip().lower())
    except ValueError:
        names = ", ".join(m.value for m in DialMethod)
        raise _invalid(f"dial method is one of {names}, not {method!r}", "campaign-bad-method",
                       "method") from None  # fmt: skip


def check_ratio(ratio: float) -> float:
    if not 1.0 <= ratio <= MAX_RATIO:
        raise _invalid(f"ratio must be 1-{MAX_RATIO:g}, not {ratio:g}", "campaign-bad-ratio",
                       "ratio")  # fmt: skip
    return float(ratio)


def check_drop_target(share: float) -> float:
    """A share of answered calls (0.03 = 3 %)."""
    if not 0.0 < share <= 0.5:
        raise _invalid(f"the drop target must be above 0 % and at most 50 %, not {share:.2%}",
                       "campaign-bad-drop-target", "drop_target")  # fmt: skip
    return float(share)


def check_window(text: str) -> str:
    try:
        return str(parse_window(text))
    except BadWindow as exc:
        raise _invalid(str(exc), "campaign-bad-window", "window") from None


def check_days(text: str) -> str:
    """Calling days in canonical form ('Mon-Fri' → 'mon-fri')."""
    try:
        return format_days(parse_days(text))
    except BadDays as exc:
        raise _invalid(str(exc), "campaign-bad-days", "calling_days") from None


def check_amd(value: bool) -> bool:
    if not isinstance(value, bool):
        raise _invalid(f"answering-machine detection is on or off, not {value!r}",
                       "campaign-bad-amd", "amd")  # fmt: skip
    return value


def check_legal_rules(value: bool) -> bool:
    if not isinstance(value, bool):
        raise _invalid(f"legal rules are on or off, not {value!r}", "campaign-bad-legal-rules",
                       "legal_rules")  # fmt: skip
    return value


async def check_reachable(scope: TenantScope, window: str, days: str, legal: bool) -> None:
    """Refuse a campaign that could never call the tenant's own country (module docstring)."""
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    country = region_of(tenant.country if tenant is not None else None)
    reason = never_opens_reason(parse_window(window), parse_days(days), country, legal=legal)
    if reason is not None:
        # the days alone never meet the law (any window would fail): blame the days
        days_alone = never_opens_reason(parse_window("00:00-23:59"), parse_days(days), country,
                                        legal=legal)  # fmt: skip
        field = "calling_days" if days_alone else "window"
        raise _invalid(f"the campaign would never call {country}: {reason}",
                       "campaign-never-opens", field)  # fmt: skip


def check_max_attempts(value: int) -> int:
    if not 1 <= value <= MAX_ATTEMPTS:
        raise _invalid(f"max attempts must be 1-{MAX_ATTEMPTS}, not {value}",
                       "campaign-bad-max-attempts", "max_attempts")  # fmt: skip
    return value


def check_retry_delays(delays: dict[str, int]) -> dict[str, int]:
    merged = dict(DEFAULT_RETRY_DELAYS)
    for outcome, seconds in delays.items():
        if outcome not in OUTCOMES:
            raise _invalid(f"retry delays are for {', '.join(OUTCOMES)}, not {outcome!r}",
                           "campaign-bad-retry", "retry_delays")  # fmt: skip
        if not 0 <= int(seconds) <= MAX_RETRY_DELAY:
            raise _invalid(f"a retry delay is 0-{MAX_RETRY_DELAY} seconds, not {seconds}",
                           "campaign-bad-retry", "retry_delays")  # fmt: skip
        merged[outcome] = int(seconds)
    return merged


def check_focus(codes: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for code in codes:
        value = code.strip().upper()
        if not _POSTAL.match(value):
            raise _invalid(f"{code!r} is not a postal code", "campaign-bad-postal-code",
                           "postal_codes")  # fmt: skip
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_FOCUS:
        raise _invalid(f"at most {MAX_FOCUS} postal codes in a focus", "campaign-bad-postal-code",
                       "postal_codes")  # fmt: skip
    return cleaned


async def tenant_numbers(scope: TenantScope) -> list[str]:
    """The tenant's own E.164 numbers (the candidates of local presence)."""
    return sorted(n.e164 for n in await scope.list(Number))


async def check_caller_id(scope: TenantScope, policy: str) -> str:
    value = policy.strip()
    if value.lower() == "local":
        return "local"
    try:
        e164 = normalise(value, "ZZ") if value.startswith("+") else None
    except BadNumber:
        e164 = None
    if e164 is None:
        raise _invalid(f"caller ID is 'local' or an E.164 number, not {policy!r}",
                       "campaign-bad-caller-id", "caller_id")  # fmt: skip
    if await scope.first(Number, Number.e164 == e164) is None:
        raise _invalid(f"{e164} is not a number of {scope.domain}",
                       "campaign-caller-id-not-owned", "caller_id")  # fmt: skip
    return e164


async def agent_numbers(scope: TenantScope, campaign: Campaign) -> list[str]:
    """The directly assigned extensions (not the group members: `resolved_agents`)."""
    return await assigned.agent_numbers(scope, campaign.id)


async def group_numbers(scope: TenantScope, campaign: Campaign) -> list[str]:
    """The assigned agent groups, by queue number."""
    return await assigned.group_numbers(scope, campaign.id)


async def resolved_agents(scope: TenantScope, campaign: Campaign) -> list[str]:
    """Everyone who takes the campaign's calls now: agents plus the groups' current members."""
    rows = await assigned.campaign_agents(scope.session, scope.tenant_id, campaign.id)
    return [r.number for r in rows]


async def campaign_dict(scope: TenantScope, campaign: Campaign) -> dict[str, Any]:
    """A campaign as the CLI and the API show it (with its agents, groups and lead count)."""
    leads = await scope.count(Lead, Lead.campaign_id == campaign.id)
    return {
        "id": campaign.id,
        "name": campaign.name,
        "method": campaign.dial_method.value,
        "ratio": campaign.ratio,
        "drop_target": campaign.drop_target,
        "caller_id": campaign.caller_id,
        "window": campaign.calling_window,
        "calling_days": campaign.calling_days,
        "legal_rules": campaign.legal_rules,
        "amd": campaign.amd,
        "max_attempts": campaign.max_attempts,
        "retry_delays": dict(campaign.retry_delays),
        "status": campaign.status.value,
        "priority": campaign.priority,
        "postal_focus": list(campaign.postal_focus),
        "agents": await agent_numbers(scope, campaign),
        "groups": await group_numbers(scope, campaign),
        "leads": leads,
    }


async def create_campaign(
    scope: TenantScope,
    *,
    name: str,
    method: str,
    ratio: float = 1.0,
    drop_target: float = DEFAULT_DROP_TARGET,
    caller_id: str = "local",
    window: str = DEFAULT_WINDOW,
    calling_days: str = DEFAULT_DAYS,
    legal_rules: bool = True,
    amd: bool = False,
    max_attempts: int = 3,
    retry_delays: dict[str, int] | None = None,
    priority: int = 0,
    agents: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> Campaign:
    """Create a draft campaign; nothing is written when any input is refused."""
    value = check_name(name)
    if await scope.first(Campaign, Campaign.name == value) is not None:
        raise Conflict(f"campaign {value!r} exists already", error_id="campaign-exists",
                       field="name")  # fmt: skip
    window_text, days_text = check_window(window), check_days(calling_days)
    await check_reachable(scope, window_text, days_text, check_legal_rules(legal_rules))
    campaign = Campaign(
        name=value,
        dial_method=check_method(method),
        ratio=check_ratio(ratio),
        drop_target=check_drop_target(drop_target),
        caller_id=await check_caller_id(scope, caller_id),
        calling_window=window_text,
        calling_days=days_text,
        legal_rules=legal_rules,
        amd=check_amd(amd),
        max_attempts=check_max_attempts(max_attempts),
        retry_delays=check_retry_delays(retry_delays or {}),
        status=CampaignStatus.DRAFT,
        priority=_check_priority(priority),
        postal_focus=[],
    )
    agent_ids = await assigned.check_agents(scope, agents)
    group_ids = await assigned.check_groups(scope, groups)
    scope.add(campaign)
    await scope.session.flush()
    await assigned.set_agents(scope, campaign.id, agent_ids)
    await assigned.set_groups(scope, campaign.id, group_ids)
    return campaign


def _check_priority(priority: int) -> int:
    if not -100 <= priority <= 100:
        raise _invalid(f"priority must be -100 to 100, not {priority}", "campaign-bad-priority",
                       "priority")  # fmt: skip
    return priority


async def list_campaigns(scope: TenantScope) -> list[Campaign]:
    return list(await scope.list(Campaign, order_by=Campaign.name))


async def get_campaign(scope: TenantScope, name: str) -> Campaign:
    campaign = await scope.first(Campaign, Campaign.name == name.strip())
    if campaign is None:
        raise NotFound(f"campaign {name!r} not found", error_id="campaign-not-found")
    return campaign


async def get_campaign_by_id(scope: TenantScope, campaign_id: int) -> Campaign:
    campaign = await scope.first(Campaign, Campaign.id == campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found", error_id="campaign-not-found")
    return campaign


# field of an update -> (model attribute, check); caller ID, agents and groups are checked in
# the tenant
_UPDATE_CHECKS: dict[str, tuple[str, Any]] = {
    "method": ("dial_method", check_method),
    "ratio": ("ratio", check_ratio),
    "drop_target": ("drop_target", check_drop_target),
    "window": ("calling_window", check_window),
    "calling_days": ("calling_days", check_days),
    "legal_rules": ("legal_rules", check_legal_rules),
    "amd": ("amd", check_amd),
    "max_attempts": ("max_attempts", check_max_attempts),
    "retry_delays": ("retry_delays", check_retry_delays),
    "priority": ("priority", _check_priority),
}


async def update_campaign(
    scope: TenantScope, campaign: Campaign, changes: dict[str, Any]
) -> Campaign:
    """Change what `changes` names (name, method, ratio, drop_target, caller_id, window,
    calling_days, legal_rules, amd, max_attempts, retry_delays, priority, agents, groups); None
    values are ignored. Allowed while running: the dialer reads the settings on each hopper
    fill (leads already pushed to a later opening keep it). All is checked before writing, the
    merged window, days and legal rules included (`check_reachable`)."""
    given = {k: v for k, v in changes.items() if v is not None}
    unknown = set(given) - {*_UPDATE_CHECKS, "name", "caller_id", "agents", "groups"}
    if unknown:
        raise _invalid(f"cannot change {sorted(unknown)}", "campaign-bad-field", sorted(unknown)[0])
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = check_name(given["name"])
        other = await scope.first(Campaign, Campaign.name == values["name"])
        if other is not None and other is not campaign:
            raise Conflict(f"campaign {values['name']!r} exists already",
                           error_id="campaign-exists", field="name")  # fmt: skip
    for key, (attribute, check) in _UPDATE_CHECKS.items():
        if key in given:
            values[attribute] = check(given[key])
    if {"window", "calling_days", "legal_rules"} & set(given):
        await check_reachable(scope, values.get("calling_window", campaign.calling_window),
                              values.get("calling_days", campaign.calling_days),
                              values.get("legal_rules", campaign.legal_rules))  # fmt: skip
    if "caller_id" in given:
        values["caller_id"] = await check_caller_id(scope, given["caller_id"])
    # refuse before writing anything
    agent_ids = await assigned.check_agents(scope, given["agents"]) if "agents" in given else None
    group_ids = await assigned.check_groups(scope, given["groups"]) if "groups" in given else None
    for attribute, value in values.items():
        setattr(campaign, attribute, value)
    if agent_ids is not None:
        await assigned.set_agents(scope, campaign.id, agent_ids)
    if group_ids is not None:
        await assigned.set_groups(scope, campaign.id, group_ids)
    await scope.session.flush()
    return campaign


async def change_status(scope: TenantScope, campaign: Campaign, action: str) -> Campaign:
    """start, pause or stop, by the `TRANSITIONS` table."""
    target = TRANSITIONS.get((campaign.status, action))
    if target is None:
        raise Conflict(f"campaign {campaign.name!r} is {campaign.status.value}: cannot {action}",
                       error_id="campaign-bad-transition", field="status")  # fmt: skip
    if target is CampaignStatus.RUNNING and not await assigned.has_assignment(scope, campaign.id):
        raise _invalid(f"campaign {campaign.name!r} has no agents: assign extensions or agent "
                       "groups (queues) first", "campaign-without-agents", "agents")  # fmt: skip
    campaign.status = target
    await scope.session.flush()
    return campaign


async def set_focus(scope: TenantScope, campaign: Campaign, codes: Sequence[str]) -> Campaign:
    """Refocus on postal codes (prefixes) on the fly; `[]` clears the focus."""
    campaign.postal_focus = check_focus(codes)
    await scope.session.flush()
    return campaign


async def delete_campaign(scope: TenantScope, campaign: Campaign) -> None:
    """Delete a campaign with its leads, batches, history and DNC entries (not while running)."""
    if campaign.status is CampaignStatus.RUNNING:
        raise Conflict(f"campaign {campaign.name!r} is running: stop it first",
                       error_id="campaign-running", field="status")  # fmt: skip
    await scope.remove(campaign)
    await scope.session.flush()


async def lead_counts(scope: TenantScope, campaign: Campaign) -> dict[str, int]:
    """How many leads the campaign has per status."""
    stmt = (
        select(Lead.status, func.count())
        .where(Lead.tenant_id == scope.tenant_id, Lead.campaign_id == campaign.id)
        .group_by(Lead.status)
    )
    return {str(s.value if hasattr(s, "value") else s): int(n)
            for s, n in (await scope.session.execute(stmt)).all()}  # fmt: skip


async def caller_id_of_call(scope: TenantScope, campaign: Campaign, called: str) -> str | None:
    """The caller ID a call of the campaign to `called` shows (local presence or fixed); the
    default of local presence is the tenant's main number when it owns it, else its first."""
    numbers = await tenant_numbers(scope)
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    main = tenant.main_number if tenant is not None else None
    default = main if main in numbers else (numbers[0] if numbers else None)
    return caller_id_for(campaign.caller_id, called, numbers, default)
