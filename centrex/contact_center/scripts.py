"""Call scripts of a tenant: saved, bound to campaigns, read merged for a lead, answered (issue 16).

What the service adds to the pure validator (`script_rules.py`):

* the merge fields a script may use. Bound to campaigns whose leads are imported, the names
  those leads carry (`lead_fields.known_fields` of their custom keys) decide, for every bound
  campaign: a script that says ``{company}`` cannot be bound to a campaign whose file had no
  company column. Unbound, or bound only to campaigns without leads yet, the built-in fields and
  those the definition declares in ``fields`` decide. The check runs when a script is saved and
  when it is bound; leads imported later cannot break a call, because merging never fails (a
  lead without the field merges it as "");
* names unique per tenant (`script-name-taken`, 409), and nothing is written when anything is
  refused (checks run before the first write);
* which script a campaign uses (`CampaignScript`, one per campaign; deleting the script
  unbinds its campaigns);
* a lead's script (`lead_script`): pages, questions and objections with the lead's fields merged
  and the answers given so far; and the answers (`set_answers`, one per question, answering
  again replaces, an empty value removes the answer). A choice or yes/no answer must be one of
  the question's options, and a question must be one of the script's.

Who reads: `by_extensions` is the set of an agent's extensions (None for supervisors and tenant
admins): such an agent reaches only leads of campaigns it takes calls for (a direct agent or a
member of an agent group, `campaign_agents.campaign_agents`); any other lead is *not found*,
exactly as another tenant's is. No clock is read: `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime
from typing import Any

from sqlalchemy import select

from centrex.contact_center import script_rules
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.contact_center.lead_fields import known_fields, lead_fields, merge
from centrex.contact_center.script_rules import ScriptInvalid, ScriptIssue, options_of
from centrex.data.models import Campaign, CampaignScript, Lead, LeadAnswer, Script
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

MAX_NAME = 100
MAX_ANSWER = 2000
MAX_ANSWERS = 200  # per request
KEY_SAMPLE = 10_000  # leads read for a campaign's custom field names


# ------------------------------------------------------------------------------ views


def script_view(script: Script, campaigns: list[int]) -> dict[str, Any]:
    return {
        "id": script.id,
        "name": script.name,
        "definition": script.definition,
        "campaigns": campaigns,
        "created_at": script.created_at.isoformat(),
        "updated_at": script.updated_at.isoformat(),
    }


async def bound_campaigns(scope: TenantScope, script_id: int) -> list[int]:
    rows = await scope.list(CampaignScript, CampaignScript.script_id == script_id,
                            order_by=CampaignScript.campaign_id)  # fmt: skip
    return [row.campaign_id for row in rows]


async def view(scope: TenantScope, script: Script) -> dict[str, Any]:
    return script_view(script, await bound_campaigns(scope, script.id))


# ------------------------------------------------------------------------------ checks


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= MAX_NAME or not cleaned.isprintable():
        raise ValidationFailed(f"a script name is 1-{MAX_NAME} printable characters",
                               error_id="script-bad-name", field="name")  # fmt: skip
    return cleaned


async def _name_free(scope: TenantScope, name: str, script_id: int | None = None) -> None:
    other = await scope.first(Script, Script.name == name)
    if other is not None and other.id != script_id:
        raise Conflict(f"a script named {name!r} exists already", error_id="script-name-taken",
                       field="name")  # fmt: skip


async def campaign_field_names(scope: TenantScope, campaign_id: int) -> set[str] | None:
    """The merge fields of a campaign's leads, or None when it has no lead yet. The custom
    keys of its first KEY_SAMPLE leads (imports give every lead of a batch the same columns)."""
    stmt = (
        select(Lead.custom)
        .where(Lead.tenant_id == scope.tenant_id, Lead.campaign_id == campaign_id)
        .order_by(Lead.id)
        .limit(KEY_SAMPLE)
    )
    rows = (await scope.session.scalars(stmt)).all()
    if not rows:
        return None
    return known_fields(key for custom in rows if isinstance(custom, dict) for key in custom)


async def issues_for(
    scope: TenantScope, definition: Any, campaign_ids: list[int]
) -> list[ScriptIssue]:
    """Every problem of `definition` as it would be used by `campaign_ids` (module docstring)."""
    issues = script_rules.validate(definition)
    shape = [i for i in issues if i.error != "script-field-unknown"]
    fields: list[ScriptIssue] = []
    bound = False
    for campaign_id in campaign_ids:
        known = await campaign_field_names(scope, campaign_id)
        if known is None:
            continue
        bound = True
        name = (await get_campaign_by_id(scope, campaign_id)).name
        fields += [ScriptIssue(i.page, i.question, i.error,
                               f"{i.message} (the leads of campaign {name!r})")
                   for i in script_rules.validate(definition, known)
                   if i.error == "script-field-unknown"]  # fmt: skip
    return shape + fields if bound else issues


async def _checked(scope: TenantScope, definition: Any, campaign_ids: list[int]) -> None:
    issues = await issues_for(scope, definition, campaign_ids)
    if issues:
        raise ScriptInvalid(issues)


# ------------------------------------------------------------------------------ CRUD


async def list_scripts(scope: TenantScope) -> list[dict[str, Any]]:
    scripts = await scope.list(Script, order_by=Script.name)
    links = await scope.list(CampaignScript, order_by=CampaignScript.campaign_id)
    by_script: dict[int, list[int]] = {}
    for link in links:
        by_script.setdefault(link.script_id, []).append(link.campaign_id)
    return [script_view(s, by_script.get(s.id, [])) for s in scripts]


async def get_script(scope: TenantScope, script_id: int) -> Script:
    script = await scope.first(Script, Script.id == script_id)
    if script is None:
        raise NotFound(f"script {script_id} not found", error_id="script-not-found")
    return script


async def create_script(
    scope: TenantScope, *, name: str, definition: dict[str, Any], now: datetime
) -> Script:
    cleaned = check_name(name)
    await _name_free(scope, cleaned)
    await _checked(scope, definition, [])
    script = scope.add(Script(name=cleaned, definition=definition, created_at=now,
                              updated_at=now))  # fmt: skip
    await scope.session.flush()
    return script


async def update_script(
    scope: TenantScope,
    script_id: int,
    *,
    now: datetime,
    name: str | None = None,
    definition: dict[str, Any] | None = None,
) -> Script:
    script = await get_script(scope, script_id)
    cleaned = check_name(name) if name is not None else script.name
    await _name_free(scope, cleaned, script.id)
    if definition is not None:
        await _checked(scope, definition, await bound_campaigns(scope, script.id))
        script.definition = definition
    script.name = cleaned
    script.updated_at = now
    await scope.session.flush()
    return script


async def delete_script(scope: TenantScope, script_id: int) -> None:
    """Delete a script; the campaigns that used it have no script afterwards."""
    script = await get_script(scope, script_id)
    await scope.delete(CampaignScript, CampaignScript.script_id == script.id)
    await scope.remove(script)
    await scope.session.flush()


# ------------------------------------------------------------------------------ campaigns


async def campaign_script(scope: TenantScope, campaign_id: int) -> Script | None:
    """The script campaign `campaign_id` uses, or None."""
    link = await scope.first(CampaignScript, CampaignScript.campaign_id == campaign_id)
    return await get_script(scope, link.script_id) if link is not None else None


async def bind_campaign(scope: TenantScope, campaign_id: int, script_id: int | None) -> None:
    """Make `script_id` the campaign's script (None: no script); checked against its leads."""
    campaign = await get_campaign_by_id(scope, campaign_id)
    if script_id is not None:
        script = await get_script(scope, script_id)
        await _checked(scope, script.definition, [campaign.id])
    await scope.delete(CampaignScript, CampaignScript.campaign_id == campaign.id)
    if script_id is not None:
        scope.add(CampaignScript(campaign_id=campaign.id, script_id=script_id))
    await scope.session.flush()


# ------------------------------------------------------------------------------ leads


async def _lead(scope: TenantScope, lead_id: int, by_extensions: Set[int] | None) -> Lead:
    lead = await scope.first(Lead, Lead.id == lead_id)
    if lead is not None and by_extensions is not None:
        agents = await campaign_agents(scope.session, scope.tenant_id, lead.campaign_id)
        if not {a.extension_id for a in agents} & set(by_extensions):
            lead = None
    if lead is None:
        raise NotFound(f"lead {lead_id} not found", error_id="lead-not-found")
    return lead


async def _script_of(scope: TenantScope, lead: Lead) -> Script:
    script = await campaign_script(scope, lead.campaign_id)
    if script is None:
        raise NotFound(f"the campaign of lead {lead.id} has no script",
                       error_id="lead-script-none")  # fmt: skip
    return script


async def lead_answers(scope: TenantScope, lead_id: int) -> dict[str, str]:
    """The answers given for a lead, {question id: value} (another tenant's lead: {})."""
    rows = await scope.list(LeadAnswer, LeadAnswer.lead_id == lead_id, order_by=LeadAnswer.id)
    return {row.question: row.value for row in rows}


def _merged_question(question: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": question["id"],
        "label": merge(str(question.get("label") or ""), fields),
        "type": question["type"],
        "options": options_of(question),
        "branches": dict(question.get("branches") or {}),
    }


def merged_script(definition: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """A valid definition's pages and objections with `fields` merged into every text."""
    pages = [
        {
            "id": page["id"],
            "title": merge(str(page.get("title") or ""), fields),
            "text": merge(str(page.get("text") or ""), fields),
            "questions": [_merged_question(q, fields) for q in page.get("questions") or []],
            "next": page.get("next"),
        }
        for page in definition.get("pages") or []
    ]
    objections = [
        {"id": o["id"], "label": merge(str(o["label"]), fields),
         "rebuttal": merge(str(o["rebuttal"]), fields)}
        for o in definition.get("objections") or []
    ]  # fmt: skip
    return {"start": definition.get("start"), "pages": pages, "objections": objections}


def fields_of(lead: Lead) -> dict[str, str]:
    return lead_fields(number=lead.number, name=lead.name, postal_code=lead.postal_code,
                       custom=lead.custom or {})  # fmt: skip


async def lead_script(
    scope: TenantScope, lead_id: int, *, by_extensions: Set[int] | None = None
) -> dict[str, Any]:
    """The lead's campaign's script, merged with the lead's fields, and its answers so far."""
    lead = await _lead(scope, lead_id, by_extensions)
    script = await _script_of(scope, lead)
    merged = merged_script(script.definition, fields_of(lead))
    return {"script_id": script.id, "name": script.name, "lead_id": lead.id, **merged,
            "answers": await lead_answers(scope, lead.id)}  # fmt: skip


def _questions(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        str(q["id"]): q
        for page in definition.get("pages") or []
        for q in page.get("questions") or []
    }


def _check_answers(definition: Mapping[str, Any], answers: Mapping[str, str]) -> None:
    if len(answers) > MAX_ANSWERS:
        raise ValidationFailed(f"at most {MAX_ANSWERS} answers at once",
                               error_id="answer-too-many", field="answers")  # fmt: skip
    questions = _questions(definition)
    for qid, value in answers.items():
        question = questions.get(qid)
        if question is None:
            raise ValidationFailed(f"the script has no question {qid!r}; its questions: "
                                   f"{', '.join(questions) or 'none'}",
                                   error_id="answer-question-unknown",
                                   field=f"answers.{qid}")  # fmt: skip
        if len(value) > MAX_ANSWER or "\x00" in value:
            raise ValidationFailed(f"an answer is at most {MAX_ANSWER} characters",
                                   error_id="answer-bad-value", field=f"answers.{qid}")  # fmt: skip
        offered = options_of(question)
        if value and offered and value not in offered:
            raise ValidationFailed(f"question {qid!r} is answered with one of "
                                   f"{', '.join(offered)}, not {value[:40]!r}",
                                   error_id="answer-bad-value", field=f"answers.{qid}")  # fmt: skip


async def set_answers(
    scope: TenantScope,
    lead_id: int,
    answers: Mapping[str, str],
    *,
    now: datetime,
    by_extensions: Set[int] | None = None,
) -> dict[str, str]:
    """Store `answers` for the lead (each replaces that question's answer; "" removes it) and
    return every answer of the lead. Nothing is stored when one answer is refused."""
    lead = await _lead(scope, lead_id, by_extensions)
    script = await _script_of(scope, lead)
    _check_answers(script.definition, answers)
    extension_id = await _answering_extension(scope, lead, by_extensions)
    for qid, value in answers.items():
        await scope.delete(LeadAnswer, LeadAnswer.lead_id == lead.id, LeadAnswer.question == qid)
        if value:
            scope.add(LeadAnswer(lead_id=lead.id, question=qid, value=value, answered_at=now,
                                 extension_id=extension_id, created_at=now))  # fmt: skip
    await scope.session.flush()
    return await lead_answers(scope, lead.id)


async def _answering_extension(
    scope: TenantScope, lead: Lead, by_extensions: Set[int] | None
) -> int | None:
    """The agent's extension that takes the lead's campaign calls (the lowest), or None."""
    if not by_extensions:
        return None
    agents = await campaign_agents(scope.session, scope.tenant_id, lead.campaign_id)
    mine = sorted({a.extension_id for a in agents} & set(by_extensions))
    return mine[0] if mine else None


async def campaign_binding(scope: TenantScope, campaign_id: int) -> dict[str, Any]:
    """`{"campaign_id", "script_id", "name"}` of a campaign (None, None without a script)."""
    campaign: Campaign = await get_campaign_by_id(scope, campaign_id)
    script = await campaign_script(scope, campaign.id)
    return {"campaign_id": campaign.id, "script_id": script.id if script else None,
            "name": script.name if script else None}  # fmt: skip
