"""Caller ID per outbound route: which of its numbers a tenant presents for calls to a prefix
(issue 12 item 6, "sélection d'un numéro pour un appel sortant").

A rule is (prefix, number): calls to numbers starting with the prefix (E.164 digits without
'+', e.g. `33` for France; empty for every call) show `number` to the carrier, which must be
one of the tenant's own numbers (a carrier would reject, or worse pass on, a number the tenant
does not hold). The longest matching prefix wins, before the extension's own caller ID and the
tenant's main number (`calls.router.choose_caller_id`); `*31` still withholds it for one call.
One rule per prefix; `centrex caller-id add|list|delete` and `/api/v1/caller-id-rules`.
"""

from __future__ import annotations

from typing import Any

from centrex.data.models import CallerIdRule, Number, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.validation import normalise_e164

MAX_PREFIX = 15


def rule_view(rule: CallerIdRule) -> dict[str, Any]:
    return {"id": rule.id, "prefix": rule.prefix, "number": rule.number}


def _prefix(value: str) -> str:
    text = value.strip().removeprefix("+")
    if text and not (text.isascii() and text.isdigit() and len(text) <= MAX_PREFIX):
        raise ValidationFailed(
            f"a prefix is up to {MAX_PREFIX} digits of an E.164 number (no +), not {value!r}",
            error_id="caller-id-bad-prefix", field="prefix",
        )  # fmt: skip
    return text


async def add_rule(scope: TenantScope, *, prefix: str, number: str) -> dict[str, Any]:
    """Present `number` for calls to `prefix` (module docstring for the rules)."""
    text = _prefix(prefix)
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", error_id="tenant-not-found")
    e164 = normalise_e164(number, tenant.country)
    if await scope.first(Number, Number.e164 == e164) is None:
        raise ValidationFailed(f"{e164} is not a number of {scope.domain}",
                               error_id="caller-id-not-owned", field="number")  # fmt: skip
    if await scope.first(CallerIdRule, CallerIdRule.prefix == text) is not None:
        shown = text or "every call"
        raise Conflict(f"{scope.domain} has a caller ID rule for {shown} already",
                       error_id="caller-id-rule-exists", field="prefix")  # fmt: skip
    rule = scope.add(CallerIdRule(prefix=text, number=e164))
    await scope.session.flush()
    return rule_view(rule)


async def list_rules(scope: TenantScope) -> list[dict[str, Any]]:
    return [rule_view(r) for r in await scope.list(CallerIdRule, order_by=CallerIdRule.prefix)]


async def delete_rule(scope: TenantScope, prefix: str) -> None:
    text = _prefix(prefix)
    rule = await scope.first(CallerIdRule, CallerIdRule.prefix == text)
    if rule is None:
        raise NotFound(f"no caller ID rule for {text or 'every call'} in {scope.domain}",
                       error_id="caller-id-rule-not-found", field="prefix")  # fmt: skip
    await scope.remove(rule)
    await scope.session.flush()


async def delete_rule_by_id(scope: TenantScope, rule_id: int) -> None:
    rule = await scope.first(CallerIdRule, CallerIdRule.id == rule_id)
    if rule is None:  # another tenant's rule is not found either
        raise NotFound(f"no caller ID rule {rule_id} in {scope.domain}",
                       error_id="caller-id-rule-not-found")  # fmt: skip
    await scope.remove(rule)
    await scope.session.flush()
