"""The caller side of the voicemail: greeting, tone, message, then e-mail and MWI.

Entry point for the call layer: `VoicemailApp.leave_message(channel, tenant_id=..., extension=
..., caller=..., reason=GreetingKind.NO_ANSWER)` after answering is decided (the app answers).
The order matters for "never lost": the recording is stored (file + row, committed) before any
notification; the e-mail goes to the outbox (retried until delivered), the MWI hook is told last.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.common import goodbye, record_after_tone, say
from centrex.apps.voicemail.services import VoicemailServices, send_voicemail_email
from centrex.data.models import GreetingKind
from centrex.errors import CentrexError, NotFound
from centrex.media.audio_files import discard
from centrex.provisioning import media_files
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import QuotaExceeded

log = logging.getLogger(__name__)

MIN_MESSAGE_BYTES = 16_000  # one second of 8 kHz 16-bit audio


@dataclass(frozen=True, slots=True)
class DepositResult:
    """What happened: `message_id` when a message was kept, else `outcome` says why not."""

    outcome: str  # "stored", "no-mailbox", "mailbox-full", "quota", "empty", "hung-up"
    message_id: int | None = None


class VoicemailApp:
    """Lets a caller leave a message in an extension's mailbox."""

    def __init__(self, services: VoicemailServices) -> None:
        self.services = services

    async def leave_message(
        self,
        channel: AppChannel,
        *,
        tenant_id: int,
        extension: str,
        caller: str,
        caller_name: str = "",
        reason: GreetingKind = GreetingKind.NO_ANSWER,
        language: str | None = None,
    ) -> DepositResult:
        s = self.services
        async with s.scope(tenant_id) as (scope, tenant):
            lang = language or tenant.language.value
            box = await vm.mailbox_for_extension(scope, extension)
            refusal: str | None = None
            greeting = None
            max_seconds = 0
            if box is None or not box.enabled:
                refusal = "no-mailbox"
            else:
                try:
                    # room for at least one second of audio, else the caller hears "full"
                    await vm.ensure_room(scope, box, MIN_MESSAGE_BYTES)
                except vm.MailboxFull:
                    refusal = "mailbox-full"
                except QuotaExceeded:
                    refusal = "quota"
                greeting = await media_files.greeting_file(scope, s.store, box.id, reason)
                max_seconds = box.max_message_seconds
        try:
            await channel.answer()
            if refusal is not None:
                key = "vm.mailbox_unavailable" if refusal == "no-mailbox" else "vm.mailbox_full"
                await say(channel, s.prompts, [key], lang)
                await goodbye(channel, s.prompts, lang)
                return DepositResult(refusal)
            if greeting is not None:
                await channel.play(greeting)
            else:
                default = (
                    "vm.greeting_busy" if reason is GreetingKind.BUSY else "vm.greeting_default"
                )
                await say(channel, s.prompts, [default], lang)
            await say(channel, s.prompts, ["vm.leave_message"], lang)
            recorded = await record_after_tone(channel, s.work_dir, max_seconds)
        except ChannelClosed:
            return DepositResult("hung-up")
        if recorded is None:
            await goodbye(channel, s.prompts, lang)
            return DepositResult("empty")
        try:
            async with s.scope(tenant_id) as (scope, tenant):
                box = await vm.mailbox_for_extension(scope, extension)
                if box is None:
                    raise NotFound("mailbox vanished", error_id="mailbox-not-found")
                message = await vm.deposit_message(
                    scope,
                    s.store,
                    box,
                    recorded,
                    caller=caller,
                    caller_name=caller_name,
                    now=s.clock.utcnow(),
                )
                ext = await vm.mailbox_extension(scope, box)
                email = ext.email if box.email_enabled else None
        except CentrexError as exc:
            discard(recorded)
            log.warning("voicemail for %s not kept: %s", extension, exc.message)
            with contextlib.suppress(ChannelClosed):
                await say(channel, s.prompts, ["vm.mailbox_full"], lang)
            await goodbye(channel, s.prompts, lang)
            return DepositResult("mailbox-full" if isinstance(exc, vm.MailboxFull) else "quota")
        await goodbye(channel, s.prompts, lang)
        # The message is stored; a failing notification is logged and must not end the app.
        if email:
            try:
                await send_voicemail_email(
                    s, tenant=tenant, box=box, extension=extension, recipient=email, message=message
                )
            except Exception:
                log.exception("voicemail e-mail for message %s could not be queued", message.id)
        try:
            await s.notify_mwi(tenant_id, extension)
        except Exception:
            log.exception("MWI for %s@%s failed", extension, tenant.domain)
        return DepositResult("stored", message.id)
