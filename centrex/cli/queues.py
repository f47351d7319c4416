"""`centrex queue create|list|update|delete|stats`: a tenant's ACD queues.

A queue is looked up by its number within `--tenant`, so another tenant's queue is simply not
found, and a member must be an extension of `--tenant` (`EXT` or `EXT:LEVEL`; the rules and
error ids are in `centrex.provisioning.queues`). Bad input prints one line, exits non-zero and
writes nothing. `stats` reads the queue's call and agent logs over `--since`/`--until`.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.billing_accounts import parse_instant
from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.provisioning import queues as service
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
number_option = click.option("--number", required=True, help="The queue's number (e.g. 500).")
STRATEGY = click.Choice(list(service.STRATEGIES))
COLUMNS = ["number", "name", "strategy", "members", "wrap_up_seconds", "max_wait_seconds",
           "fallback"]  # fmt: skip


def _row(view: service.QueueView, domain: str) -> dict[str, Any]:
    return {**view.as_dict(), "tenant": domain}


def _table_row(data: dict[str, Any]) -> dict[str, Any]:
    members = ",".join(f"{m['extension']}:{m['level']}" for m in data["members"])
    return {**data, "members": members}


@click.group("queue")
def queue() -> None:
    """ACD queues: callers wait with music on hold until an agent answers."""


@queue.command("create")
@tenant_option
@number_option
@click.option("--strategy", type=STRATEGY, required=True)
@click.option("--member", "members", multiple=True, help="EXT or EXT:LEVEL (1-10); repeat.")
@click.option("--name", default="")
@click.option("--wrap-up", "wrap_up", type=int, default=service.LIMITS["wrap_up_seconds"][2],
              show_default=True, help="Seconds an agent rests after each call.")  # fmt: skip
@click.option("--max-wait", "max_wait", type=int, default=service.LIMITS["max_wait_seconds"][2],
              show_default=True, help="Seconds before a caller goes to the fallback.")  # fmt: skip
@click.option("--ring-seconds", type=int, default=service.LIMITS["ring_seconds"][2],
              show_default=True, help="How long an offer rings an agent.")  # fmt: skip
@click.option("--fallback", help="Overflow: extension, outside number or voicemail:N.")
@click.option("--announce-position", is_flag=True, help="Announce position and estimated wait.")
@click.option("--service-level", "service_level", type=int,
              default=service.LIMITS["service_level_seconds"][2], show_default=True,
              help="Answered within this many seconds counts as in service level.")  # fmt: skip
@click.option("--min-level", type=int, default=1, show_default=True,
              help="The skill level an agent needs (strategy skills).")  # fmt: skip
@click.option(
    "--callback",
    is_flag=True,
    help='Offer "press 1 to be called back" (the caller keeps its place).',
)
@click.option("--callback-attempts", type=int, default=service.CALLBACK_ATTEMPTS[2],
              show_default=True, help="Times a callback rings the caller.")  # fmt: skip
@click.option("--callback-retry", "callback_retry", type=int,
              default=service.LIMITS["callback_retry_seconds"][2], show_default=True,
              help="Seconds between two callback attempts.")  # fmt: skip
@json_option
@pass_state
def queue_create(
    state: CliState,
    domain: str,
    number: str,
    strategy: str,
    members: tuple[str, ...],
    name: str,
    wrap_up: int,
    max_wait: int,
    ring_seconds: int,
    fallback: str | None,
    announce_position: bool,
    service_level: int,
    min_level: int,
    callback: bool,
    callback_attempts: int,
    callback_retry: int,
    as_json: bool,
) -> None:
    """Create a queue."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = await service.create_queue(
            scope, number=number, strategy=strategy, members=members, name=name,
            wrap_up_seconds=wrap_up, max_wait_seconds=max_wait, ring_seconds=ring_seconds,
            service_level_seconds=service_level, fallback=fallback,
            announce_position=announce_position, min_level=min_level, callback=callback,
            callback_attempts=callback_attempts, callback_retry_seconds=callback_retry,
        )  # fmt: skip
        return _row(view, scope.domain)

    result = write_db(state, work)
    emit(result if as_json else _table_row(result), as_json)


@queue.command("list")
@tenant_option
@json_option
@pass_state
def queue_list(state: CliState, domain: str, as_json: bool) -> None:
    """List a tenant's queues, ordered by number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return listing([_row(v, scope.domain) for v in await service.list_queues(scope)])

    result = read_db(state, work)
    if not as_json:
        result = {**result, "items": [_table_row(item) for item in result["items"]]}
    emit(result, as_json, COLUMNS)


@queue.command("update")
@tenant_option
@number_option
@click.option("--new-number", help="Give the queue another number.")
@click.option("--strategy", type=STRATEGY)
@click.option("--member", "members", multiple=True, help="Replaces the static members.")
@click.option("--name")
@click.option("--wrap-up", "wrap_up", type=int)
@click.option("--max-wait", "max_wait", type=int)
@click.option("--ring-seconds", type=int)
@click.option("--fallback", help="extension, outside number, voicemail:N; '' clears it.")
@click.option("--announce-position/--no-announce-position", default=None)
@click.option("--service-level", "service_level", type=int)
@click.option("--min-level", type=int)
@click.option("--callback/--no-callback", default=None, help='"Press 1 to be called back".')
@click.option("--callback-attempts", type=int)
@click.option("--callback-retry", "callback_retry", type=int)
@json_option
@pass_state
def queue_update(
    state: CliState,
    domain: str,
    number: str,
    new_number: str | None,
    strategy: str | None,
    members: tuple[str, ...],
    name: str | None,
    wrap_up: int | None,
    max_wait: int | None,
    ring_seconds: int | None,
    fallback: str | None,
    announce_position: bool | None,
    service_level: int | None,
    min_level: int | None,
    callback: bool | None,
    callback_attempts: int | None,
    callback_retry: int | None,
    as_json: bool,
) -> None:
    """Change a queue (options left out stay as they are)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = await service.get_queue(scope, number)
        view = await service.update_queue(
            scope, view, number=new_number, name=name, strategy=strategy,
            members=members or None, fallback=fallback or None, clear_fallback=fallback == "",
            announce_position=announce_position, min_level=min_level,
            wrap_up_seconds=wrap_up, max_wait_seconds=max_wait, ring_seconds=ring_seconds,
            service_level_seconds=service_level, callback=callback,
            callback_attempts=callback_attempts, callback_retry_seconds=callback_retry,
        )  # fmt: skip
        return _row(view, scope.domain)

    result = write_db(state, work)
    emit(result if as_json else _table_row(result), as_json)


@queue.command("delete")
@tenant_option
@number_option
@json_option
@pass_state
def queue_delete(state: CliState, domain: str, number: str, as_json: bool) -> None:
    """Delete a queue."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await service.delete_queue(scope, await service.get_queue(scope, number))
        return {"deleted": number, "tenant": scope.domain}

    emit(write_db(state, work), as_json)


@queue.command("stats")
@tenant_option
@number_option
@click.option("--since", help="ISO timestamp (UTC when no zone): callers that entered from then.")
@click.option("--until", help="ISO timestamp: callers that entered before then.")
@json_option
@pass_state
def queue_stats(
    state: CliState,
    domain: str,
    number: str,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Offered, answered, abandoned, service level, waits, talk; per agent."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = await service.get_queue(scope, number)
        return await service.stats(
            scope, view,
            since=parse_instant(since, "--since") if since else None,
            until=parse_instant(until, "--until") if until else None,
        )  # fmt: skip

    emit(read_db(state, work), as_json)
