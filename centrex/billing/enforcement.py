"""Dunning put into action: reminders recorded, tenants suspended, contracts terminated.

`dunning.dunning_status` says, as a pure function of dates, which actions an issued invoice
calls for by `today`. `apply_dunning` carries out the ones not yet carried out and records each
in `dunning_actions` (one row per invoice and action), so running it daily, twice a day or
after a week of downtime gives the same result and never repeats a step:

* SEND_REMINDER: recorded (the mail itself goes through the outbox of whoever sends it);
* SUSPEND_SERVICE: the tenant goes to SUSPENDED with the invoice in the status reason (the
  router refuses outbound calls of a suspended tenant);
* TERMINATE_CONTRACT: the tenant goes to DEACTIVATED;
* RESTORE_SERVICE (paid while suspended): back to ACTIVE, unless another unpaid invoice of the
  tenant still calls for suspension.

A draft invoice was never sent, so it is never dunned. An invoice's delay to its due date is the
one fixed when it was issued (`due_on`), the later delays come from the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing.dunning import DunningAction, DunningPolicy, DunningState, dunning_status
from centrex.data.models.billing import ISSUED, DunningActionRecord, InvoiceRecord
from centrex.data.models.tenancy import Tenant, TenantStatus
from centrex.provisioning.tenants import scope_of, set_status

_STATUS_OF_ACTION = {
    DunningAction.SUSPEND_SERVICE: TenantStatus.SUSPENDED,
    DunningAction.TERMINATE_CONTRACT: TenantStatus.DEACTIVATED,
    DunningAction.RESTORE_SERVICE: TenantStatus.ACTIVE,
}
_OVER = frozenset({TenantStatus.DEACTIVATED, TenantStatus.ARCHIVED})


@dataclass(frozen=True, slots=True)
class AppliedAction:
    """One dunning step carried out now (`tenant_status` is the tenant's status afterwards)."""

    tenant: str
    invoice: str
    action: str
    due_on: date
    tenant_status: str


def _policy_for(record: InvoiceRecord, policy: DunningPolicy) -> DunningPolicy:
    if record.due_on is None:
        return policy
    return replace(policy, due_days=(record.due_on - record.issued_on).days)


def _reason(action: DunningAction, record: InvoiceRecord) -> str:
    what = {
        DunningAction.SUSPEND_SERVICE: "suspended",
        DunningAction.TERMINATE_CONTRACT: "terminated",
        DunningAction.RESTORE_SERVICE: "restored",
    }[action]
    if action is DunningAction.RESTORE_SERVICE:
        return f"dunning: service {what}, invoice {record.number} paid on {record.paid_on}"
    return (
        f"dunning: service {what}, invoice {record.number} of {record.total} "
        f"{record.currency} unpaid since {record.due_on}"
    )


async def apply_dunning(
    session: AsyncSession,
    today: date,
    *,
    now: datetime,
    policy: DunningPolicy | None = None,
    tenant_domain: str | None = None,
) -> list[AppliedAction]:
    """Carry out the dunning actions due by `today` for every tenant (or one)."""
    rules = policy or DunningPolicy()
    stmt = select(Tenant).order_by(Tenant.id)
    if tenant_domain is not None:
        stmt = stmt.where(Tenant.domain == tenant_domain.strip().lower())
    applied: list[AppliedAction] = []
    for tenant in (await session.scalars(stmt)).all():
        scope = scope_of(session, tenant)
        invoices = await scope.list(
            InvoiceRecord, InvoiceRecord.status == ISSUED, order_by=InvoiceRecord.issued_on
        )
        statuses = [
            (r, dunning_status(r.issued_on, today, _policy_for(r, rules), r.paid_on))
            for r in invoices
        ]
        still_suspended = any(s.state is DunningState.SUSPENDED for _, s in statuses)
        done = {(row.invoice_id, row.action) for row in await scope.list(DunningActionRecord)}
        for record, status in statuses:
            for when, action in status.actions:
                if action is DunningAction.MARK_PAID or (record.id, action.value) in done:
                    continue
                target = _STATUS_OF_ACTION.get(action)
                change = target is not None and tenant.status not in _OVER
                if action is DunningAction.RESTORE_SERVICE:
                    change = tenant.status is TenantStatus.SUSPENDED and not still_suspended
                if change and target is not None:
                    await set_status(
                        session, tenant, target, now=now, reason=_reason(action, record)
                    )
                scope.add(
                    DunningActionRecord(
                        invoice_id=record.id, action=action.value, due_on=when, applied_at=now
                    )
                )
                assert record.number is not None
                applied.append(
                    AppliedAction(
                        tenant.domain, record.number, action.value, when, tenant.status.value
                    )
                )
        await session.flush()
    return applied


async def dunning_history(session: AsyncSession, tenant: Tenant) -> list[DunningActionRecord]:
    """The recorded dunning actions of a tenant, oldest first."""
    return list(
        await scope_of(session, tenant).list(DunningActionRecord, order_by=DunningActionRecord.id)
    )
