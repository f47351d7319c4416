"""`centrex campaign create|update|list|start|pause|stop|stats|focus|agents|delete`: campaigns.

A campaign is looked up by its name within `--tenant`, so another tenant's campaign is simply
not found. `--drop-target` is a percentage of answered calls (3 = 3 %); the window and the
calling days (`--days mon-fri`) are in the called party's local time, and `--legal-rules` (the
default) adds the legal hours and public holidays of the callee's country; `--caller-id local`
shows the tenant number sharing the longest prefix with the callee. Agents are extensions
(`--agent`) and agent groups (`--group`: a queue number of the tenant, whose members take the
campaign's calls too, as they are when the dialer looks). The rules and error ids are
`centrex.contact_center.campaigns`'. Bad input prints one line, exits non-zero (2 for calling
days that do not parse) and writes nothing.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

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
from centrex.contact_center import campaigns as service
from centrex.contact_center.calling_window import DEFAULT_DAYS, DEFAULT_WINDOW
from centrex.contact_center.stats import campaign_stats
from centrex.errors import ValidationFailed
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
name_option = click.option("--name", required=True, help="The campaign's name.")
COLUMNS = ["name", "method", "status", "caller_id", "window", "calling_days", "legal_rules", "amd",
           "max_attempts", "agents", "groups", "leads", "postal_focus"]  # fmt: skip
days_help = "Weekdays of the called party: mon-fri, mon-sat, mon,wed,fri."
AMD_HELP = "Answering-machine detection on answered calls: a machine is hung up (outcome machine)."
legal_help = "Apply the callee country's legal hours and public holidays."


def _retry(values: tuple[str, ...]) -> dict[str, int]:
    delays: dict[str, int] = {}
    for item in values:
        outcome, _sep, seconds = item.partition("=")
        if not seconds.strip().isdigit():
            fail(f"--retry is OUTCOME=SECONDS (e.g. busy=600), not {item!r}")
        delays[outcome.strip()] = int(seconds)
    return delays


def _days(text: str | None) -> str | None:
    """Calling days checked before any database work: exit 2 with one line when they do not
    parse (a usage error)."""
    if text is None:
        return None
    try:
        return service.check_days(text)
    except ValidationFailed as exc:
        click.echo(f"error: --days: {exc.message}", err=True)
        sys.exit(2)


def _percent(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text.strip().rstrip("%")) / 100.0
    except ValueError:
        fail(f"--drop-target is a percentage (e.g. 3 or 2.5), not {text!r}")
    return None


@click.group("campaign")
def campaign() -> None:
    """Outbound campaigns: dial method, caller ID, calling window, agents, leads."""


@campaign.command("create")
@tenant_option
@name_option
@click.option("--method", required=True, help="preview, progressive, ratio or predictive.")
@click.option("--ratio", type=float, default=1.0, show_default=True,
              help="Calls in flight per logged-in agent (method ratio).")  # fmt: skip
@click.option(
    "--drop-target",
    "drop_target",
    metavar="PCT",
    help="Highest share of answered calls dropped, in % [default: 3].",
)
@click.option("--caller-id", default="local", show_default=True,
              help="'local' (local presence) or one E.164 number of the tenant.")  # fmt: skip
@click.option("--window", default=DEFAULT_WINDOW, show_default=True,
              help="HH:MM-HH:MM in the called party's local time.")  # fmt: skip
@click.option("--days", "calling_days", default=DEFAULT_DAYS, show_default=True, help=days_help)
@click.option("--legal-rules/--no-legal-rules", default=True, show_default=True, help=legal_help)
@click.option("--amd/--no-amd", default=False, show_default=True, help=AMD_HELP)
@click.option("--max-attempts", type=int, default=3, show_default=True)
@click.option(
    "--retry",
    multiple=True,
    metavar="OUTCOME=SECONDS",
    help="Delay before retrying after busy, no-answer, machine, dropped, failed.",
)
@click.option("--priority", type=int, default=0, show_default=True)
@click.option("--agent", "agents", multiple=True, help="An extension that takes the calls; repeat.")
@click.option("--group", "groups", multiple=True, metavar="QUEUE_NUMBER",
              help="A queue whose members take the calls (resolved live); repeat.")  # fmt: skip
@json_option
@pass_state
def campaign_create(
    state: CliState,
    domain: str,
    name: str,
    method: str,
    ratio: float,
    drop_target: str | None,
    caller_id: str,
    window: str,
    calling_days: str,
    legal_rules: bool,
    amd: bool,
    max_attempts: int,
    retry: tuple[str, ...],
    priority: int,
    agents: tuple[str, ...],
    groups: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create a campaign (status draft)."""
    share = _percent(drop_target)
    delays = _retry(retry)
    days = _days(calling_days) or DEFAULT_DAYS

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        made = await service.create_campaign(
            scope, name=name, method=method, ratio=ratio,
            drop_target=service.DEFAULT_DROP_TARGET if share is None else share,
            caller_id=caller_id, window=window, calling_days=days, legal_rules=legal_rules,
            amd=amd, max_attempts=max_attempts, retry_delays=delays, priority=priority,
            agents=agents, groups=groups,
        )  # fmt: skip
        return {**await service.campaign_dict(scope, made), "tenant": scope.domain}

    emit(write_db(state, work), as_json)


@campaign.command("update")
@tenant_option
@name_option
@click.option("--new-name", help="Rename the campaign.")
@click.option("--method", help="preview, progressive, ratio or predictive.")
@click.option("--ratio", type=float, help="Calls in flight per logged-in agent.")
@click.option("--drop-target", "drop_target", metavar="PCT", help="In % of answered calls.")
@click.option("--caller-id", help="'local' or one E.164 number of the tenant.")
@click.option("--window", help="HH:MM-HH:MM in the called party's local time.")
@click.option("--days", "calling_days", help=days_help)
@click.option("--legal-rules/--no-legal-rules", default=None, help=legal_help)
@click.option("--amd/--no-amd", default=None, help=AMD_HELP)
@click.option("--max-attempts", type=int)
@click.option("--retry", multiple=True, metavar="OUTCOME=SECONDS",
              help="Delay before retrying after an outcome; repeat.")  # fmt: skip
@click.option("--priority", type=int)
@json_option
@pass_state
def campaign_update(
    state: CliState,
    domain: str,
    name: str,
    new_name: str | None,
    method: str | None,
    ratio: float | None,
    drop_target: str | None,
    caller_id: str | None,
    window: str | None,
    calling_days: str | None,
    legal_rules: bool | None,
    amd: bool | None,
    max_attempts: int | None,
    retry: tuple[str, ...],
    priority: int | None,
    as_json: bool,
) -> None:
    """Change the settings given (also while running: the dialer reads them on each fill)."""
    changes: dict[str, Any] = {
        "name": new_name, "method": method, "ratio": ratio, "drop_target": _percent(drop_target),
        "caller_id": caller_id, "window": window, "calling_days": _days(calling_days),
        "legal_rules": legal_rules, "amd": amd, "max_attempts": max_attempts,
        "retry_delays": _retry(retry) if retry else None, "priority": priority,
    }  # fmt: skip
    if all(value is None for value in changes.values()):
        fail("give at least one setting to change (see --help)")

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        found = await service.get_campaign(scope, name)
        await service.update_campaign(scope, found, changes)
        return {**await service.campaign_dict(scope, found), "tenant": scope.domain}

    emit(write_db(state, work), as_json)


@campaign.command("list")
@tenant_option
@click.option("--name", help="Only this campaign.")
@json_option
@pass_state
def campaign_list(state: CliState, domain: str, name: str | None, as_json: bool) -> None:
    """List a tenant's campaigns by name."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        found = [await service.get_campaign(scope, name)] if name else None
        items = found if found is not None else await service.list_campaigns(scope)
        return listing([await service.campaign_dict(scope, c) for c in items])

    emit(read_db(state, work), as_json, COLUMNS)


def _status_command(action: str, summary: str) -> click.Command:
    @tenant_option
    @name_option
    @json_option
    @pass_state
    def command(state: CliState, domain: str, name: str, as_json: bool) -> None:
        async def work(session: AsyncSession) -> dict[str, Any]:
            scope = await scope_for(session, domain)
            changed = await service.change_status(
                scope, await service.get_campaign(scope, name), action
            )
            return {"name": changed.name, "status": changed.status.value, "tenant": scope.domain}

        emit(write_db(state, work), as_json)

    command.__doc__ = summary
    return click.command(action)(command)


for _action, _summary in (
    ("start", "Start (or resume) a campaign: the dialer takes its leads."),
    ("pause", "Pause a running campaign (calls in progress finish)."),
    ("stop", "Stop a campaign (it may be started again)."),
):
    campaign.add_command(_status_command(_action, _summary))


@campaign.command("stats")
@tenant_option
@name_option
@json_option
@pass_state
def campaign_stats_command(state: CliState, domain: str, name: str, as_json: bool) -> None:
    """Calls placed, answered, dropped, drop %, per disposition (from the lead history)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        found = await service.get_campaign(scope, name)
        return await campaign_stats(scope, found, state.clock.utcnow())

    emit(read_db(state, work), as_json)


@campaign.command("focus")
@tenant_option
@name_option
@click.option("--postal-code", "codes", multiple=True, help="A postal code (prefix); repeat.")
@click.option("--clear", is_flag=True, help="Call every postal code again.")
@json_option
@pass_state
def campaign_focus(
    state: CliState, domain: str, name: str, codes: tuple[str, ...], clear: bool, as_json: bool
) -> None:
    """Refocus a campaign on postal codes, on the fly (no restart)."""
    if clear == bool(codes):
        fail("give --postal-code (one or more) or --clear")

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        found = await service.set_focus(scope, await service.get_campaign(scope, name), codes)
        return {"name": found.name, "postal_focus": list(found.postal_focus),
                "tenant": scope.domain}  # fmt: skip

    emit(write_db(state, work), as_json)


@campaign.command("agents")
@tenant_option
@name_option
@click.option("--agent", "agents", multiple=True, help="An extension; repeat.")
@click.option("--group", "groups", multiple=True, metavar="QUEUE_NUMBER",
              help="A queue whose members take the calls (resolved live); repeat.")  # fmt: skip
@click.option("--clear", is_flag=True, help="Remove every agent and agent group.")
@json_option
@pass_state
def campaign_agents(
    state: CliState,
    domain: str,
    name: str,
    agents: tuple[str, ...],
    groups: tuple[str, ...],
    clear: bool,
    as_json: bool,
) -> None:
    """Set who takes a campaign's calls: the extensions and agent groups given replace both
    lists (a list not given becomes empty); --clear empties both."""
    if clear == bool(agents or groups):
        fail("give --agent and/or --group (one or more), or --clear")

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        found = await service.get_campaign(scope, name)
        await service.update_campaign(scope, found, {"agents": list(agents),
                                                     "groups": list(groups)})  # fmt: skip
        return {"name": found.name, "agents": await service.agent_numbers(scope, found),
                "groups": await service.group_numbers(scope, found),
                "tenant": scope.domain}  # fmt: skip

    emit(write_db(state, work), as_json)


@campaign.command("delete")
@tenant_option
@name_option
@json_option
@pass_state
def campaign_delete(state: CliState, domain: str, name: str, as_json: bool) -> None:
    """Delete a campaign with its leads, batches and history (not while running)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await service.delete_campaign(scope, await service.get_campaign(scope, name))
        return {"deleted": name, "tenant": scope.domain}

    emit(write_db(state, work), as_json)
