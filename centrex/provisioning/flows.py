"""Call flows (IVR graphs) of a tenant, and the DIDs and extensions that point at them.

A flow is validated completely on every save: the graph itself (`centrex.provisioning.flow_graph`:
dangling branches, unreachable nodes, loops without input...) and its references to the
tenant's own objects (media files it plays, extensions and mailboxes it transfers to). A
reference to another tenant's object is reported like a missing one: isolation never leaks
existence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from centrex.data.models import (
    CallFlow,
    Conference,
    Extension,
    FlowBinding,
    MediaFile,
    Number,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.flow_graph import (
    Flow,
    FlowInvalid,
    FlowIssue,
    check_flow,
    media_references,
    transfer_targets,
)
from centrex.provisioning.storage import MediaStore
from centrex.provisioning.validation import normalise_e164


async def reference_issues(scope: TenantScope, flow: Flow) -> list[FlowIssue]:
    """Problems with what the flow points at inside the tenant."""
    issues: list[FlowIssue] = []
    for node in flow.nodes.values():
        for where, ref in (("prompt", node.prompt), ("invalid_prompt", node.invalid_prompt)):
            if (
                ref is not None
                and ref.media is not None
                and await scope.first(MediaFile, MediaFile.id == ref.media) is None
            ):
                issues.append(
                    FlowIssue(
                        node.id,
                        "flow-unknown-media",
                        f"media file {ref.media} does not exist",
                        where,
                    )
                )
    for node_id, target in transfer_targets(flow):
        if target.kind in ("extension", "voicemail"):
            if await scope.first(Extension, Extension.number == target.value) is None:
                issues.append(
                    FlowIssue(
                        node_id,
                        "flow-unknown-extension",
                        f"extension {target.value} does not exist",
                        "target",
                    )
                )
        elif target.kind == "conference":
            if await scope.first(Conference, Conference.number == target.value) is None:
                issues.append(FlowIssue(node_id, "flow-unknown-conference",
                                        f"conference {target.value} does not exist",
                                        "target"))  # fmt: skip
        elif target.kind == "external":
            digits = target.value.lstrip("+")
            if not digits.isdigit() or len(digits) > 15:
                issues.append(FlowIssue(node_id, "flow-bad-target", "not a phone number", "target"))
    return issues


async def validate(scope: TenantScope, graph: object) -> list[FlowIssue]:
    """Every issue of a graph for this tenant (empty: it can be saved)."""
    flow, issues = check_flow(graph)
    if flow is None:
        return issues
    return await reference_issues(scope, flow)


async def _checked(scope: TenantScope, graph: object) -> dict[str, Any]:
    issues = await validate(scope, graph)
    if issues:
        raise FlowInvalid(issues)
    assert isinstance(graph, dict)
    return graph


def _name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise ValidationFailed("a flow name has 1 to 100 characters", field="name")
    return clean


async def create_flow(
    scope: TenantScope, *, name: str, graph: object, description: str = "", now: datetime
) -> CallFlow:
    name = _name(name)
    if await scope.first(CallFlow, CallFlow.name == name) is not None:
        raise Conflict(f"a flow named {name!r} exists", error_id="flow-name-taken", field="name")
    checked = await _checked(scope, graph)
    flow = scope.add(
        CallFlow(
            name=name, description=description[:500], graph=checked, created_at=now, updated_at=now
        )
    )
    await scope.session.flush()
    return flow


async def list_flows(
    scope: TenantScope, *, limit: int | None = None, offset: int = 0
) -> tuple[int, Sequence[CallFlow]]:
    total = await scope.count(CallFlow)
    return total, await scope.list(CallFlow, order_by=CallFlow.name, limit=limit, offset=offset)


async def get_flow(scope: TenantScope, flow_id: int) -> CallFlow:
    flow = await scope.first(CallFlow, CallFlow.id == flow_id)
    if flow is None:
        raise NotFound(f"flow {flow_id} not found", error_id="flow-not-found")
    return flow


async def update_flow(
    scope: TenantScope,
    flow_id: int,
    *,
    now: datetime,
    name: str | None = None,
    graph: object = None,
    description: str | None = None,
) -> CallFlow:
    flow = await get_flow(scope, flow_id)
    if name is not None:
        name = _name(name)
        other = await scope.first(CallFlow, CallFlow.name == name, CallFlow.id != flow.id)
        if other is not None:
            raise Conflict(
                f"a flow named {name!r} exists", error_id="flow-name-taken", field="name"
            )
        flow.name = name
    if graph is not None:
        flow.graph = await _checked(scope, graph)
    if description is not None:
        flow.description = description[:500]
    flow.updated_at = now
    await scope.session.flush()
    return flow


async def delete_flow(scope: TenantScope, flow_id: int) -> None:
    """Delete a flow; numbers and extensions pointing at it lose that destination."""
    flow = await get_flow(scope, flow_id)
    await scope.delete(FlowBinding, FlowBinding.flow_id == flow.id)
    await scope.remove(flow)
    await scope.session.flush()


async def bind_number(
    scope: TenantScope, flow_id: int, e164: str, country: str | None = None
) -> FlowBinding:
    """Point one of the tenant's DIDs at a flow (replacing an earlier flow of that number).

    National formats are read in the tenant's country unless `country` is given.
    """
    flow = await get_flow(scope, flow_id)
    if country is None:
        tenant = await scope.session.get(Tenant, scope.tenant_id)
        country = tenant.country if tenant is not None else "CH"
    number = await scope.first(Number, Number.e164 == normalise_e164(e164, country))
    if number is None:
        raise NotFound(f"number {e164} not found", error_id="number-not-found")
    await scope.delete(FlowBinding, FlowBinding.number_id == number.id)
    binding = scope.add(FlowBinding(flow_id=flow.id, number_id=number.id))
    await scope.session.flush()
    return binding


async def bind_extension(scope: TenantScope, flow_id: int, extension: str) -> FlowBinding:
    """Point an extension number at a flow (e.g. a "reception" extension that is an IVR)."""
    flow = await get_flow(scope, flow_id)
    ext = await scope.first(Extension, Extension.number == extension)
    if ext is None:
        raise NotFound(f"extension {extension} not found", error_id="extension-not-found")
    await scope.delete(FlowBinding, FlowBinding.extension_id == ext.id)
    binding = scope.add(FlowBinding(flow_id=flow.id, extension_id=ext.id))
    await scope.session.flush()
    return binding


async def unbind(scope: TenantScope, binding_id: int) -> None:
    binding = await scope.first(FlowBinding, FlowBinding.id == binding_id)
    if binding is None:
        raise NotFound(f"binding {binding_id} not found", error_id="binding-not-found")
    await scope.remove(binding)
    await scope.session.flush()


async def flow_for_number(scope: TenantScope, e164: str) -> CallFlow | None:
    """The flow a DID points at (the router's question for an inbound call), or None."""
    number = await scope.first(Number, Number.e164 == e164)
    if number is None:
        return None
    binding = await scope.first(FlowBinding, FlowBinding.number_id == number.id)
    return None if binding is None else await get_flow(scope, binding.flow_id)


async def flow_for_extension(scope: TenantScope, extension: str) -> CallFlow | None:
    ext = await scope.first(Extension, Extension.number == extension)
    if ext is None:
        return None
    binding = await scope.first(FlowBinding, FlowBinding.extension_id == ext.id)
    return None if binding is None else await get_flow(scope, binding.flow_id)


async def media_paths(scope: TenantScope, store: MediaStore, flow: CallFlow) -> dict[int, Path]:
    """Files of the tenant media a flow plays, for the runner's prompt resolver."""
    paths: dict[int, Path] = {}
    for media_id in media_references(flow.graph):
        media = await scope.first(MediaFile, MediaFile.id == media_id)
        if media is not None:
            paths[media_id] = store.resolve(media.path)
    return paths


def flow_view(flow: CallFlow) -> dict[str, Any]:
    return {
        "id": flow.id,
        "name": flow.name,
        "description": flow.description,
        "graph": flow.graph,
        "created_at": flow.created_at.isoformat(),
        "updated_at": flow.updated_at.isoformat() if flow.updated_at else None,
    }


async def list_bindings(scope: TenantScope, flow_id: int) -> list[dict[str, Any]]:
    """The numbers and extensions that point at a flow, as JSON views."""
    flow = await get_flow(scope, flow_id)
    views: list[dict[str, Any]] = []
    for binding in await scope.list(FlowBinding, FlowBinding.flow_id == flow.id):
        views.append(await binding_view(scope, binding))
    return views


async def get_binding(scope: TenantScope, flow_id: int, binding_id: int) -> FlowBinding:
    binding = await scope.first(
        FlowBinding, FlowBinding.id == binding_id, FlowBinding.flow_id == flow_id
    )
    if binding is None:
        raise NotFound(f"binding {binding_id} not found", error_id="binding-not-found")
    return binding


async def binding_view(scope: TenantScope, binding: FlowBinding) -> dict[str, Any]:
    number = (
        await scope.first(Number, Number.id == binding.number_id) if binding.number_id else None
    )
    ext = (
        await scope.first(Extension, Extension.id == binding.extension_id)
        if binding.extension_id
        else None
    )
    return {
        "id": binding.id,
        "flow_id": binding.flow_id,
        "number": number.e164 if number else None,
        "extension": ext.number if ext else None,
    }
