"""A tenant's feature codes and short numbers (CLI, API and portal share it; issue 12 item 7).

Rules, each with a stable error id (the catalog and the pure checks are
`calls/feature_codes.py`; the plan applies them in `calls/plans.py`):

* feature codes: the feature must be in the catalog (`feature-code-unknown`, 404); the code
  must be 2-8 characters of `0-9 * #` starting with `*` or `#` (`feature-code-bad`), or
  `default` to go back to the platform's code; no other feature of the tenant may use it
  (`feature-code-taken`, 409).
* short numbers: 1-6 digits (`short-number-bad`), not an extension's or a ring group's number
  (`short-number-taken`), unique (`short-number-exists`); the target an outside number the
  tenant can dial, normalised to E.164 for its country, never an emergency number
  (`short-number-bad-target`). Deleting an unknown one is `short-number-not-found` (404).

Every query goes through `TenantScope`: another tenant's choices are never seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from centrex.calls.feature_codes import BY_NAME, CATALOG, bad_code, conflicts, effective_codes
from centrex.calls.router import emergency_numbers, normalise_outbound
from centrex.data.models import (
    Conference,
    Extension,
    FeatureCodeChoice,
    RingGroup,
    ShortNumber,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

DEFAULT = "default"
MAX_SHORT_DIGITS = 6


async def choices(scope: TenantScope) -> dict[str, str]:
    """The codes the tenant changed: NAME → code."""
    return {row.feature: row.code for row in await scope.list(FeatureCodeChoice)}


async def list_codes(scope: TenantScope) -> list[dict[str, Any]]:
    """Every feature code of the tenant, in catalog order, with its default."""
    chosen = await choices(scope)
    return [
        {
            "feature": spec.name,
            "code": chosen.get(spec.name, spec.default),
            "default": spec.default,
            "kind": spec.kind.value,
            "description": spec.description,
            "changed": spec.name in chosen,
        }
        for spec in CATALOG
    ]


async def set_code(scope: TenantScope, feature: str, code: str) -> dict[str, Any]:
    """Give `feature` the code `code` (`default`: the platform's code again)."""
    await set_codes(scope, {feature: code})
    return next(item for item in await list_codes(scope) if item["feature"] == feature)


async def set_codes(scope: TenantScope, changes: Mapping[str, str]) -> list[dict[str, Any]]:
    """Change several codes at once, all or nothing: checked together, so two features may
    swap their codes in one change. Returns every code of the tenant."""
    chosen = await choices(scope)
    for feature, raw in changes.items():
        spec = BY_NAME.get(feature)
        if spec is None:
            known = ", ".join(BY_NAME)
            raise NotFound(f"no feature {feature!r} (features: {known})",
                           error_id="feature-code-unknown", field="feature")  # fmt: skip
        code = raw.strip()
        if code in (DEFAULT, spec.default):
            chosen.pop(feature, None)
            continue
        problem = bad_code(code)
        if problem is not None:
            raise ValidationFailed(f"{code!r}: {problem}", error_id="feature-code-bad",
                                   field="code")  # fmt: skip
        chosen[feature] = code
    for feature in changes:
        code = effective_codes(chosen)[feature]
        holder = conflicts(chosen, feature, code)
        if holder is not None:
            raise Conflict(f"{code} is already the code of {holder} in {scope.domain}",
                           error_id="feature-code-taken", field="code")  # fmt: skip
    # replaced as a whole: updating rows one by one would break the (tenant, code) uniqueness
    # half-way through a swap
    await scope.delete(FeatureCodeChoice, FeatureCodeChoice.id.is_not(None))
    await scope.session.flush()
    for feature, code in sorted(chosen.items()):
        scope.add(FeatureCodeChoice(feature=feature, code=code))
    await scope.session.flush()
    return await list_codes(scope)


def short_view(row: ShortNumber) -> dict[str, Any]:
    return {"id": row.id, "number": row.number, "target": row.target, "name": row.name}


async def list_short_numbers(scope: TenantScope) -> list[dict[str, Any]]:
    rows = await scope.list(ShortNumber)
    return [short_view(r) for r in sorted(rows, key=lambda r: (len(r.number), r.number))]


async def add_short_number(
    scope: TenantScope, *, number: str, target: str, name: str = ""
) -> dict[str, Any]:
    """A tenant-wide speed dial `number` → `target` (module docstring for the rules)."""
    value = number.strip()
    if not (value.isascii() and value.isdigit() and 1 <= len(value) <= MAX_SHORT_DIGITS):
        message = f"a short number has 1 to {MAX_SHORT_DIGITS} digits, not {number!r}"
        raise ValidationFailed(message, error_id="short-number-bad", field="number")
    for model, what in ((Extension, "an extension"), (RingGroup, "a ring group"),
                        (Conference, "a conference room")):  # fmt: skip
        if await scope.first(model, model.number == value) is not None:
            raise Conflict(f"{value} is {what} of {scope.domain}",
                           error_id="short-number-taken", field="number")  # fmt: skip
    if await scope.first(ShortNumber, ShortNumber.number == value) is not None:
        raise Conflict(f"short number {value} exists already", error_id="short-number-exists",
                       field="number")  # fmt: skip
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", error_id="tenant-not-found")
    text = target.strip()
    e164 = None
    if text.replace(" ", "") not in emergency_numbers(tenant.country):
        e164 = normalise_outbound(text, tenant.country)
    if e164 is None:
        raise ValidationFailed(f"{target!r} is not an outside number {scope.domain} can dial",
                               error_id="short-number-bad-target", field="target")  # fmt: skip
    row = scope.add(ShortNumber(number=value, target=e164, name=name.strip()))
    await scope.session.flush()
    return short_view(row)


async def delete_short_number(scope: TenantScope, number: str) -> None:
    row = await scope.first(ShortNumber, ShortNumber.number == number.strip())
    if row is None:
        raise NotFound(f"no short number {number} in {scope.domain}",
                       error_id="short-number-not-found", field="number")  # fmt: skip
    await scope.remove(row)
    await scope.session.flush()
