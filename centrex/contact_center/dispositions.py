"""Call dispositions: the list an agent picks from when a call to a lead ends, and what picking
one does to the lead (issue 15 item 1).

Theory of operation. Every tenant has the SYSTEM dispositions below without a row; a tenant
adds its own codes (`LeadDisposition` rows: lowercase `[a-z0-9][a-z0-9-]{0,31}`, never a
system code, a label of 1-64 printable characters, final or not). `set_disposition` writes the
code on the lead and on its latest attempt (`lead_attempts.disposition`, what the campaign
statistics count per disposition) and then moves the lead by a literal table:

=====================  ==========================================================================
disposition            lead afterwards
=====================  ==========================================================================
any *final* one        ``done``, no next attempt (sale, not-interested, wrong-number, a tenant's
                       final code)
do-not-call            ``done``, and the lead's number joins the tenant-wide DNC list (once: a
                       number already listed is not added again), so no campaign calls it again
answering-machine      ``retry`` after the campaign's "machine" retry delay (its `retry_delays`
                       over `campaigns.DEFAULT_RETRY_DELAYS`, as `lead_outcomes` does), or
                       ``exhausted`` when the lead's attempts reached the campaign's maximum
callback               unchanged: the scheduled callback (`callbacks.py`) calls the lead again at
                       the promised time; re-opening the lead as well would call it twice
a tenant's non-final   ``retry`` after the campaign's "no-answer" delay (a person was reached but
                       the lead is not settled: call again, not at once), or ``exhausted``
=====================  ==========================================================================

A lead the dialer holds (``in-call``) is refused (`disposition-lead-in-call`): its attempt is not
written yet, and moving the lead now would make the dialer drop that attempt. An agent
(`by_extension`) may disposition only a lead whose latest attempt was taken by its extension;
any other lead — another agent's, one never called, another tenant's — is *not found*, so an
agent learns nothing about leads that are not its own. Codes removed from the tenant's list
stay on the leads and attempts that carry them (history and statistics are not rewritten).
No clock is read: `now` is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from centrex.contact_center.campaigns import DEFAULT_RETRY_DELAYS
from centrex.data.models import Campaign, DncEntry, Lead, LeadAttempt, LeadDisposition, LeadStatus
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
MAX_LABEL = 64
MAX_NOTE = 200
NOTE_FIELD = "disposition_note"  # where the agent's note goes in the lead's custom fields
DNC_NOTE = "disposition do-not-call"


@dataclass(frozen=True, slots=True)
class SystemDisposition:
    code: str
    label: str
    final: bool


SYSTEM: dict[str, SystemDisposition] = {
    d.code: d
    for d in (
        SystemDisposition("sale", "Sale", True),
        SystemDisposition("not-interested", "Not interested", True),
        SystemDisposition("wrong-number", "Wrong number", True),
        SystemDisposition("do-not-call", "Do not call", True),
        SystemDisposition("callback", "Callback", False),
        SystemDisposition("answering-machine", "Answering machine", False),
    )
}


@dataclass(frozen=True, slots=True)
class Chosen:
    """The disposition being applied: its code and whether it settles the lead."""

    code: str
    final: bool


# ------------------------------------------------------------------------------- the list


def disposition_dict(code: str, label: str, final: bool, system: bool) -> dict[str, Any]:
    return {"code": code, "label": label, "final": final, "system": system}


def check_code(code: str) -> str:
    if not CODE.match(code):
        raise ValidationFailed(
            f"a disposition code is 1-32 lowercase letters, digits and '-' (starting with a "
            f"letter or digit), not {code!r}",
            error_id="disposition-bad-code",
            field="code",
        )
    return code


def check_label(label: str) -> str:
    cleaned = label.strip()
    if not 1 <= len(cleaned) <= MAX_LABEL or not cleaned.isprintable():
        raise ValidationFailed(f"a label is 1-{MAX_LABEL} printable characters",
                               error_id="disposition-bad-label", field="label")  # fmt: skip
    return cleaned


async def list_dispositions(scope: TenantScope) -> list[dict[str, Any]]:
    """The system dispositions (in their fixed order), then the tenant's by code."""
    own = await scope.list(LeadDisposition, order_by=LeadDisposition.code)
    return [disposition_dict(d.code, d.label, d.final, True) for d in SYSTEM.values()] + [
        disposition_dict(d.code, d.label, d.final, False) for d in own
    ]


async def add_disposition(
    scope: TenantScope, *, code: str, label: str, final: bool = True
) -> dict[str, Any]:
    """A new tenant disposition; a system code or one the tenant has is a conflict."""
    check_code(code)
    cleaned = check_label(label)
    if code in SYSTEM:
        raise Conflict(f"{code!r} is a system disposition", error_id="disposition-system",
                       field="code")  # fmt: skip
    if await scope.first(LeadDisposition, LeadDisposition.code == code) is not None:
        raise Conflict(f"disposition {code!r} exists already", error_id="disposition-exists",
                       field="code")  # fmt: skip
    scope.add(LeadDisposition(code=code, label=cleaned, final=final))
    await scope.session.flush()
    return disposition_dict(code, cleaned, final, False)


async def remove_disposition(scope: TenantScope, code: str) -> None:
    """Remove a tenant disposition (leads and attempts keep the code they carry)."""
    if code in SYSTEM:
        raise Conflict(f"{code!r} is a system disposition and cannot be removed",
                       error_id="disposition-system", field="code")  # fmt: skip
    if not await scope.delete(LeadDisposition, LeadDisposition.code == code):
        raise NotFound(f"disposition {code!r} not found", error_id="disposition-not-found")


async def find_disposition(scope: TenantScope, code: str) -> Chosen:
    """The system or tenant disposition `code`; unknown: an error naming the known codes."""
    if code in SYSTEM:
        return Chosen(code, SYSTEM[code].final)
    own = await scope.first(LeadDisposition, LeadDisposition.code == code)
    if own is not None:
        return Chosen(own.code, own.final)
    known = [d["code"] for d in await list_dispositions(scope)]
    raise ValidationFailed(f"unknown disposition {code!r}; known: {', '.join(known)}",
                           error_id="disposition-unknown", field="disposition")  # fmt: skip


# ------------------------------------------------------------------------- on a lead


def _delay(campaign: Campaign, outcome: str) -> int:
    return int(campaign.retry_delays.get(outcome, DEFAULT_RETRY_DELAYS[outcome]))


def _call_again(lead: Lead, campaign: Campaign, outcome: str, now: datetime) -> None:
    """`retry` after the campaign's delay for `outcome`, or `exhausted` at max attempts."""
    if lead.attempts >= campaign.max_attempts:
        lead.status, lead.next_attempt_at = LeadStatus.EXHAUSTED, None
        return
    lead.status = LeadStatus.RETRY
    lead.next_attempt_at = now + timedelta(seconds=_delay(campaign, outcome))


async def _block_number(scope: TenantScope, lead: Lead, campaign: Campaign, now: datetime) -> None:
    listed = await scope.first(DncEntry, DncEntry.number == lead.number,
                               DncEntry.campaign_id.is_(None))  # fmt: skip
    if listed is None:
        scope.add(DncEntry(number=lead.number, campaign_id=None, note=DNC_NOTE))


async def _machine(scope: TenantScope, lead: Lead, campaign: Campaign, now: datetime) -> None:
    _call_again(lead, campaign, "machine", now)


async def _keep(scope: TenantScope, lead: Lead, campaign: Campaign, now: datetime) -> None:
    """The scheduled callback brings the lead back (module docstring)."""


async def _settle(scope: TenantScope, lead: Lead, campaign: Campaign, now: datetime) -> None:
    lead.status, lead.next_attempt_at = LeadStatus.DONE, None


async def _reopen(scope: TenantScope, lead: Lead, campaign: Campaign, now: datetime) -> None:
    _call_again(lead, campaign, "no-answer", now)


Effect = Callable[[TenantScope, Lead, Campaign, datetime], Awaitable[None]]

# the module docstring's table: the system codes with an effect of their own ...
EFFECTS: dict[str, tuple[Effect, ...]] = {
    "do-not-call": (_settle, _block_number),
    "answering-machine": (_machine,),
    "callback": (_keep,),
}
# ... and every other code by its `final` flag
BY_FINAL: dict[bool, tuple[Effect, ...]] = {True: (_settle,), False: (_reopen,)}


async def latest_attempt(scope: TenantScope, lead: Lead) -> LeadAttempt | None:
    stmt = (
        scope.select(LeadAttempt, LeadAttempt.lead_id == lead.id)
        .order_by(LeadAttempt.started_at.desc(), LeadAttempt.id.desc())
        .limit(1)
    )
    return (await scope.session.scalars(stmt)).first()


def _agent_may(attempt: LeadAttempt | None, by_extension: int | Set[int]) -> bool:
    mine = {by_extension} if isinstance(by_extension, int) else by_extension
    return attempt is not None and attempt.extension_id is not None and attempt.extension_id in mine


def _check_note(note: str | None) -> str | None:
    if note is None:
        return None
    cleaned = note.strip()
    if len(cleaned) > MAX_NOTE or not cleaned.isprintable():
        raise ValidationFailed(f"a note is at most {MAX_NOTE} printable characters",
                               error_id="disposition-bad-note", field="note")  # fmt: skip
    return cleaned


async def set_disposition(
    scope: TenantScope,
    lead_id: int,
    code: str,
    *,
    note: str | None = None,
    by_extension: int | Set[int] | None = None,
    now: datetime,
) -> Lead:
    """Disposition a lead (module docstring's table); `by_extension`: an agent's extension (or
    the set of its extensions), which must have taken the lead's latest call."""
    cleaned_note = _check_note(note)
    lead = await scope.first(Lead, Lead.id == lead_id)
    attempt = await latest_attempt(scope, lead) if lead is not None else None
    if lead is None or (by_extension is not None and not _agent_may(attempt, by_extension)):
        raise NotFound(f"lead {lead_id} not found", error_id="lead-not-found")
    chosen = await find_disposition(scope, code)
    if lead.status is LeadStatus.IN_CALL:
        raise Conflict(f"lead {lead_id} is being called: disposition it when the call has ended",
                       error_id="disposition-lead-in-call")  # fmt: skip
    campaign = await scope.get(Campaign, lead.campaign_id)
    lead.disposition = chosen.code
    if attempt is not None:
        attempt.disposition = chosen.code
    if cleaned_note is not None:
        lead.custom = {**lead.custom, NOTE_FIELD: cleaned_note}
    for effect in EFFECTS.get(chosen.code, BY_FINAL[chosen.final]):
        await effect(scope, lead, campaign, now)
    await scope.session.flush()
    return lead
