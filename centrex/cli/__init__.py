"""The `centrex` command line. Each group lives in its own module, imported only when used.

Scripts and checks call the CLI hundreds of times, so `centrex --version`, `centrex --help` and
`centrex tenant list --help` must not pay for the whole platform (SQLAlchemy's asyncio layer, the
models, billing, the portal): the top-level group is a `LazyGroup` that knows each command's
module and short help from the static table below and imports a module only when its command is
invoked or its own help is shown. tests/cli/test_lazy_cli.py checks that the table matches the
commands' real help and that `--version` imports none of the heavy packages.

A new top-level command is one row in `COMMANDS`; a module that adds subcommands to another
module's group is named in that row's `extras`. Inside a command module, import the models and
services in the command functions (and use `common.LazyChoice` for a choice of enum values), so
that the group's `--help` stays cheap too.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from gettext import gettext as _

import click

from centrex import __version__


@dataclass(frozen=True)
class LazyCommand:
    """Where a top-level command lives, and the first paragraph of its help (for `--help`).

    `extras` are modules that add subcommands to the group: "module" is imported for its side
    effect (its decorators register on the group), "module:NAME" adds each command of the
    sequence NAME.
    """

    module: str
    attribute: str
    help: str
    extras: tuple[str, ...] = ()


_TELEPHONY = "centrex.cli.telephony"
_TENANTS = "centrex.cli.tenants"
_TOKENS = "centrex.cli.tokens"

COMMANDS: dict[str, LazyCommand] = {
    "db": LazyCommand(_TENANTS, "db", "Database schema."),
    "partner": LazyCommand(_TENANTS, "partner", "Partners (resellers)."),
    "tenant": LazyCommand(_TENANTS, "tenant", "Tenants (customers)."),
    "user": LazyCommand(
        "centrex.cli.users",
        "user",
        "Users of a tenant: portal logins with a role, optionally owning an extension.",
    ),
    "extension": LazyCommand(
        _TELEPHONY,
        "extension",
        "Extensions of a tenant.",
        extras=("centrex.cli.forwarding:COMMANDS",),  # extension forward, extension dnd
    ),
    "voicemail": LazyCommand(
        "centrex.cli.voicemail", "voicemail", "Voicemail boxes of a tenant's extensions."
    ),
    "queue": LazyCommand(
        "centrex.cli.queues",
        "queue",
        "ACD queues: callers wait with music on hold until an agent answers.",
    ),
    "ring-group": LazyCommand(
        "centrex.cli.ring_groups",
        "ring_group",
        "Ring groups: a number that rings several extensions or outside numbers (or pages the"
        " tenant's phones: strategy page).",
    ),
    "conference": LazyCommand(
        "centrex.cli.conferences",
        "conference",
        "Conference rooms: a number where the tenant's callers meet (PIN, moderator, recording).",
    ),
    "campaign": LazyCommand(
        "centrex.cli.campaigns",
        "campaign",
        "Outbound campaigns: dial method, caller ID, calling window, agents, leads.",
        extras=("centrex.cli.campaign_insights",),  # campaign explain|simulate
    ),
    "lead": LazyCommand(
        "centrex.cli.leads",
        "lead",
        "Leads of outbound campaigns: import batches, rollback, export, search.",
    ),
    "dnc": LazyCommand(
        "centrex.cli.dnc",
        "dnc",
        "Do-not-call lists: numbers never dialled (tenant-wide or per campaign).",
    ),
    "disposition": LazyCommand(
        "centrex.cli.dispositions",
        "disposition",
        "Call dispositions: the system ones and the tenant's own; disposition a lead.",
    ),
    "callback": LazyCommand(
        "centrex.cli.callbacks",
        "callback",
        "Scheduled callbacks: a lead called back at a time of its own zone.",
    ),
    "blocklist": LazyCommand(
        "centrex.cli.screening",
        "blocklist",
        "Blocklist: numbers refused (inbound: 603 or voicemail; outbound: 403).",
    ),
    "allowlist": LazyCommand(
        "centrex.cli.screening",
        "allowlist",
        "Allowlist: when a direction has one, only its numbers pass.",
    ),
    "feature-code": LazyCommand(
        "centrex.cli.feature_codes",
        "feature_code",
        "The star codes a tenant's phones dial (DND, forward, pickup, intercom, CLIR...).",
    ),
    "short-number": LazyCommand(
        "centrex.cli.feature_codes",
        "short_number",
        "Tenant-wide speed dials: a short number that calls an outside number.",
    ),
    "caller-id": LazyCommand(
        "centrex.cli.caller_id",
        "caller_id",
        "The caller ID a tenant shows per destination (outbound route).",
    ),
    "number": LazyCommand(_TELEPHONY, "number", "Numbers (DIDs) and number ranges."),
    "trunk": LazyCommand(_TELEPHONY, "trunk", "Carrier trunks."),
    "route": LazyCommand(_TELEPHONY, "route", "Outbound routes: prefix → trunks in order."),
    "cdr": LazyCommand(
        _TELEPHONY,
        "cdr",
        "Call detail records.",
        extras=("centrex.cli.cdr_show",),  # cdr show
    ),
    "registrations": LazyCommand(
        "centrex.cli.registrations",
        "registrations",
        "List a tenant's registered devices (expired bindings are not shown).",
    ),
    "rates": LazyCommand(
        "centrex.cli.billing",
        "rates",
        "Rate decks: import carrier and retail prices, quote a call.",
    ),
    "billing": LazyCommand(
        "centrex.cli.billing",
        "billing",
        "Contract clauses and rating: SLA credits, termination fees, rating CDRs.",
        extras=("centrex.cli.billing_prepaid:COMMANDS",),  # prepaid, top-up, balance
    ),
    "token": LazyCommand(_TOKENS, "token", "API tokens (sent as 'Authorization: Bearer TOKEN')."),
    "admin": LazyCommand(_TOKENS, "admin", "Portal logins of platform admins and partner staff."),
    "serve": LazyCommand(
        "centrex.cli.serve", "serve", "Run Centrex (SIP, media, API, portal) until Ctrl-C."
    ),
    "demo": LazyCommand(
        "centrex.cli.serve",
        "demo",
        "Create (or reuse) a demo tenant with three extensions, print what a phone needs, serve.",
    ),
    "demo-invoice": LazyCommand(
        "centrex.cli.billing_demo",
        "demo_invoice",
        "Print a sample invoice of the demo tenant (plan, a month of rated calls, preview).",
    ),
}


def load_command(name: str) -> click.Command:
    """Import the module of a top-level command (and the modules extending it) and return it."""
    entry = COMMANDS[name]
    command: object = getattr(importlib.import_module(entry.module), entry.attribute)
    assert isinstance(command, click.Command)
    for extra in entry.extras:
        module_name, _, sequence = extra.partition(":")
        module = importlib.import_module(module_name)
        if sequence:
            assert isinstance(command, click.Group)
            for sub in getattr(module, sequence):
                if sub.name not in command.commands:
                    command.add_command(sub)
    return command


class LazyGroup(click.Group):
    """A group whose commands come from `COMMANDS`, imported on first use.

    The listing of `centrex --help` is written from the table (same layout and truncation as
    click's own `format_commands`), so it imports nothing.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            # A stand-in built from the table gives the short help click would compute.
            command = self.commands.get(name) or click.Command(name, help=COMMANDS[name].help)
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="centrex")
def cli() -> None:
    """Centrex: multi-tenant hosted telephony (PBX, contact center, billing)."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="centrex")
