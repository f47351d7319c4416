"""Portal page of one extension: its SIP account and the devices registered with it right now
(user agent, contact, source), its forwarding, do not disturb, call waiting, caller ID,
recording, outbound class, SRTP policy and voicemail box, each with a form.

Every form writes through the service that `PATCH /api/v1/extensions/{id}` calls for the same
field (forwarding, screening, srtp_policy, extensions.update_extension), so a rule (a forward to
another tenant's extension, a caller ID that is not the tenant's number, an unknown mode) is
refused here exactly as there, with the service's message, and nothing changes: each form runs
in a savepoint. The registrations are the registrar's view the API lists at
/api/v1/registrations (`centrex.api.live.registrations_of`). An extension of another tenant is
404, as in the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.api.live import registrations_of
from centrex.data.models import (
    DigestPolicy,
    Extension,
    RecordingLayout,
    RecordingMode,
    SipCredential,
    VoicemailBox,
)
from centrex.errors import CentrexError, Forbidden, NotFound, ValidationFailed
from centrex.provisioning import digest_policy, forwarding, pickup, screening, srtp_policy
from centrex.provisioning import extensions as extension_service
from centrex.provisioning.numbers import extension_numbers
from centrex.provisioning.views import extension_view
from centrex.web.i18n import translator
from centrex.web.portal import PageContext, check_csrf, language_for, page, render

router = APIRouter(include_in_schema=False)

# form field -> forward kind, in the order the page shows them
FORWARDS = (
    ("always", forwarding.ForwardKind.ALWAYS),
    ("busy", forwarding.ForwardKind.BUSY),
    ("no_answer", forwarding.ForwardKind.NO_ANSWER),
    ("unregistered", forwarding.ForwardKind.UNREGISTERED),
)
MAX_DESTINATION = 120  # the API's bound on a forward destination
MAX_CALLER_ID = 20
OUTBOUND_CLASSES = screening.CLASSES
RECORD_MODES = tuple(m.value for m in RecordingMode)
RECORD_LAYOUTS = tuple(m.value for m in RecordingLayout)


def _t(ctx: PageContext) -> Callable[..., str]:
    return translator(language_for(ctx.request, ctx.principal))


def _require_admin(ctx: PageContext) -> None:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")


async def _attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok") or (error message, "error")."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        return _t(ctx)("error.generic", message=exc.message), "error"


async def _extension(ctx: PageContext, extension_id: int) -> Extension:
    extension = await ctx.scope.first(Extension, Extension.id == extension_id)
    if extension is None:
        raise NotFound(f"extension {extension_id} not found", error_id="extension-not-found")
    return extension


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}, not {value[:40]!r}",
                               error_id=f"bad-{field.replace('_', '-')}", field=field)  # fmt: skip
    return value


def _seconds(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise ValidationFailed(
            f"no-answer time {text[:20]!r} is not a number of seconds",
            error_id="forward-seconds-invalid",
            field="no_answer_seconds",
        )
    return forwarding.check_seconds(int(text))


async def _set_forwarding(ctx: PageContext, extension: Extension, form: dict[str, str]) -> None:
    """Every forward as the form has it: a destination sets it, an empty field clears it."""
    seconds = _seconds(form.get("no_answer_seconds", ""))
    for field, kind in FORWARDS:
        value = form.get(field, "").strip()
        if len(value) > MAX_DESTINATION:
            raise ValidationFailed(
                f"forward destination longer than {MAX_DESTINATION}",
                error_id="forward-destination-too-long",
                field=field,
            )
        if value:
            wait = seconds if kind is forwarding.ForwardKind.NO_ANSWER else None
            await forwarding.set_forward(ctx.scope, extension.number, kind, value, seconds=wait)
        else:
            await forwarding.clear_forward(ctx.scope, extension.number, kind)


async def _set_features(ctx: PageContext, extension: Extension, form: dict[str, str]) -> None:
    """Do not disturb and call waiting: a checkbox is sent only when it is ticked."""
    await forwarding.set_dnd(ctx.scope, extension.number, form.get("dnd") == "on")
    await forwarding.set_call_waiting(ctx.scope, extension.number, form.get("call_waiting") == "on")


async def _set_caller_id(ctx: PageContext, extension: Extension, form: dict[str, str]) -> None:
    value = form.get("outbound_caller_id", "").strip()
    if len(value) > MAX_CALLER_ID:
        raise ValidationFailed(
            f"caller ID longer than {MAX_CALLER_ID} characters",
            error_id="caller-id-too-long",
            field="outbound_caller_id",
        )
    # "" clears the choice: the tenant's rules and main number apply again
    await extension_service.update_extension(ctx.scope, extension, outbound_caller_id=value)


async def _set_recording(ctx: PageContext, extension: Extension, form: dict[str, str]) -> None:
    """Mode and layout as chosen; "" for either follows the tenant's setting."""
    mode = form.get("record_calls", "")
    layout = form.get("record_layout", "")
    await extension_service.update_extension(
        ctx.scope,
        extension,
        inherit_recording=True,
        record_calls=RecordingMode(_choice(mode, RECORD_MODES, "record_calls")) if mode else None,
        record_layout=(
            RecordingLayout(_choice(layout, RECORD_LAYOUTS, "record_layout")) if layout else None
        ),
    )


async def _set_outbound(ctx: PageContext, extension: Extension, form: dict[str, str]) -> None:
    await screening.set_barring(ctx.scope, extension.number,
                                outbound_class=form.get("outbound_class", "")[:40],
                                premium=form.get("premium") == "on")  # fmt: skip


async def _set_srtp(ctx: PageContext, extension: Extension, form: dict[str, str]) -> None:
    await srtp_policy.set_srtp(ctx.scope, extension.number, form.get("srtp", "")[:40])


async def _set_sign_in(ctx: PageContext, extension: Extension, form: dict[str, str]) -> None:
    """Pickup group ("" or "none": in no group) and digest policy ("" follows the tenant's)."""
    await pickup.set_pickup_group(ctx.scope, extension.number, form.get("pickup_group", "")[:60])
    policy = form.get("digest_policy", "")
    chosen = digest_policy.parse_policy(policy[:40]) if policy else None
    await digest_policy.set_extension_policy(ctx.scope, extension, chosen)


Section = Callable[[PageContext, Extension, dict[str, str]], Awaitable[None]]
SECTIONS: dict[str, Section] = {
    "forwarding": _set_forwarding,
    "features": _set_features,
    "caller-id": _set_caller_id,
    "recording": _set_recording,
    "outbound": _set_outbound,
    "srtp": _set_srtp,
    "pickup-digest": _set_sign_in,
}


async def _view(ctx: PageContext, extension: Extension) -> dict[str, Any]:
    scope = ctx.scope
    credential = await scope.first(SipCredential, SipCredential.extension_id == extension.id)
    numbers = await extension_numbers(scope)
    view = extension_view(
        extension, credential, [numbers[extension.id]] if extension.id in numbers else []
    )
    registrations = await registrations_of(ctx.services, scope, ctx.principal)
    view["registrations"] = [r for r in registrations if r["extension"] == extension.number]
    box = await scope.first(VoicemailBox, VoicemailBox.extension_id == extension.id)
    view["voicemail"] = None if box is None else {"id": box.id, "enabled": bool(box.enabled)}
    return view


async def extension_page(
    ctx: PageContext, extension: Extension, flash: str = "", kind: str = "ok"
) -> HTMLResponse:
    return render(
        ctx.request,
        "extension_detail.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        x=await _view(ctx, extension),
        forwards=[field for field, _kind in FORWARDS],
        outbound_classes=OUTBOUND_CLASSES,
        record_modes=RECORD_MODES,
        record_layouts=RECORD_LAYOUTS,
        srtp_modes=srtp_policy.MODES,
        digest_policies=[p.value for p in DigestPolicy],
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/extensions/{extension_id}")
async def tenant_extension(request: Request, extension_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await extension_page(ctx, await _extension(ctx, extension_id))


@router.post("/tenant/extensions/{extension_id}")
async def tenant_extension_save(request: Request, extension_id: int) -> HTMLResponse:
    """Save the form of one `section` (posted to the page's own address, so a reload or a
    language switch stays on the page); a refused value changes nothing of that section."""
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        extension = await _extension(ctx, extension_id)
        section = form.get("section", "")
        apply = SECTIONS.get(section)
        if apply is None:
            raise NotFound(f"no settings section {section[:40]!r}", error_id="section-not-found")

        async def work() -> str:
            await apply(ctx, extension, form)
            return _t(ctx)("extension.saved", number=extension.number)

        flash, kind = await _attempt(ctx, work)
        await ctx.session.refresh(extension)  # a rolled-back section shows what is stored
        return await extension_page(ctx, extension, flash, kind)
