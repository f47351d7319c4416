"""The `centrex` command line. Each group lives in its own module; `main` assembles them."""

from __future__ import annotations

import click

from centrex import __version__
from centrex.cli import campaign_insights as _campaign_insights  # noqa: F401  (campaign explain|simulate)
from centrex.cli import cdr_show as _cdr_show  # noqa: F401  (registers `cdr show`)
from centrex.cli.billing import billing, rates
from centrex.cli.billing_demo import demo_invoice
from centrex.cli.callbacks import callback
from centrex.cli.caller_id import caller_id
from centrex.cli.campaigns import campaign
from centrex.cli.conferences import conference
from centrex.cli.dispositions import disposition
from centrex.cli.dnc import dnc
from centrex.cli.feature_codes import feature_code, short_number
from centrex.cli.forwarding import COMMANDS as FORWARDING_COMMANDS
from centrex.cli.leads import lead
from centrex.cli.queues import queue
from centrex.cli.registrations import registrations
from centrex.cli.ring_groups import ring_group
from centrex.cli.screening import allowlist, blocklist
from centrex.cli.serve import demo, serve
from centrex.cli.telephony import cdr, extension, number, route, trunk
from centrex.cli.tenants import db, partner, tenant
from centrex.cli.tokens import admin, token
from centrex.cli.users import user
from centrex.cli.voicemail import voicemail


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="centrex")
def cli() -> None:
    """Centrex: multi-tenant hosted telephony (PBX, contact center, billing)."""


for command in (
    db,
    partner,
    tenant,
    user,
    extension,
    voicemail,
    queue,
    ring_group,
    conference,
    campaign,
    lead,
    dnc,
    disposition,
    callback,
    blocklist,
    allowlist,
    feature_code,
    short_number,
    caller_id,
    number,
    trunk,
    route,
    cdr,
    registrations,
    rates,
    billing,
    token,
    admin,
    serve,
    demo,
    demo_invoice,
):
    cli.add_command(command)
for command in FORWARDING_COMMANDS:  # extension forward, extension dnd
    extension.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="centrex")
