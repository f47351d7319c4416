"""Voicemail boxes and messages (tenant-scoped): create, PIN, deposit, list, play, delete.

The PIN is hashed with Argon2id like portal passwords (a 4-digit PIN is weak on its own; the
hash keeps it from being read back from a database dump). Every extension gets a mailbox when it
is created (`provisioning.extensions.create_extension`), with a generated 6-digit PIN that is
shown once, like a generated SIP password, and never stored in clear.

A message is deposited as a file the recorder already wrote: it is moved under the tenant's
folder, counted against the mailbox limit and the tenant's storage quota, and only then gets its
row, so a refused message leaves nothing.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from centrex.data.models import (
    AttachmentFormat,
    Extension,
    MediaFile,
    VoicemailBox,
    VoicemailMessage,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError, Conflict, NotFound, ValidationFailed
from centrex.media.audio_files import wav_info
from centrex.provisioning.passwords import hash_password, verify_password
from centrex.provisioning.storage import MediaStore, check_quota
from centrex.sip.message_summary import MessageSummary, simple_message_summary

PIN = re.compile(r"[0-9]{4,10}")
GENERATED_PIN_DIGITS = 6


class MailboxFull(CentrexError):
    """The mailbox holds its maximum number of messages."""

    status = 507
    error_id = "mailbox-full"


def _check_pin(pin: str) -> str:
    if not PIN.fullmatch(pin):
        raise ValidationFailed("a PIN has 4 to 10 digits", error_id="weak-pin", field="pin")
    return pin


def generate_pin() -> str:
    """Six random digits from `secrets` (a CSPRNG): the PIN of a mailbox Centrex creates.

    Six rather than the four people choose: the phone menu is the only way in without a token,
    and the hash cannot make a short PIN harder to guess by dialling.
    """
    return f"{secrets.randbelow(10**GENERATED_PIN_DIGITS):0{GENERATED_PIN_DIGITS}d}"


async def create_mailbox(
    scope: TenantScope,
    *,
    extension: str,
    pin: str,
    email_enabled: bool = True,
    attachment_format: AttachmentFormat = AttachmentFormat.WAV,
    max_message_seconds: int = 180,
    max_messages: int = 100,
) -> VoicemailBox:
    """A mailbox for one of the tenant's extensions (NotFound for another tenant's)."""
    ext = await scope.first(Extension, Extension.number == extension)
    if ext is None:
        raise NotFound(f"extension {extension} not found", error_id="extension-not-found")
    if await scope.first(VoicemailBox, VoicemailBox.extension_id == ext.id) is not None:
        raise Conflict(f"extension {extension} already has a mailbox", error_id="mailbox-exists")
    _check_limits(max_message_seconds, max_messages)
    box = scope.add(
        VoicemailBox(
            extension_id=ext.id,
            pin_hash=hash_password(_check_pin(pin)),
            email_enabled=email_enabled,
            attachment_format=attachment_format,
            max_message_seconds=max_message_seconds,
            max_messages=max_messages,
        )
    )
    await scope.session.flush()
    return box


def _check_limits(max_message_seconds: int | None, max_messages: int | None) -> None:
    if max_message_seconds is not None and not 10 <= max_message_seconds <= 900:
        raise ValidationFailed("messages last 10 to 900 seconds", field="max_message_seconds")
    if max_messages is not None and not 1 <= max_messages <= 1000:
        raise ValidationFailed("a mailbox holds 1 to 1000 messages", field="max_messages")


async def list_mailboxes(scope: TenantScope) -> Sequence[VoicemailBox]:
    return await scope.list(VoicemailBox)


async def get_mailbox(scope: TenantScope, mailbox_id: int) -> VoicemailBox:
    box = await scope.first(VoicemailBox, VoicemailBox.id == mailbox_id)
    if box is None:
        raise NotFound(f"mailbox {mailbox_id} not found", error_id="mailbox-not-found")
    return box


async def mailbox_for_extension(scope: TenantScope, extension: str) -> VoicemailBox | None:
    """The mailbox of an extension number, or None."""
    ext = await scope.first(Extension, Extension.number == extension)
    if ext is None:
        return None
    return await scope.first(VoicemailBox, VoicemailBox.extension_id == ext.id)


async def mailbox_extension(scope: TenantScope, box: VoicemailBox) -> Extension:
    return await scope.get(Extension, box.extension_id)


async def update_mailbox(
    scope: TenantScope,
    mailbox_id: int,
    *,
    pin: str | None = None,
    enabled: bool | None = None,
    email_enabled: bool | None = None,
    attachment_format: AttachmentFormat | None = None,
    max_message_seconds: int | None = None,
    max_messages: int | None = None,
) -> VoicemailBox:
    """Change the settings given (None leaves a field as it is)."""
    box = await get_mailbox(scope, mailbox_id)
    _check_limits(max_message_seconds, max_messages)
    if pin is not None:
        box.pin_hash = hash_password(_check_pin(pin))
    if enabled is not None:
        box.enabled = enabled
    if email_enabled is not None:
        box.email_enabled = email_enabled
    if attachment_format is not None:
        box.attachment_format = attachment_format
    if max_message_seconds is not None:
        box.max_message_seconds = max_message_seconds
    if max_messages is not None:
        box.max_messages = max_messages
    await scope.session.flush()
    return box


async def reset_pin(scope: TenantScope, mailbox_id: int) -> str:
    """Give a mailbox a new generated PIN; returns it (the only time it exists in clear)."""
    box = await get_mailbox(scope, mailbox_id)
    pin = generate_pin()
    box.pin_hash = hash_password(pin)
    await scope.session.flush()
    return pin


async def delete_mailbox(scope: TenantScope, store: MediaStore, mailbox_id: int) -> None:
    """Delete a mailbox with its messages and greetings, files included."""
    await remove_mailbox(scope, await get_mailbox(scope, mailbox_id), store)


async def remove_mailbox(scope: TenantScope, box: VoicemailBox, store: MediaStore | None) -> None:
    """Delete `box` with its message and greeting rows; their files too when `store` is given.

    Without a store (a caller that has no data directory at hand) the files stay on disk, as
    they did when the database's ON DELETE CASCADE removed these rows with their extension.
    """
    if box.tenant_id != scope.tenant_id:
        raise NotFound("mailbox not found", error_id="mailbox-not-found")
    if store is not None:
        for message in await scope.list(VoicemailMessage, VoicemailMessage.mailbox_id == box.id):
            store.remove(message.path)
        for media in await scope.list(MediaFile, MediaFile.mailbox_id == box.id):
            store.remove(media.path)
    await scope.delete(VoicemailMessage, VoicemailMessage.mailbox_id == box.id)
    await scope.delete(MediaFile, MediaFile.mailbox_id == box.id)
    await scope.remove(box)
    await scope.session.flush()


def verify_pin(box: VoicemailBox, pin: str) -> bool:
    return bool(pin) and verify_password(box.pin_hash, pin)


async def ensure_room(scope: TenantScope, box: VoicemailBox, extra_bytes: int = 0) -> None:
    """Raise `MailboxFull` or `QuotaExceeded` when no message can be left now."""
    if not box.enabled:
        raise NotFound("mailbox is disabled", error_id="mailbox-not-found")
    count = await scope.count(VoicemailMessage, VoicemailMessage.mailbox_id == box.id)
    if count >= box.max_messages:
        raise MailboxFull(f"mailbox holds its maximum of {box.max_messages} messages")
    await check_quota(scope, extra_bytes)


async def deposit_message(
    scope: TenantScope,
    store: MediaStore,
    box: VoicemailBox,
    recorded: Path,
    *,
    caller: str,
    caller_name: str = "",
    now: datetime,
    urgent: bool = False,
) -> VoicemailMessage:
    """Keep a recorded message: move the file, check room and quota, write the row."""
    if box.tenant_id != scope.tenant_id:
        raise NotFound("mailbox not found", error_id="mailbox-not-found")
    info = wav_info(recorded)
    await ensure_room(scope, box, info.size_bytes)
    relative, absolute = store.new_file(scope.tenant_id, f"voicemail/{box.id}")
    shutil.move(recorded, absolute)
    message = scope.add(
        VoicemailMessage(
            mailbox_id=box.id,
            caller=caller[:100],
            caller_name=caller_name[:200],
            duration_ms=info.duration_ms,
            size_bytes=info.size_bytes,
            path=relative,
            urgent=urgent,
            created_at=now,
        )
    )
    await scope.session.flush()
    return message


@dataclass(frozen=True)
class MessagePage:
    total: int
    items: Sequence[VoicemailMessage]


async def list_messages(
    scope: TenantScope,
    mailbox_id: int,
    *,
    folder: str = "all",
    limit: int | None = None,
    offset: int = 0,
) -> MessagePage:
    """Messages of a mailbox, oldest first; folder "new" (not heard), "old" (heard) or "all"."""
    box = await get_mailbox(scope, mailbox_id)
    where = [VoicemailMessage.mailbox_id == box.id]
    if folder == "new":
        where.append(VoicemailMessage.heard.is_(False))
    elif folder == "old":
        where.append(VoicemailMessage.heard.is_(True))
    elif folder != "all":
        raise ValidationFailed("folder is new, old or all", field="folder")
    total = await scope.count(VoicemailMessage, *where)
    items = await scope.list(
        VoicemailMessage,
        *where,
        order_by=VoicemailMessage.id,
        limit=limit,
        offset=offset,
    )
    return MessagePage(total, items)


async def get_message(scope: TenantScope, message_id: int) -> VoicemailMessage:
    message = await scope.first(VoicemailMessage, VoicemailMessage.id == message_id)
    if message is None:
        raise NotFound(f"message {message_id} not found", error_id="message-not-found")
    return message


async def message_file(scope: TenantScope, store: MediaStore, message_id: int) -> Path:
    """The WAV file of a message (to play on a channel or stream to a browser)."""
    return store.resolve((await get_message(scope, message_id)).path)


async def update_message(
    scope: TenantScope, message_id: int, *, heard: bool | None = None, saved: bool | None = None
) -> VoicemailMessage:
    message = await get_message(scope, message_id)
    if heard is not None:
        message.heard = heard
    if saved is not None:
        message.saved = saved
        if saved:
            message.heard = True
    await scope.session.flush()
    return message


async def delete_message(scope: TenantScope, store: MediaStore, message_id: int) -> None:
    message = await get_message(scope, message_id)
    store.remove(message.path)
    await scope.remove(message)
    await scope.session.flush()


async def summary(
    scope: TenantScope, box: VoicemailBox, account: str | None = None
) -> MessageSummary:
    """New and old message counts (RFC 3842 §5.2 voice-message class)."""
    base = VoicemailMessage.mailbox_id == box.id
    new = await scope.count(VoicemailMessage, base, VoicemailMessage.heard.is_(False))
    old = await scope.count(VoicemailMessage, base, VoicemailMessage.heard.is_(True))
    urgent_new = await scope.count(
        VoicemailMessage, base, VoicemailMessage.heard.is_(False), VoicemailMessage.urgent.is_(True)
    )
    urgent_old = await scope.count(
        VoicemailMessage, base, VoicemailMessage.heard.is_(True), VoicemailMessage.urgent.is_(True)
    )
    return MessageSummary(new, old, urgent_new, urgent_old, account)


async def mwi_body(scope: TenantScope, extension: str) -> str | None:
    """The `application/simple-message-summary` body for an extension's phones (RFC 3842),
    or None when the extension has no mailbox. The call layer calls this on SUBSCRIBE."""
    box = await mailbox_for_extension(scope, extension)
    if box is None:
        return None
    counts = await summary(scope, box, f"sip:{extension}@{scope.domain}")
    return simple_message_summary(counts)


def mailbox_view(box: VoicemailBox, extension: str | None = None) -> dict[str, Any]:
    """JSON view; never the PIN hash."""
    return {
        "id": box.id,
        "extension_id": box.extension_id,
        "extension": extension,
        "enabled": box.enabled,
        "email_enabled": box.email_enabled,
        "attachment_format": box.attachment_format.value,
        "max_message_seconds": box.max_message_seconds,
        "max_messages": box.max_messages,
    }


def message_view(message: VoicemailMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "mailbox_id": message.mailbox_id,
        "caller": message.caller,
        "caller_name": message.caller_name,
        "duration_ms": message.duration_ms,
        "size_bytes": message.size_bytes,
        "heard": message.heard,
        "saved": message.saved,
        "urgent": message.urgent,
        "created_at": message.created_at.isoformat(),
    }
