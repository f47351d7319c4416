"""/api/v1/scripts, a campaign's script and a lead's script and answers (issue 16).

* `GET /scripts` `{total, items}`; `POST /scripts` `{"name", "definition"}` → 201 with
  `Location`; `GET/PUT/DELETE /scripts/{id}` (PUT: `name` and/or `definition`). A definition
  with problems is 422, its `error_id` the first problem's (`script-branch-dangling`, ...) and
  `errors` every one (`field`: "pages.<page>.questions.<question>"), nothing saved; a name the
  tenant uses already is 409 `script-name-taken`. Deleting a script unbinds its campaigns;
* `POST /scripts/validate` (body: a definition; `?script_id=` checks it against that script's
  campaigns) → 200 `{"valid", "errors": [{"page", "question", "error", "message"}]}`;
* `GET/PUT /campaigns/{id}/script` `{"script_id": N | null}`: the script the campaign's agents
  read, checked against the merge fields of its leads;
* `GET /leads/{id}/script`: the script merged with the lead's fields, and its answers;
  `PUT /leads/{id}/answers` `{"answers": {question id: value}}` stores them (each replaces that
  question's answer, "" removes it) and answers every answer of the lead.

Who may: tenant admins and supervisors everything; an agent reads the script of, and answers
for, leads of the campaigns it takes calls for (directly or through an agent group), any other
lead is 404 as another tenant's is; a plain user is 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StringConstraints

from centrex.api.auth import Caller, Now, Principal, Scope, own_extension_ids
from centrex.api.errors import PROBLEM_RESPONSES, problem_response
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import MAX_INT, NO_CONTROL, IdPath, RefId, Strict, text
from centrex.contact_center import scripts as service
from centrex.contact_center.script_rules import ScriptInvalid, ScriptIssue
from centrex.data.models import Role
from centrex.data.tenancy import TenantScope
from centrex.errors import Forbidden

router = APIRouter(prefix="/api/v1", tags=["scripts"], responses=PROBLEM_RESPONSES)

ScriptName = Annotated[str, text(200, 1)]
QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROL)]
AnswerValue = Annotated[str, StringConstraints(max_length=service.MAX_ANSWER)]
Definition = Annotated[dict[str, Any], Body()]


class ScriptIn(Strict):
    name: ScriptName
    definition: dict[str, Any]


class ScriptPatch(Strict):
    name: ScriptName | None = None
    definition: dict[str, Any] | None = None


class ScriptOut(BaseModel):
    id: int
    name: str
    definition: dict[str, Any]
    campaigns: list[int]
    created_at: str
    updated_at: str


class IssueOut(BaseModel):
    page: str | None
    question: str | None
    error: str
    message: str


class ValidationOut(BaseModel):
    valid: bool
    errors: list[IssueOut]


class BindingIn(Strict):
    script_id: RefId | None


class BindingOut(BaseModel):
    campaign_id: int
    script_id: int | None
    name: str | None


class AnswersIn(Strict):
    answers: dict[QuestionId, AnswerValue]


class AnswersOut(BaseModel):
    lead_id: int
    answers: dict[str, str]


def _require_manager(caller: Principal) -> None:
    if not (caller.is_tenant_admin or caller.role is Role.SUPERVISOR):
        raise Forbidden("only a tenant administrator or a supervisor may do this")


async def _agent_reach(scope: TenantScope, caller: Principal) -> set[int] | None:
    """None: every lead of the tenant (admins, supervisors); else the agent's extensions."""
    if caller.is_tenant_admin or caller.role is Role.SUPERVISOR:
        return None
    if caller.role is not Role.AGENT:
        raise Forbidden("only an agent, a supervisor or a tenant administrator may do this")
    return await own_extension_ids(scope, caller) or set()


def _field(issue: ScriptIssue) -> str:
    parts = ["definition"]
    if issue.page is not None:
        parts += ["pages", issue.page]
    if issue.question is not None:
        parts += ["questions", issue.question]
    return ".".join(parts)


def invalid_response(request: Request, exc: ScriptInvalid) -> JSONResponse:
    """422 with every problem (nothing was written: the service checks before writing)."""
    errors = [{"field": _field(i), "message": i.message, "type": i.error} for i in exc.issues]
    return problem_response(request.url.path, exc.status, exc.error_id, exc.message,
                            field=_field(exc.issues[0]), errors=errors)  # fmt: skip


@router.get("/scripts", response_model=Page[ScriptOut])
async def list_scripts(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    _require_manager(caller)
    items = await service.list_scripts(scope)
    return paginate(items, query, orders=("id", "name", "updated_at"), default="name",
                    searchable=("name",))  # fmt: skip


@router.post("/scripts", status_code=201, response_model=ScriptOut)
async def create_script(
    request: Request, body: ScriptIn, scope: Scope, caller: Caller, now: Now, response: Response
) -> Any:
    _require_manager(caller)
    try:
        script = await service.create_script(scope, name=body.name, definition=body.definition,
                                             now=now)  # fmt: skip
    except ScriptInvalid as exc:
        return invalid_response(request, exc)
    response.headers["Location"] = f"/api/v1/scripts/{script.id}"
    return await service.view(scope, script)


@router.post("/scripts/validate", response_model=ValidationOut)
async def validate_script(
    definition: Definition,
    scope: Scope,
    caller: Caller,
    script_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    """Check a definition without saving it (200 with every problem, none when valid)."""
    _require_manager(caller)
    campaigns: list[int] = []
    if script_id is not None:
        script = await service.get_script(scope, script_id)
        campaigns = await service.bound_campaigns(scope, script.id)
    issues = await service.issues_for(scope, definition, campaigns)
    return {"valid": not issues, "errors": [i.as_dict() for i in issues]}


@router.get("/scripts/{script_id}", response_model=ScriptOut)
async def get_script(script_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    _require_manager(caller)
    return await service.view(scope, await service.get_script(scope, script_id))


@router.put("/scripts/{script_id}", response_model=ScriptOut)
async def update_script(
    request: Request, script_id: IdPath, body: ScriptPatch, scope: Scope, caller: Caller, now: Now
) -> Any:
    _require_manager(caller)
    try:
        script = await service.update_script(scope, script_id, now=now, name=body.name,
                                             definition=body.definition)  # fmt: skip
    except ScriptInvalid as exc:
        return invalid_response(request, exc)
    return await service.view(scope, script)


@router.delete("/scripts/{script_id}", status_code=204)
async def delete_script(script_id: IdPath, scope: Scope, caller: Caller) -> Response:
    _require_manager(caller)
    await service.delete_script(scope, script_id)
    return Response(status_code=204)


@router.get("/campaigns/{campaign_id}/script", response_model=BindingOut)
async def get_campaign_script(campaign_id: IdPath, scope: Scope, caller: Caller) -> Any:
    _require_manager(caller)
    return await service.campaign_binding(scope, campaign_id)


@router.put("/campaigns/{campaign_id}/script", response_model=BindingOut)
async def set_campaign_script(
    request: Request, campaign_id: IdPath, body: BindingIn, scope: Scope, caller: Caller
) -> Any:
    """Bind a script to the campaign (`null`: none); checked against the campaign's leads."""
    _require_manager(caller)
    try:
        await service.bind_campaign(scope, campaign_id, body.script_id)
    except ScriptInvalid as exc:
        return invalid_response(request, exc)
    return await service.campaign_binding(scope, campaign_id)


@router.get("/leads/{lead_id}/script")
async def get_lead_script(lead_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    """The lead's campaign's script, its texts merged with the lead's fields, and the answers
    given so far (404 `lead-script-none` when the campaign has no script)."""
    mine = await _agent_reach(scope, caller)
    return await service.lead_script(scope, lead_id, by_extensions=mine)


@router.put("/leads/{lead_id}/answers", response_model=AnswersOut)
async def put_lead_answers(
    lead_id: IdPath, body: AnswersIn, scope: Scope, caller: Caller, now: Now
) -> dict[str, Any]:
    mine = await _agent_reach(scope, caller)
    answers = await service.set_answers(scope, lead_id, body.answers, now=now,
                                        by_extensions=mine)  # fmt: skip
    return {"lead_id": lead_id, "answers": answers}
