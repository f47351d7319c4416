"""`centrex billing` commands for tenant accounts: plans, contracts, incidents, fair use, invoices.

They are attached to the `billing` group by `centrex.cli.billing` (one group for the user, two
modules so each stays small). Same contract as every command: `--json`, amounts as decimal
strings, bad input exits non-zero and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import accounts, enforcement, issuing
from centrex.billing.clauses import Excuse
from centrex.billing.dunning import DunningPolicy
from centrex.billing.invoices import Invoice
from centrex.billing.plans import plan_warnings
from centrex.billing.service import midnight
from centrex.cli.billing_files import InvoiceFiles, file_options, render_invoice_files
from centrex.cli.common import (
    CliState,
    emit,
    fail,
    json_option,
    listing,
    pass_state,
    read_db,
    write_db,
)
from centrex.data.models.billing import BillingPlan, IncidentRecord, InvoiceRecord
from centrex.errors import ValidationFailed
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")


def parse_day(value: str, option: str) -> date:
    """A YYYY-MM-DD option value, else a one-line validation error."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def parse_instant(value: str, option: str) -> datetime:
    """An ISO timestamp option value (UTC when it has no zone)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{option} {value!r} is not an ISO timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def plan_view(plan: BillingPlan) -> dict[str, Any]:
    """JSON shape of a plan."""
    return {
        "id": plan.id,
        "name": plan.name,
        "currency": plan.currency,
        "base_monthly_fee": plan.base_monthly_fee,
        "initial_fee": plan.initial_fee,
        "included_agents": plan.included_agents,
        "included_admins": plan.included_admins,
        "extra_seat_fee": plan.extra_seat_fee,
        "fixed_per_minute": plan.fixed_per_minute,
        "mobile_per_minute": plan.mobile_per_minute,
        "bundle": plan.bundle,
        "fair_use_distinct_numbers": plan.fair_use_distinct_numbers,
    }


def incident_view(incident: IncidentRecord) -> dict[str, Any]:
    """JSON shape of an incident."""
    return {
        "id": incident.id,
        "service": incident.service,
        "notified_at": incident.notified_at,
        "restored_at": incident.restored_at,
        "excuse": incident.excuse,
    }


def invoice_view(invoice: Invoice, invoice_id: int | None = None) -> dict[str, Any]:
    """JSON shape of a computed invoice."""
    return {
        "id": invoice_id,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "currency": invoice.currency,
        "country": invoice.country,
        "lines": [
            {
                "kind": line.kind.value,
                "description": line.description,
                "quantity": line.quantity.quantize(Decimal("0.0001")),
                "unit_price": line.unit_price,
                "amount": line.amount,
            }
            for line in invoice.lines
        ],
        "subtotal": invoice.subtotal,
        "vat_rate": invoice.vat_rate,
        "vat": invoice.vat,
        "total": invoice.total,
    }


def _amount(value: str, option: str) -> Decimal:
    try:
        return Decimal(value)
    except ArithmeticError:
        raise ValidationFailed(f"{option} {value!r} is not a decimal number") from None


@click.command("plan-create")
@click.option("--name", required=True)
@click.option("--currency", required=True, help="ISO 4217, e.g. EUR.")
@click.option("--monthly-fee", required=True, help="Base monthly fee.")
@click.option("--initial-fee", default="0", show_default=True)
@click.option("--included-agents", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--included-admins", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--extra-seat-fee", default="0", show_default=True)
@click.option("--fixed-per-minute", default="0", show_default=True)
@click.option("--mobile-per-minute", default="0", show_default=True)
@click.option("--bundle", type=click.Choice(sorted(accounts.BUNDLE_PRESETS)))
@click.option("--fair-use", "fair_use", type=click.IntRange(min=1), default=150, show_default=True)
@click.option("--retail-deck", help="Deck pricing destinations outside the plan groups.")
@click.option("--cost-deck", help="Carrier deck, for margins.")
@json_option
@pass_state
def plan_create(state: CliState, /, as_json: bool, **options: Any) -> None:
    """Create a provider plan: fees, per-minute prices and an optional bundle preset."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        plan = await accounts.create_plan(
            session,
            name=options["name"],
            currency=options["currency"].upper(),
            base_monthly_fee=_amount(options["monthly_fee"], "--monthly-fee"),
            initial_fee=_amount(options["initial_fee"], "--initial-fee"),
            included_agents=options["included_agents"],
            included_admins=options["included_admins"],
            extra_seat_fee=_amount(options["extra_seat_fee"], "--extra-seat-fee"),
            fixed_per_minute=_amount(options["fixed_per_minute"], "--fixed-per-minute"),
            mobile_per_minute=_amount(options["mobile_per_minute"], "--mobile-per-minute"),
            bundle=options["bundle"],
            fair_use_distinct_numbers=options["fair_use"],
            retail_deck=options["retail_deck"],
            cost_deck=options["cost_deck"],
        )
        found = plan_warnings(accounts.plan_from_record(plan),
                              has_retail_deck=plan.retail_deck_id is not None)  # fmt: skip
        return {**plan_view(plan), "warnings": found}

    created = write_db(state, work)
    if not as_json:
        for warning in created["warnings"]:
            click.echo(f"warning: {warning}", err=True)
    emit(created, as_json)


@click.command("plan-list")
@json_option
@pass_state
def plan_list(state: CliState, as_json: bool) -> None:
    """List the provider's plans."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing([plan_view(p) for p in await accounts.list_plans(session)])

    emit(read_db(state, work), as_json, ["id", "name", "currency", "base_monthly_fee", "bundle"])


@click.command("subscribe")
@tenant_option
@click.option("--plan", "plan_name", required=True)
@click.option("--starts-on", required=True, help="YYYY-MM-DD.")
@click.option("--ends-on", help="Last day of service (YYYY-MM-DD).")
@click.option("--agents", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--admins", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--initial-months", type=click.IntRange(min=1), default=12, show_default=True)
@click.option("--renewal-months", type=click.IntRange(min=1), default=12, show_default=True)
@click.option("--notice-months", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--termination-fixed-fee", default="0", show_default=True)
@click.option("--support-hours-only", is_flag=True, help="SLA clock counts support hours only.")
@json_option
@pass_state
def subscribe(state: CliState, /, domain: str, plan_name: str, as_json: bool, **o: Any) -> None:
    """Put a tenant on a plan with its contract clauses."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        plan = await accounts.plan_by_name(session, plan_name)
        contract = await accounts.subscribe(
            scope,
            plan.id,
            parse_day(o["starts_on"], "--starts-on"),
            ends_on=parse_day(o["ends_on"], "--ends-on") if o["ends_on"] else None,
            agents=o["agents"],
            admins=o["admins"],
            initial_months=o["initial_months"],
            renewal_months=o["renewal_months"],
            notice_months=o["notice_months"],
            termination_fixed_fee=_amount(o["termination_fixed_fee"], "--termination-fixed-fee"),
            sla_support_hours_only=o["support_hours_only"],
        )
        return {
            "id": contract.id,
            "tenant": scope.domain,
            "plan": plan.name,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "agents": contract.agents,
            "admins": contract.admins,
        }

    emit(write_db(state, work), as_json)


@click.command("incident-add")
@tenant_option
@click.option("--service", required=True, help="The failed service, e.g. telephony.")
@click.option("--notified-at", required=True, help="ISO timestamp (UTC when no zone).")
@click.option("--restored-at", help="ISO timestamp of the confirmed restoration.")
@click.option("--excuse", type=click.Choice([e.value for e in Excuse]))
@click.option("--description")
@json_option
@pass_state
def incident_add(state: CliState, /, domain: str, as_json: bool, **o: Any) -> None:
    """Log an outage of a tenant's service."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        incident = await accounts.record_incident(
            scope,
            service=o["service"],
            notified_at=parse_instant(o["notified_at"], "--notified-at"),
            restored_at=parse_instant(o["restored_at"], "--restored-at")
            if o["restored_at"]
            else None,
            excuse=Excuse(o["excuse"]) if o["excuse"] else None,
            description=o["description"],
        )
        return incident_view(incident)

    emit(write_db(state, work), as_json)


@click.command("incident-restore")
@tenant_option
@click.option("--id", "incident_id", type=int, required=True)
@click.option("--restored-at", required=True, help="ISO timestamp (UTC when no zone).")
@json_option
@pass_state
def incident_restore(
    state: CliState, domain: str, incident_id: int, restored_at: str, as_json: bool
) -> None:
    """Record the confirmed restoration of an incident."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        when = parse_instant(restored_at, "--restored-at")
        return incident_view(await accounts.restore_incident(scope, incident_id, when))

    emit(write_db(state, work), as_json)


@click.command("incident-list")
@tenant_option
@json_option
@pass_state
def incident_list(state: CliState, domain: str, as_json: bool) -> None:
    """List a tenant's incidents, newest first."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return listing([incident_view(i) for i in await accounts.list_incidents(scope)])

    emit(read_db(state, work), as_json, ["id", "service", "notified_at", "restored_at", "excuse"])


@click.command("fair-use")
@tenant_option
@click.option("--since", required=True, help="First day (YYYY-MM-DD, UTC).")
@click.option("--until", required=True, help="Day after the last (YYYY-MM-DD, UTC).")
@json_option
@pass_state
def fair_use(state: CliState, domain: str, since: str, until: str, as_json: bool) -> None:
    """Fair-use evidence per user (flagging stays an operator's decision: `billing flag`)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        report = await accounts.fair_use_report(
            scope, midnight(parse_day(since, "--since")), midnight(parse_day(until, "--until"))
        )
        return listing(
            [
                {
                    "user": s.user,
                    "calls": s.calls,
                    "distinct_numbers": s.distinct_numbers,
                    "peak_calls_per_hour": s.peak_calls_per_hour,
                    "short_call_share": s.short_call_share,
                    "max_concurrent_calls": s.max_concurrent_calls,
                    "suspicious": s.suspicious,
                    "reasons": list(s.reasons),
                }
                for s in report
            ]
        )

    emit(read_db(state, work), as_json, ["user", "calls", "distinct_numbers", "reasons"])


@click.command("flag")
@tenant_option
@click.option("--reason", help="Why (required to flag).")
@click.option("--clear", is_flag=True, help="Remove the flag.")
@json_option
@pass_state
def flag(state: CliState, domain: str, reason: str | None, clear: bool, as_json: bool) -> None:
    """Flag the tenant's current contract for forbidden use (usage billed at 400 %)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        today = state.clock.utcnow().date()
        contract = await accounts.contract_for_period(scope, today, today + timedelta(days=1))
        updated = await accounts.set_forbidden_use(
            scope, contract.id, flagged=not clear, reason=reason
        )
        return {
            "tenant": scope.domain,
            "contract": updated.id,
            "flagged": updated.forbidden_use_flagged,
            "reason": updated.flagged_reason,
        }

    emit(write_db(state, work), as_json)


@click.command("invoice")
@tenant_option
@click.option("--since", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--until", required=True, help="Day after the last (YYYY-MM-DD).")
@click.option("--issued-on", help="Issue date (YYYY-MM-DD); default today.")
@click.option("--issue", is_flag=True, help="Issue it: number, due date, immutable from now on.")
@click.option("--due-days", type=click.IntRange(min=0), default=15, show_default=True)
@file_options
@json_option
@pass_state
def invoice(
    state: CliState,
    /,
    domain: str,
    since: str,
    until: str,
    issued_on: str | None,
    issue: bool,
    due_days: int,
    as_json: bool,
    **files: Any,
) -> None:
    """Compute (or recompute) and store a tenant's draft invoice for a period; --issue numbers
    it. An issued invoice is never recomputed (use `billing credit-note`)."""

    async def work(session: AsyncSession) -> tuple[dict[str, Any], InvoiceFiles]:
        scope = await scope_for(session, domain)
        issued = parse_day(issued_on, "--issued-on") if issued_on else state.clock.utcnow().date()
        record, computed = await accounts.compute_invoice(
            scope,
            period_start=parse_day(since, "--since"),
            period_end=parse_day(until, "--until"),
            issued_on=issued,
        )
        if issue:
            record = await issuing.issue_invoice(
                scope, record.id, issued_on=issued, due_days=due_days
            )
        view = invoice_view(computed, record.id)
        view["tenant"] = scope.domain
        view.update(issue_view(record))
        return view, await render_invoice_files(scope, record.id, **files)

    result, rendered = write_db(state, work)
    if rendered.outputs:
        result["files"] = rendered.write()
    if as_json:
        emit(result, True)
        return
    for line in result["lines"]:
        click.echo(f"{line['amount']:>12}  {line['description']}")
    for key in ("subtotal", "vat", "total"):
        click.echo(f"{result[key]:>12}  {key} {result['currency']}")


def issue_view(record: InvoiceRecord) -> dict[str, Any]:
    """Issue fields of a stored invoice (added to the JSON of `invoice`; never renamed)."""
    return {
        "number": record.number,
        "status": record.status,
        "issued_on": record.issued_on,
        "due_on": record.due_on,
        "paid_on": record.paid_on,
    }


@click.command("invoice-paid")
@tenant_option
@click.option("--id", "invoice_id", type=int, required=True)
@click.option("--paid-on", required=True, help="YYYY-MM-DD.")
@json_option
@pass_state
def invoice_paid(
    state: CliState, domain: str, invoice_id: int, paid_on: str, as_json: bool
) -> None:
    """Record the payment of an invoice."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        record = await accounts.mark_paid(scope, invoice_id, parse_day(paid_on, "--paid-on"))
        return {"id": record.id, "paid_on": record.paid_on, "total": record.total}

    emit(write_db(state, work), as_json)


@click.command("dunning")
@click.option("--tenant", "domain", help="The tenant's domain (with --apply: default all).")
@click.option("--today", help="Reference day (YYYY-MM-DD); default today.")
@click.option("--apply", "apply", is_flag=True, help="Carry out the due actions (suspend ...).")
@click.option("--due-days", type=click.IntRange(min=0), default=15, show_default=True)
@click.option("--reminder-days", type=click.IntRange(min=0), default=7, show_default=True)
@click.option("--suspension-days", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--termination-days", type=click.IntRange(min=0), default=30, show_default=True)
@json_option
@pass_state
def dunning(
    state: CliState,
    /,
    domain: str | None,
    today: str | None,
    apply: bool,
    as_json: bool,
    **o: int,
) -> None:
    """Where each invoice of a tenant stands: open, overdue, reminded, suspended, terminated.

    With --apply, carry out what is due on issued invoices of every tenant (or --tenant):
    record reminders, suspend, terminate or restore the tenant; each step is done once.
    """
    if domain is None and not apply:
        fail("--tenant is required without --apply")
    policy = DunningPolicy(
        o["due_days"], o["reminder_days"], o["suspension_days"], o["termination_days"]
    )

    async def report(session: AsyncSession) -> dict[str, Any]:
        assert domain is not None
        scope = await scope_for(session, domain)
        day = parse_day(today, "--today") if today else state.clock.utcnow().date()
        return listing(
            [
                {
                    "id": record.id,
                    "period_start": record.period_start,
                    "total": record.total,
                    "issued_on": record.issued_on,
                    "paid_on": record.paid_on,
                    "state": status.state.value,
                    "actions": [
                        {"on": when, "action": action.value} for when, action in status.actions
                    ],
                    "next_deadline": status.next_deadline,
                    "number": record.number,
                }
                for record, status in await accounts.dunning_report(scope, day, policy)
            ]
        )

    async def carry_out(session: AsyncSession) -> dict[str, Any]:
        if domain is not None:
            await scope_for(session, domain)  # unknown domain: not-found, not an empty run
        day = parse_day(today, "--today") if today else state.clock.utcnow().date()
        applied = await enforcement.apply_dunning(
            session, day, now=state.clock.utcnow(), policy=policy, tenant_domain=domain
        )
        return listing(
            [
                {
                    "tenant": a.tenant,
                    "invoice": a.invoice,
                    "action": a.action,
                    "on": a.due_on,
                    "tenant_status": a.tenant_status,
                }
                for a in applied
            ]
        )

    if apply:
        emit(write_db(state, carry_out), as_json, ["tenant", "invoice", "action", "on"])
        return
    emit(read_db(state, report), as_json, ["id", "period_start", "total", "state", "next_deadline"])


COMMANDS = (
    plan_create,
    plan_list,
    subscribe,
    incident_add,
    incident_restore,
    incident_list,
    fair_use,
    flag,
    invoice,
    invoice_paid,
    dunning,
)
