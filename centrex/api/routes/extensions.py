"""/api/v1/extensions: a tenant's extensions and their SIP credentials.

A generated SIP password appears once, in the answer that created it; only HA1 digests are
stored. The extension's voicemail box is created with it (unless `"voicemail": false`), and its
generated PIN likewise appears once, as `voicemail_pin`; only an Argon2id hash is stored.
A plain user sees its own extensions and may change their SIP password, nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, StringConstraints

from centrex.api.auth import Caller, Scope, own_extension_ids, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.live import registration_counts
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.routes.voicemail import Store
from centrex.api.schemas import (
    DigestPolicyName,
    Email,
    IdPath,
    OptName,
    Password,
    Phone,
    RefId,
    Strict,
)
from centrex.api.services import ApiServices
from centrex.data.models import Extension, RecordingLayout, RecordingMode, SipCredential
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.provisioning import digest_policy, forwarding, screening, srtp_policy, supervisors
from centrex.provisioning import extensions as service
from centrex.provisioning import pickup as pickup_service
from centrex.provisioning.numbers import extension_numbers
from centrex.provisioning.views import extension_view

router = APIRouter(prefix="/api/v1/extensions", tags=["extensions"], responses=PROBLEM_RESPONSES)

ExtNumber = Annotated[str, StringConstraints(min_length=2, max_length=5, pattern=r"^[0-9]+$")]
# null: follow the tenant's recording setting
RecordCalls = Literal["never", "always", "on-demand"]
RecordLayout = Literal["mixed", "per-party"]
# outbound barring (calls/features/screening_rules.py)
OutboundClassName = Literal["internal", "national", "international", "all"]
SrtpModeName = Literal["optional", "required", "off"]
SipUser = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
]


class ExtensionIn(Strict):
    number: ExtNumber
    name: OptName = ""
    email: Email | None = None
    user_id: RefId | None = None
    outbound_caller_id: Phone | None = None
    password: Password | None = None
    username: SipUser | None = None
    record_calls: RecordCalls | None = None
    record_layout: RecordLayout | None = None
    voicemail: bool = True


class ExtensionPatch(Strict):
    name: OptName | None = None
    email: Email | None = None
    user_id: RefId | None = None
    outbound_caller_id: Phone | None = None
    record_calls: RecordCalls | None = None
    record_layout: RecordLayout | None = None
    # null: the tenant's digest policy applies (an explicit null clears an override)
    digest_policy: DigestPolicyName | None = None
    forwarding: ForwardingPatch | None = None
    dnd: bool | None = None
    call_waiting: bool | None = None
    # null or "" clears (features/pickup.py)
    pickup_group: Annotated[str, StringConstraints(max_length=40)] | None = None
    outbound_class: OutboundClassName | None = None
    premium: bool | None = None
    supervisor: bool | None = None  # may monitor the tenant's calls (features/monitor.py)
    srtp: SrtpModeName | None = None  # SDES-SRTP policy of its phones (media/sdes.py)


Destination = Annotated[str, StringConstraints(min_length=1, max_length=120)]


class ForwardingPatch(Strict):
    """Forwards to change (null clears one; a field left out stays). DEST: an extension, an
    E.164 number, "voicemail" or "flow:NAME" — refused (422) when the router would refuse it."""

    always: Destination | None = None
    busy: Destination | None = None
    no_answer: Destination | None = None
    no_answer_seconds: int | None = None
    unregistered: Destination | None = None


class ForwardingOut(BaseModel):
    always: str | None = None
    busy: str | None = None
    no_answer: str | None = None
    no_answer_seconds: int = 20
    unregistered: str | None = None


class PasswordIn(Strict):
    password: Password | None = None


class ExtensionOut(BaseModel):
    id: int
    number: str
    name: str
    email: str | None
    user_id: int | None
    outbound_caller_id: str | None
    record_calls: str | None = None
    record_layout: str | None = None
    digest_policy: str | None = None
    forwarding: ForwardingOut = ForwardingOut()
    dnd: bool = False
    call_waiting: bool = True
    pickup_group: str | None = None
    outbound_class: str = "all"
    premium: bool = False
    supervisor: bool = False
    srtp: str = "optional"
    sip_username: str | None = None
    sip_realm: str | None = None
    numbers: list[str] = []
    registered: bool = False
    registrations: int = 0


class ExtensionCreated(ExtensionOut):
    sip_password: str | None = None
    voicemail_pin: str | None = None


class SipPasswordOut(BaseModel):
    id: int
    sip_username: str
    sip_password: str | None


async def _view(
    scope: TenantScope, extension: Extension, numbers: dict[int, str] | None = None
) -> dict[str, Any]:
    credential = await scope.first(SipCredential, SipCredential.extension_id == extension.id)
    if numbers is None:
        numbers = await extension_numbers(scope)
    own = [numbers[extension.id]] if extension.id in numbers else []
    return extension_view(extension, credential, own)


async def _get(scope: TenantScope, caller: Any, extension_id: int) -> Extension:
    extension = await scope.first(Extension, Extension.id == extension_id)
    mine = await own_extension_ids(scope, caller)
    if extension is None or (mine is not None and extension.id not in mine):
        raise NotFound(f"extension {extension_id} not found", error_id="extension-not-found")
    return extension


@router.get("", response_model=Page[ExtensionOut])
async def list_extensions(
    request: Request, scope: Scope, caller: Caller, query: Listing
) -> dict[str, Any]:
    svc: ApiServices = request.app.state.services
    mine = await own_extension_ids(scope, caller)
    numbers = await extension_numbers(scope)
    counts = await registration_counts(svc, scope)
    views = []
    for extension in await service.list_extensions(scope):
        if mine is not None and extension.id not in mine:
            continue
        view = await _view(scope, extension, numbers)
        view["registrations"] = counts.get(view.get("sip_username") or extension.number, 0)
        view["registered"] = view["registrations"] > 0
        views.append(view)
    return paginate(
        views,
        query,
        orders=("id", "number", "name", "email"),
        default="number",
        searchable=("number", "name", "email"),
    )


@router.post("", status_code=201, response_model=ExtensionCreated)
async def create_extension(
    body: ExtensionIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    """Create an extension; without `password`, one is generated and shown only here."""
    require_tenant_admin(caller)
    created = await service.create_extension(
        scope,
        number=body.number,
        name=body.name,
        password=body.password,
        email=body.email,
        user_id=body.user_id,
        outbound_caller_id=body.outbound_caller_id,
        username=body.username,
        record_calls=RecordingMode(body.record_calls) if body.record_calls else None,
        record_layout=RecordingLayout(body.record_layout) if body.record_layout else None,
        voicemail=body.voicemail,
    )
    view = await _view(scope, created.extension)
    view["sip_password"] = created.generated_password
    view["voicemail_pin"] = created.voicemail_pin
    response.headers["Location"] = f"/api/v1/extensions/{created.extension.id}"
    return view


@router.get("/{extension_id}", response_model=ExtensionOut)
async def get_extension(
    request: Request, extension_id: IdPath, scope: Scope, caller: Caller
) -> dict[str, Any]:
    svc: ApiServices = request.app.state.services
    view = await _view(scope, await _get(scope, caller, extension_id))
    count = (await registration_counts(svc, scope)).get(view.get("sip_username") or "", 0)
    view["registrations"] = count
    view["registered"] = count > 0
    return view


@router.patch("/{extension_id}", response_model=ExtensionOut)
async def update_extension(
    extension_id: IdPath, body: ExtensionPatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    require_tenant_admin(caller)
    extension = await _get(scope, caller, extension_id)
    if body.pickup_group is not None:
        pickup_service.parse_pickup_group(body.pickup_group)  # refused before anything changes
    await service.update_extension(
        scope,
        extension,
        name=body.name,
        email=body.email,
        user_id=body.user_id,
        outbound_caller_id=body.outbound_caller_id,
        record_calls=RecordingMode(body.record_calls) if body.record_calls else None,
        record_layout=RecordingLayout(body.record_layout) if body.record_layout else None,
    )
    if "digest_policy" in body.model_fields_set:
        policy = digest_policy.parse_policy(body.digest_policy) if body.digest_policy else None
        await digest_policy.set_extension_policy(scope, extension, policy)
    if body.forwarding is not None:
        await _patch_forwarding(scope, extension, body.forwarding)
    if body.dnd is not None:
        await forwarding.set_dnd(scope, extension.number, body.dnd)
    if body.call_waiting is not None:
        await forwarding.set_call_waiting(scope, extension.number, body.call_waiting)
    if "pickup_group" in body.model_fields_set:
        await pickup_service.set_pickup_group(scope, extension.number, body.pickup_group)
    if body.outbound_class is not None or body.premium is not None:
        await screening.set_barring(scope, extension.number, outbound_class=body.outbound_class,
                                    premium=body.premium)  # fmt: skip
    if body.supervisor is not None:
        await supervisors.set_supervisor(scope, extension.number, body.supervisor)
    if body.srtp is not None:
        await srtp_policy.set_srtp(scope, extension.number, body.srtp)
    return await _view(scope, extension)


async def _patch_forwarding(
    scope: TenantScope, extension: Extension, patch: ForwardingPatch
) -> None:
    """Apply the fields given (null clears); a refused destination fails the whole request."""
    given = patch.model_fields_set
    kinds = {
        "always": forwarding.ForwardKind.ALWAYS,
        "busy": forwarding.ForwardKind.BUSY,
        "no_answer": forwarding.ForwardKind.NO_ANSWER,
        "unregistered": forwarding.ForwardKind.UNREGISTERED,
    }
    for field, kind in kinds.items():
        if field not in given:
            continue
        value = getattr(patch, field)
        if value is None:
            await forwarding.clear_forward(scope, extension.number, kind)
        else:
            seconds = patch.no_answer_seconds if kind is forwarding.ForwardKind.NO_ANSWER else None
            await forwarding.set_forward(scope, extension.number, kind, value, seconds=seconds)
    if "no_answer_seconds" in given and "no_answer" not in given:
        seconds = patch.no_answer_seconds
        extension.forward_no_answer_seconds = (
            None if seconds is None else forwarding.check_seconds(seconds)
        )


@router.delete("/{extension_id}", status_code=204)
async def delete_extension(
    extension_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> Response:
    """Delete the extension with its mailbox, messages and their audio files."""
    require_tenant_admin(caller)
    extension = await _get(scope, caller, extension_id)
    await service.delete_extension(scope, extension.number, store)
    return Response(status_code=204)


@router.post("/{extension_id}/sip-password", response_model=SipPasswordOut)
async def change_sip_password(
    extension_id: IdPath, body: PasswordIn, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Set the SIP password, or generate one (returned once) when none is given."""
    extension = await _get(scope, caller, extension_id)
    generated = await service.set_sip_password(scope, extension, body.password)
    credential = await scope.first(SipCredential, SipCredential.extension_id == extension.id)
    return {
        "id": extension.id,
        "sip_username": credential.username if credential else extension.number,
        "sip_password": generated,
    }
