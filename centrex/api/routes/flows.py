"""/api/v1/flows: a tenant's call flows (IVR graphs): create, validate, simulate, read, change,
delete. The graph format is documented in `centrex.provisioning.flow_graph`.

An invalid graph answers 422 `flow-invalid` with every problem in `errors` (field
`nodes.<node id>.<field>`, type = the issue's error id), so an editor can mark them all at once.
Simulation runs the flow against a time and scripted key presses without a call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Now, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES, problem_response
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import IdPath, Phone, Strict
from centrex.apps.ivr import FlowInvalid, FlowIssue, Hangup, Simulation, parse_flow, simulate
from centrex.errors import ValidationFailed
from centrex.provisioning import flows as service

router = APIRouter(prefix="/api/v1/flows", tags=["flows"], responses=PROBLEM_RESPONSES)

FlowName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")
]
Description = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
ExtNumber = Annotated[str, StringConstraints(min_length=2, max_length=5, pattern=r"^[0-9]+$")]
Key = Annotated[str, StringConstraints(max_length=9, pattern=r"^[0-9*#]*$")]


class FlowIn(Strict):
    name: FlowName
    description: Description = ""
    graph: dict[str, Any]


class FlowPatch(Strict):
    name: FlowName | None = None
    description: Description | None = None
    graph: dict[str, Any] | None = None


class GraphIn(Strict):
    graph: dict[str, Any]


class SimulateIn(Strict):
    at: AwareDatetime | None = None
    digits: Annotated[list[Key], Field(max_length=100, default_factory=list)]
    language: Literal["de", "fr", "en", "it"] = "en"
    graph: dict[str, Any] | None = None


class BindingIn(Strict):
    number: Phone | None = None
    extension: ExtNumber | None = None


class BindingOut(BaseModel):
    id: int
    flow_id: int
    number: str | None
    extension: str | None


class FlowOut(BaseModel):
    id: int
    name: str
    description: str
    graph: dict[str, Any]
    created_at: str
    updated_at: str | None


class IssueOut(BaseModel):
    node: str | None
    error_id: str
    message: str
    field: str | None


class ValidationOut(BaseModel):
    valid: bool
    issues: list[IssueOut]


class StepOut(BaseModel):
    node: str
    type: str
    outcome: str


class ActionOut(BaseModel):
    type: Literal["transfer", "hangup"]
    kind: str | None = None
    value: str | None = None
    reason: str | None = None


class SimulationOut(BaseModel):
    path: list[StepOut]
    action: ActionOut
    language: str
    played: list[str]


def _field(issue: FlowIssue) -> str:
    parts = ["nodes", issue.node] if issue.node else []
    if issue.field:
        parts.append(issue.field)
    return ".".join(parts) or "graph"


def invalid_response(request: Request, exc: FlowInvalid) -> JSONResponse:
    errors = [{"field": _field(i), "message": i.message, "type": i.error_id} for i in exc.issues]
    return problem_response(
        request.url.path, exc.status, exc.error_id, exc.message, field="graph", errors=errors
    )


def _simulation_view(result: Simulation) -> dict[str, Any]:
    action = result.action
    if isinstance(action, Hangup):
        action_view: dict[str, Any] = {"type": "hangup", "reason": action.reason}
    else:
        action_view = {"type": "transfer", "kind": action.target.kind, "value": action.target.value}
    return {
        "path": [{"node": s.node, "type": s.type, "outcome": s.outcome} for s in result.path],
        "action": action_view,
        "language": result.language,
        "played": [f"{node}:{what}" for node, what in result.played],
    }


@router.get("", response_model=Page[FlowOut])
async def list_flows(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    _total, items = await service.list_flows(scope)
    views = [service.flow_view(f) for f in items]
    return paginate(
        views,
        query,
        orders=("id", "name", "created_at"),
        default="name",
        searchable=("name", "description"),
    )


@router.post("", status_code=201, response_model=FlowOut)
async def create_flow(
    request: Request, body: FlowIn, scope: Scope, caller: Caller, now: Now, response: Response
) -> Any:
    require_tenant_admin(caller)
    try:
        flow = await service.create_flow(
            scope, name=body.name, description=body.description, graph=body.graph, now=now
        )
    except FlowInvalid as exc:
        return invalid_response(request, exc)
    response.headers["Location"] = f"/api/v1/flows/{flow.id}"
    return service.flow_view(flow)


@router.post("/validate", response_model=ValidationOut)
async def validate_flow(body: GraphIn, scope: Scope, caller: Caller) -> dict[str, Any]:
    """Check a graph without saving it (200 with the issue list, empty when valid)."""
    require_tenant_admin(caller)
    issues = await service.validate(scope, body.graph)
    return {"valid": not issues, "issues": [i.as_dict() for i in issues]}


async def _simulate(
    request: Request, graph: dict[str, Any], body: SimulateIn, now: datetime
) -> Any:
    try:
        flow = parse_flow(graph)
    except FlowInvalid as exc:
        return invalid_response(request, exc)
    result = simulate(flow, now=body.at or now, digits=list(body.digits), language=body.language)
    return _simulation_view(result)


@router.post("/simulate", response_model=SimulationOut)
async def simulate_graph(
    request: Request, body: SimulateIn, scope: Scope, caller: Caller, now: Now
) -> Any:
    """Simulate an unsaved graph (`graph` required): the path taken and the final action."""
    require_tenant_admin(caller)
    if body.graph is None:
        return problem_response(
            request.url.path, 422, "validation-failed", "graph is required", field="graph"
        )
    return await _simulate(request, body.graph, body, now)


@router.get("/{flow_id}", response_model=FlowOut)
async def get_flow(flow_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return service.flow_view(await service.get_flow(scope, flow_id))


@router.post("/{flow_id}/simulate", response_model=SimulationOut)
async def simulate_flow(
    request: Request, flow_id: IdPath, body: SimulateIn, scope: Scope, caller: Caller, now: Now
) -> Any:
    """Simulate a saved flow at `at` (default: now) with the key presses in `digits`
    ("" = no key before the timeout)."""
    require_tenant_admin(caller)
    flow = await service.get_flow(scope, flow_id)
    return await _simulate(request, body.graph or flow.graph, body, now)


@router.patch("/{flow_id}", response_model=FlowOut)
async def update_flow(
    request: Request, flow_id: IdPath, body: FlowPatch, scope: Scope, caller: Caller, now: Now
) -> Any:
    require_tenant_admin(caller)
    try:
        flow = await service.update_flow(
            scope,
            flow_id,
            now=now,
            name=body.name,
            graph=body.graph,
            description=body.description,
        )
    except FlowInvalid as exc:
        return invalid_response(request, exc)
    return service.flow_view(flow)


@router.delete("/{flow_id}", status_code=204)
async def delete_flow(flow_id: IdPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.delete_flow(scope, flow_id)
    return Response(status_code=204)


@router.get("/{flow_id}/bindings", response_model=Page[BindingOut])
async def list_bindings(flow_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    """The DIDs and extensions whose calls this flow answers."""
    require_tenant_admin(caller)
    items = await service.list_bindings(scope, flow_id)
    return {"total": len(items), "items": items}


@router.post("/{flow_id}/bindings", status_code=201, response_model=BindingOut)
async def create_binding(
    flow_id: IdPath, body: BindingIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    """Point a DID (`number`) or an extension (`extension`) of the tenant at this flow."""
    require_tenant_admin(caller)
    if (body.number is None) == (body.extension is None):
        raise ValidationFailed(
            "give exactly one of number and extension", error_id="binding-target", field="number"
        )
    if body.number is not None:
        binding = await service.bind_number(scope, flow_id, body.number)
    else:
        assert body.extension is not None
        binding = await service.bind_extension(scope, flow_id, body.extension)
    response.headers["Location"] = f"/api/v1/flows/{flow_id}/bindings/{binding.id}"
    return await service.binding_view(scope, binding)


@router.delete("/{flow_id}/bindings/{binding_id}", status_code=204)
async def delete_binding(
    flow_id: IdPath, binding_id: IdPath, scope: Scope, caller: Caller
) -> Response:
    require_tenant_admin(caller)
    binding = await service.get_binding(scope, flow_id, binding_id)
    await service.unbind(scope, binding.id)
    return Response(status_code=204)
