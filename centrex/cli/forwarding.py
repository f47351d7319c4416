"""`centrex extension forward|dnd` (issue 12 item 2): an extension's forwards and DND.

`extension forward --tenant D --number N (--always DEST | --busy DEST | --no-answer DEST
[--after SECONDS] | --unregistered DEST | --clear KIND|all) [--json]`, DEST an extension
number, an E.164 number, `voicemail` or `flow:NAME`; `extension dnd --tenant D --number N
(--on|--off)`. A destination the router would refuse (an extension of no tenant of yours, an
undialable number, an unknown flow) is one line of error, and nothing is written. Call waiting
is `extension update --call-waiting on|off` (centrex/cli/telephony.py).
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, pass_state, write_db
from centrex.errors import ValidationFailed
from centrex.provisioning import forwarding
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
DEST = "DEST"  # metavar


def _flat(view: dict[str, Any]) -> dict[str, Any]:
    """The readable (non-JSON) form: one line per forward."""
    flat = {"number": view["number"]}
    flat.update({f"forward_{k}": v for k, v in view["forwarding"].items()})
    flat.update(dnd=view["dnd"], call_waiting=view["call_waiting"])
    return flat


@click.command("forward")
@tenant_option
@click.option("--number", required=True, help="The extension.")
@click.option("--always", metavar=DEST, help="Forward every call (the phones do not ring).")
@click.option("--busy", metavar=DEST, help="Forward when busy (or in DND).")
@click.option("--no-answer", metavar=DEST, help="Forward when not answered in time.")
@click.option("--after", type=int, help="Seconds before a no-answer forward (default 20).")
@click.option("--unregistered", metavar=DEST, help="Forward when no phone is registered.")
@click.option("--clear", metavar="KIND", help="Remove a forward: always, busy, no-answer, "
              "unregistered or all.")  # fmt: skip
@json_option
@pass_state
def extension_forward(
    state: CliState,
    domain: str,
    number: str,
    always: str | None,
    busy: str | None,
    no_answer: str | None,
    after: int | None,
    unregistered: str | None,
    clear: str | None,
    as_json: bool,
) -> None:
    """Set or clear one forward of an extension.

    DEST: an extension, a ring group, an E.164 number, voicemail or flow:NAME."""
    chosen = [
        (kind, dest)
        for kind, dest in (
            (forwarding.ForwardKind.ALWAYS, always),
            (forwarding.ForwardKind.BUSY, busy),
            (forwarding.ForwardKind.NO_ANSWER, no_answer),
            (forwarding.ForwardKind.UNREGISTERED, unregistered),
        )
        if dest is not None
    ]

    async def work(session: AsyncSession) -> dict[str, Any]:
        if len(chosen) + (clear is not None) != 1:
            raise ValidationFailed(
                "give exactly one of --always, --busy, --no-answer, --unregistered, --clear"
            )
        scope = await scope_for(session, domain)
        if clear is not None:
            if after is not None:
                raise ValidationFailed("--after applies to --no-answer only")
            ext = await forwarding.clear_forward(scope, number, forwarding.forward_kind(clear))
        else:
            kind, dest = chosen[0]
            assert dest is not None
            ext = await forwarding.set_forward(scope, number, kind, dest, seconds=after)
        view = forwarding.forwarding_view(ext)
        view["tenant"] = scope.domain
        return view

    view = write_db(state, work)
    emit(view if as_json else _flat(view), as_json)


@click.command("dnd")
@tenant_option
@click.option("--number", required=True, help="The extension.")
@click.option("--on/--off", "on", default=None, help="Do not disturb on or off (one is needed).")
@json_option
@pass_state
def extension_dnd(
    state: CliState, domain: str, number: str, on: bool | None, as_json: bool
) -> None:
    """Turn do-not-disturb on or off (busy forward, else voicemail, else 486)."""
    if on is None:
        raise click.UsageError("give --on or --off")

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = forwarding.forwarding_view(await forwarding.set_dnd(scope, number, on))
        view["tenant"] = scope.domain
        return view

    view = write_db(state, work)
    emit(view if as_json else _flat(view), as_json)


COMMANDS = (extension_forward, extension_dnd)
