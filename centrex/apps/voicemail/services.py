"""What the voicemail app needs from the rest of Centrex, passed in by `server.py`, and the
notifications that follow a new message (e-mail with the audio attached, MWI).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from centrex.apps.mail import Mailer, new_message
from centrex.apps.mwi import MwiHook
from centrex.apps.prompts import PromptLibrary
from centrex.clock import Clock
from centrex.data.db import Database
from centrex.data.models import AttachmentFormat, Tenant, VoicemailBox, VoicemailMessage
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.media.audio_files import encode_mp3
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import MediaStore

log = logging.getLogger(__name__)

_SUBJECT = {
    "de": "Neue Sprachnachricht von {caller} ({duration} s)",
    "fr": "Nouveau message vocal de {caller} ({duration} s)",
    "en": "New voicemail from {caller} ({duration} s)",
    "it": "Nuovo messaggio vocale da {caller} ({duration} s)",
}
_BODY = {
    "de": "{caller} hat am {when} eine Nachricht von {duration} Sekunden für {extension} "
    "hinterlassen. Die Aufnahme ist angehängt.",
    "fr": "{caller} a laissé le {when} un message de {duration} secondes pour le {extension}. "
    "L'enregistrement est joint.",
    "en": "{caller} left a message of {duration} seconds for extension {extension} on {when}. "
    "The recording is attached.",
    "it": "{caller} ha lasciato il {when} un messaggio di {duration} secondi per l'interno "
    "{extension}. La registrazione è allegata.",
}


@dataclass
class VoicemailServices:
    """Dependencies of the voicemail apps (built once by the server, shared by all calls)."""

    database: Database
    store: MediaStore
    prompts: PromptLibrary
    mailer: Mailer
    mwi: MwiHook
    clock: Clock
    work_dir: Path

    @asynccontextmanager
    async def scope(self, tenant_id: int) -> AsyncIterator[tuple[TenantScope, Tenant]]:
        """A committed-on-success transaction scoped to one tenant."""
        async with self.database.transaction() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                raise NotFound(f"tenant {tenant_id} not found", error_id="tenant-not-found")
            yield TenantScope(session, tenant.id, tenant.domain), tenant

    async def mwi_body(self, tenant_id: int, extension: str) -> str | None:
        """The current message summary of the extension's mailbox (None: it has none), for a
        phone's message-summary SUBSCRIBE (`calls.features.blf.MailboxSummaries`)."""
        async with self.scope(tenant_id) as (scope, _tenant):
            return await vm.mwi_body(scope, extension)

    async def notify_mwi(self, tenant_id: int, extension: str) -> None:
        """Send the current message summary to the extension's phones (via the call layer)."""
        async with self.scope(tenant_id) as (scope, _tenant):
            body = await vm.mwi_body(scope, extension)
        if body is not None:
            await self.mwi.mailbox_changed(tenant_id, extension, body)


async def attachment_for(
    audio: Path, attachment_format: AttachmentFormat, message_id: int
) -> tuple[bytes, str]:
    """(bytes, file name) of the recording: MP3 when asked and an encoder works, else WAV."""
    if attachment_format is AttachmentFormat.MP3:
        data = await encode_mp3(audio)
        if data is not None:
            return data, f"voicemail-{message_id}.mp3"
        log.warning("MP3 encoding unavailable; sending WAV for message %s", message_id)
    return _read(audio), f"voicemail-{message_id}.wav"


def _read(path: Path) -> bytes:
    return path.read_bytes()


async def send_voicemail_email(
    services: VoicemailServices,
    *,
    tenant: Tenant,
    box: VoicemailBox,
    extension: str,
    recipient: str,
    message: VoicemailMessage,
) -> int | Path:
    """Queue the e-mail for a new message, with the recording attached."""
    language = tenant.language.value
    audio = services.store.resolve(message.path)
    local = message.created_at.astimezone(ZoneInfo(tenant.timezone))
    caller = message.caller_name or message.caller or "?"
    seconds = round(message.duration_ms / 1000)
    data, name = await attachment_for(audio, box.attachment_format, message.id)
    email = new_message(
        sender=f"Centrex Voicemail <voicemail@{tenant.domain}>",
        recipient=recipient,
        subject=_SUBJECT[language].format(caller=caller, duration=seconds),
        body=_BODY[language].format(
            caller=caller,
            duration=seconds,
            extension=extension,
            when=local.strftime("%Y-%m-%d %H:%M"),
        ),
        now=services.clock.utcnow(),
    )
    subtype = "mpeg" if name.endswith(".mp3") else "wav"
    email.add_attachment(data, maintype="audio", subtype=subtype, filename=name)
    return await services.mailer.submit(tenant.id, email)
