"""Portal page for a tenant's telephony settings (`/tenant/telephony`): call park (number,
slots, ring-back time-out), feature codes (the tenant's own star codes over the platform's
defaults), short numbers (tenant-wide speed dials) and caller-ID rules (which of its numbers
the tenant presents for calls to a prefix), and the tenant's defaults for call recording (mode,
layout, announcement: `tenants.set_recording`, as `centrex tenant set-recording`) and for digest
authentication (`digest_policy.set_tenant_policy`, as `centrex tenant set-digest`).

Each form calls the service behind the matching API route, so page and API accept and refuse
the same things: `provisioning.parking.set_park` (PATCH /api/v1/tenants/{id}),
`provisioning.feature_codes` (/api/v1/feature-codes, /api/v1/short-numbers) and
`provisioning.caller_id_rules` (/api/v1/caller-id-rules). A refused form changes nothing (its
work runs in a savepoint, `ring_groups_page.attempt`) and says why in the viewer's language.
The feature-code form sends every code at once and the service checks them together, all or
nothing, so two features may swap codes in one save. Deleting another tenant's short number or
rule finds nothing in this tenant's scope: 404, as in the API.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.calls.feature_codes import CATALOG
from centrex.data.models import DigestPolicy, RecordingLayout, RecordingMode
from centrex.errors import ValidationFailed
from centrex.provisioning import (
    caller_id_rules,
    digest_policy,
    feature_codes,
    parking,
    platform_views,
)
from centrex.provisioning import tenants as tenant_service
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, int_field, require_admin, translate_for

router = APIRouter(include_in_schema=False)

PATH = "/tenant/telephony"

# The services' error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "bad-park-number": "telephony.error_park_number",
    "bad-park-slots": "telephony.error_park_slots",
    "bad-park-timeout": "telephony.error_park_timeout",
    "park-number-taken": "telephony.error_park_taken",
    "feature-code-unknown": "telephony.error_feature_unknown",
    "feature-code-bad": "telephony.error_feature_bad",
    "feature-code-taken": "telephony.error_feature_taken",
    "short-number-bad": "telephony.error_short_bad",
    "short-number-taken": "telephony.error_short_taken",
    "short-number-exists": "telephony.error_short_exists",
    "short-number-bad-target": "telephony.error_short_target",
    "caller-id-bad-prefix": "telephony.error_rule_prefix",
    "caller-id-not-owned": "telephony.error_rule_not_owned",
    "caller-id-rule-exists": "telephony.error_rule_exists",
    "invalid-e164": "telephony.error_rule_number",
    "bad-recording-setting": "telephony.error_defaults",
    "invalid-digest-policy": "telephony.error_defaults",
}

CODE_FIELD = "code:"  # the feature-code form's inputs are named code:FEATURE


def feature_key(feature: str) -> str:
    """The catalog key of a feature's description (`dnd-on` → `telephony.feature_dnd_on`)."""
    return "telephony.feature_" + feature.replace("-", "_")


async def _page(
    ctx: PageContext,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
    section: str = "",
) -> HTMLResponse:
    """The whole page; a refused form shows again what was typed into it (`section`)."""
    assert ctx.tenant is not None
    typed = dict(form or {}) if kind == "error" else {}
    park = {k: str(v) for k, v in platform_views.park_view(ctx.tenant).items()}
    if section == "park" and typed:
        park.update({k: typed.get(k, "")[:50] for k in park})
    codes = await feature_codes.list_codes(ctx.scope)
    if section == "codes" and typed:
        for item in codes:
            item["code"] = typed.get(CODE_FIELD + item["feature"], item["code"])[:20]
    return render(
        ctx.request,
        "telephony.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        park=park,
        timeouts=(parking.MIN_TIMEOUT, parking.MAX_TIMEOUT),
        codes=[{**item, "label_key": feature_key(item["feature"])} for item in codes],
        shorts=await feature_codes.list_short_numbers(ctx.scope),
        rules=await caller_id_rules.list_rules(ctx.scope),
        record_modes=[m.value for m in RecordingMode],
        record_layouts=[layout.value for layout in RecordingLayout],
        digest_policies=[p.value for p in DigestPolicy],
        short_values=typed if section == "short" else {},
        rule_values=typed if section == "rule" else {},
        flash=flash,
        flash_kind=kind,
    )


@router.get(PATH)
async def telephony(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _page(ctx)


@router.post(PATH + "/park")
async def set_park(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        tenant = ctx.tenant
        assert tenant is not None

        async def work() -> str:
            try:
                await parking.set_park(
                    ctx.session,
                    tenant,
                    number=form.get("park_number", "").strip()[:50],
                    slots=form.get("park_slots", "").strip()[:50],
                    seconds=int_field(form, "park_timeout", "bad-park-timeout",
                                      tenant.park_timeout or parking.DEFAULT_TIMEOUT),
                )  # fmt: skip
            except ValidationFailed as exc:
                if exc.field != "park_slots":
                    raise
                # the slots' digit check shares the park number's id; say which field it is
                raise ValidationFailed(exc.message, error_id="bad-park-slots",
                                       field=exc.field) from exc  # fmt: skip
            return translate_for(ctx)("telephony.park_saved")

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            await ctx.session.refresh(tenant)
        return await _page(ctx, flash, kind, form, "park")


def _choice(
    form: Mapping[str, str], name: str, allowed: type[RecordingMode] | type[RecordingLayout]
) -> str:
    """The form's value of `name` when it is one of the enum's, else a refusal naming it."""
    value = form.get(name, "")
    if value not in {m.value for m in allowed}:
        raise ValidationFailed(f"unknown {name.replace('_', ' ')} {value[:40]!r}",
                               error_id="bad-recording-setting", field=name)  # fmt: skip
    return value


@router.post(PATH + "/defaults")
async def set_defaults(request: Request) -> HTMLResponse:
    """Recording mode, layout and announcement, and the digest policy, in one form."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        tenant = ctx.tenant
        assert tenant is not None

        async def work() -> str:
            await tenant_service.set_recording(
                ctx.session,
                tenant,
                record_calls=RecordingMode(_choice(form, "record_calls", RecordingMode)),
                record_layout=RecordingLayout(_choice(form, "record_layout", RecordingLayout)),
                announce=form.get("record_announce") == "on",
            )
            policy = digest_policy.parse_policy(form.get("digest_policy", "")[:40])
            await digest_policy.set_tenant_policy(ctx.session, tenant, policy)
            return translate_for(ctx)("telephony.defaults_saved")

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            await ctx.session.refresh(tenant)
        return await _page(ctx, flash, kind, form, "defaults")


@router.post(PATH + "/feature-codes")
async def set_feature_codes(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        changes = {
            key.removeprefix(CODE_FIELD)[:40]: value[:20]
            for key, value in list(form.items())[: len(CATALOG) + 4]
            if key.startswith(CODE_FIELD)
        }

        async def work() -> str:
            if changes:
                await feature_codes.set_codes(ctx.scope, changes)
            return translate_for(ctx)("telephony.codes_saved")

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind, form, "codes")


@router.post(PATH + "/short-numbers")
async def add_short_number(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            view = await feature_codes.add_short_number(
                ctx.scope,
                number=form.get("number", "")[:20],
                target=form.get("target", "")[:40],
                name=form.get("name", "")[:100],
            )
            return translate_for(ctx)("telephony.short_added", number=view["number"])

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind, form, "short")


@router.post(PATH + "/short-numbers/{number}/delete")
async def delete_short_number(request: Request, number: str) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        await feature_codes.delete_short_number(ctx.scope, number[:20])  # 404: not this tenant's
        return await _page(ctx, translate_for(ctx)("telephony.short_deleted", number=number[:20]))


@router.post(PATH + "/caller-id-rules")
async def add_rule(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            view = await caller_id_rules.add_rule(
                ctx.scope, prefix=form.get("prefix", "")[:40], number=form.get("number", "")[:40]
            )
            t = translate_for(ctx)
            return t("telephony.rule_added", prefix=view["prefix"] or t("telephony.every_call"))

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind, form, "rule")


@router.post(PATH + "/caller-id-rules/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        await caller_id_rules.delete_rule_by_id(ctx.scope, rule_id)  # 404: not this tenant's
        return await _page(ctx, translate_for(ctx)("telephony.rule_deleted"))
