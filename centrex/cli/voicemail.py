"""`centrex voicemail list|create|update|reset-pin`: the mailboxes of a tenant's extensions.

Every extension gets a mailbox when it is created (unless `--no-voicemail`), with a generated
PIN shown once. These commands look a mailbox up by its extension number within `--tenant`, so
another tenant's extension is simply not found. A PIN is printed only by the command that set
it (`create`, `reset-pin`); only its Argon2id hash is stored. The mailbox has no e-mail address
of its own: messages go to the extension's (`--email` here changes that address).
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.data.models import AttachmentFormat, Extension, VoicemailBox
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import voicemail as voicemail_service
from centrex.provisioning.logins import _check_email
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
ON_OFF = click.Choice(["on", "off"])
COLUMNS = [
    "extension",
    "enabled",
    "email",
    "email_enabled",
    "attachment_format",
    "new_messages",
    "old_messages",
]


def _on(value: str | None) -> bool | None:
    return None if value is None else value == "on"


async def _view(scope: TenantScope, box: VoicemailBox, ext: Extension) -> dict[str, Any]:
    """The API's mailbox view plus what an administrator checks first: address and counts."""
    counts = await voicemail_service.summary(scope, box)
    view = voicemail_service.mailbox_view(box, ext.number)
    view.update(
        tenant=scope.domain,
        email=ext.email,
        new_messages=counts.new,
        old_messages=counts.old,
    )
    return view


async def _mailbox(scope: TenantScope, number: str) -> tuple[Extension, VoicemailBox]:
    """The extension `number` of this tenant and its mailbox (NotFound when either is missing)."""
    ext = await extension_service.get_extension(scope, number)
    box = await scope.first(VoicemailBox, VoicemailBox.extension_id == ext.id)
    if box is None:
        raise NotFound(
            f"extension {number} in {scope.domain} has no voicemail box "
            "(create one with: centrex voicemail create)",
            error_id="mailbox-not-found",
        )
    return ext, box


@click.group()
def voicemail() -> None:
    """Voicemail boxes of a tenant's extensions."""


@voicemail.command("list")
@tenant_option
@click.option("--extension", "number", help="Only the mailbox of this extension.")
@json_option
@pass_state
def voicemail_list(state: CliState, domain: str, number: str | None, as_json: bool) -> None:
    """List a tenant's mailboxes, ordered by extension number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        if number is not None:
            ext = await extension_service.get_extension(scope, number)
            extensions = {ext.id: ext}
        else:
            extensions = {e.id: e for e in await extension_service.list_extensions(scope)}
        boxes = [
            box
            for box in await voicemail_service.list_mailboxes(scope)
            if box.extension_id in extensions
        ]
        boxes.sort(key=lambda box: extensions[box.extension_id].number)
        return listing([await _view(scope, box, extensions[box.extension_id]) for box in boxes])

    emit(read_db(state, work), as_json, COLUMNS)


@voicemail.command("create")
@tenant_option
@click.option("--extension", "number", required=True)
@json_option
@pass_state
def voicemail_create(state: CliState, domain: str, number: str, as_json: bool) -> None:
    """Give an extension created with --no-voicemail a mailbox; prints its PIN once."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        ext = await extension_service.get_extension(scope, number)
        pin = voicemail_service.generate_pin()
        box = await voicemail_service.create_mailbox(scope, extension=ext.number, pin=pin)
        view = await _view(scope, box, ext)
        view["voicemail_pin"] = pin
        return view

    emit(write_db(state, work), as_json)


@voicemail.command("update")
@tenant_option
@click.option("--extension", "number", required=True)
@click.option("--email", help="Where messages are mailed: the extension's address ('' clears).")
@click.option("--email-enabled", type=ON_OFF, help="Mail each message, audio attached.")
@click.option(
    "--attachment-format",
    type=click.Choice([f.value for f in AttachmentFormat]),
    help="Audio format of the attachment.",
)
@click.option("--enabled", type=ON_OFF, help="off: callers hear that the mailbox is unavailable.")
@click.option("--max-message-seconds", type=int, help="Longest message, 10 to 900 seconds.")
@click.option("--max-messages", type=int, help="Messages the mailbox holds, 1 to 1000.")
@json_option
@pass_state
def voicemail_update(
    state: CliState,
    domain: str,
    number: str,
    email: str | None,
    email_enabled: str | None,
    attachment_format: str | None,
    enabled: str | None,
    max_message_seconds: int | None,
    max_messages: int | None,
    as_json: bool,
) -> None:
    """Change a mailbox (options left out stay as they are)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        ext, box = await _mailbox(scope, number)
        address = _check_email(email) if email else email  # the portal's rule for addresses
        box = await voicemail_service.update_mailbox(
            scope,
            box.id,
            enabled=_on(enabled),
            email_enabled=_on(email_enabled),
            attachment_format=AttachmentFormat(attachment_format) if attachment_format else None,
            max_message_seconds=max_message_seconds,
            max_messages=max_messages,
        )
        if address is not None:
            await extension_service.update_extension(scope, ext, email=address)
        return await _view(scope, box, ext)

    emit(write_db(state, work), as_json)


@voicemail.command("reset-pin")
@tenant_option
@click.option("--extension", "number", required=True)
@json_option
@pass_state
def voicemail_reset_pin(state: CliState, domain: str, number: str, as_json: bool) -> None:
    """Give a mailbox a new generated PIN and print it once (the old one stops working)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        ext, box = await _mailbox(scope, number)
        pin = await voicemail_service.reset_pin(scope, box.id)
        return {
            "id": box.id,
            "tenant": scope.domain,
            "extension": ext.number,
            "voicemail_pin": pin,
        }

    emit(write_db(state, work), as_json)
