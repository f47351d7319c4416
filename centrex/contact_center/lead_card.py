"""The agent desktop's contact card of a lead (issue 16): who may read it and what it adds to
`GET /api/v1/leads/{id}` (recordings, dispositions, notes, script answers).

Reach: tenant admins and supervisors read any lead of the tenant; an agent reads the leads of
the campaigns it is an agent of (`campaign_agents`: directly or through a group) — the screen
pop of an inbound call or of a callback may come before any attempt of its own — and any other
lead is *not found*, as another tenant's is.

Recordings are those of the lead's calls (the attempts' call ids); the disposition history is
the attempts that carry one; the agent's note is the custom field `disposition_note`; the
answers are the script's (`scripts.lead_answers`).
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.dispositions import NOTE_FIELD
from centrex.contact_center.scripts import lead_answers
from centrex.data.models import CallRecording, Extension, Lead, LeadAttempt
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound


async def reaches_campaign(scope: TenantScope, campaign_id: int, mine: Set[int]) -> bool:
    """One of the agent's extensions (`mine`) is an agent of the campaign (directly or
    through a group): its leads and callbacks are the agent's to work on."""
    members = await campaign_agents(scope.session, scope.tenant_id, campaign_id)
    return bool({m.extension_id for m in members} & set(mine))


async def check_reach(scope: TenantScope, lead: Lead, mine: Set[int] | None) -> None:
    """`mine`: the agent's extension ids (None: a manager, who reads every lead)."""
    if mine is None:
        return
    if not await reaches_campaign(scope, lead.campaign_id, mine):
        raise NotFound(f"lead {lead.id} not found", error_id="lead-not-found")


async def card_extras(scope: TenantScope, lead: Lead) -> dict[str, Any]:
    """`recordings`, `dispositions`, `notes` and `answers` of the lead, oldest first."""
    attempts = await scope.list(LeadAttempt, LeadAttempt.lead_id == lead.id,
                                order_by=LeadAttempt.started_at)  # fmt: skip
    call_ids = [a.call_id for a in attempts if a.call_id]
    recordings = (
        await scope.list(
            CallRecording, CallRecording.call_id.in_(call_ids), order_by=CallRecording.id
        )
        if call_ids
        else []
    )
    ext_ids = {a.extension_id for a in attempts if a.extension_id is not None}
    numbers = (
        {e.id: e.number for e in await scope.list(Extension, Extension.id.in_(ext_ids))}
        if ext_ids
        else {}
    )
    note = lead.custom.get(NOTE_FIELD) if isinstance(lead.custom, dict) else None
    return {
        "recordings": [
            {"id": r.id, "call_id": r.call_id, "party": r.party, "duration_ms": r.duration_ms,
             "started_at": r.started_at.isoformat() if r.started_at else None,
             "url": f"/api/v1/recordings/{r.id}/audio"}
            for r in recordings
        ],
        "dispositions": [
            {"disposition": a.disposition,
             "at": (a.ended_at or a.started_at).isoformat(),
             "extension": numbers.get(a.extension_id) if a.extension_id else None}
            for a in attempts if a.disposition
        ],
        "notes": str(note) if note else "",
        "answers": await lead_answers(scope, lead.id),
    }  # fmt: skip


SUFFIX_DIGITS = 9  # "0791234567", "+41791234567" and "0041791234567" are one subscriber


async def leads_by_number(
    scope: TenantScope, number: str, mine: Set[int] | None, limit: int = 20
) -> list[Lead]:
    """The leads with this number (an inbound caller's card): of the agent's campaigns only
    when `mine` names its extensions. Matched on the last `SUFFIX_DIGITS` digits, as callers
    arrive in national or international form."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        return []
    tail = digits[-SUFFIX_DIGITS:]
    found = await scope.list(Lead, Lead.number.endswith(tail), order_by=Lead.id, limit=200)
    if mine is None:
        return list(found[:limit])
    reachable: dict[int, bool] = {}
    kept: list[Lead] = []
    for lead in found:
        if lead.campaign_id not in reachable:
            members = await campaign_agents(scope.session, scope.tenant_id, lead.campaign_id)
            reachable[lead.campaign_id] = bool({m.extension_id for m in members} & set(mine))
        if reachable[lead.campaign_id]:
            kept.append(lead)
    return kept[:limit]
