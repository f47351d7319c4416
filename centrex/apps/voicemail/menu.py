"""The owner's voicemail menu (reached by a feature code such as *97, or *98 for any mailbox).

    PIN (3 tries) → "you have N new messages" → main menu
      1 listen: each message (new ones first), then 1 replay, 7 delete, 9 save, # next
      2 greetings: 1 busy, 2 no answer, 3 unavailable → record after the tone; * back
      # (or silence twice) goodbye

Entry point for the call layer: `VoicemailMenu.run(channel, tenant_id=..., extension=...)`;
with `extension=None` the caller is asked for the mailbox number first. An unknown mailbox still
asks for the PIN and fails like a wrong PIN, so the menu does not reveal which mailboxes exist.
Menu keys are collected one at a time without a terminator, so "#" and "*" arrive as keys.
"""

from __future__ import annotations

import logging

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.common import goodbye, record_after_tone, say
from centrex.apps.prompts import new_messages_phrase
from centrex.apps.voicemail.services import VoicemailServices
from centrex.data.models import GreetingKind, VoicemailMessage
from centrex.provisioning import media_files
from centrex.provisioning import voicemail as vm

log = logging.getLogger(__name__)

PIN_ATTEMPTS = 3
KEY_TIMEOUT_S = 8.0
GREETING_MAX_S = 120.0
GREETING_KEYS = {"1": GreetingKind.BUSY, "2": GreetingKind.NO_ANSWER, "3": GreetingKind.UNAVAILABLE}


class VoicemailMenu:
    """Lets a mailbox owner listen to, save and delete messages and record greetings."""

    def __init__(self, services: VoicemailServices) -> None:
        self.services = services

    async def _key(self, channel: AppChannel) -> str:
        return await channel.collect_digits(
            1, digit_timeout=KEY_TIMEOUT_S, first_digit_timeout=KEY_TIMEOUT_S, terminators=""
        )

    async def run(
        self,
        channel: AppChannel,
        *,
        tenant_id: int,
        extension: str | None,
        language: str | None = None,
    ) -> bool:
        """Run the menu until the owner leaves; True when the PIN was accepted."""
        s = self.services
        async with s.scope(tenant_id) as (_scope, tenant):
            lang = language or tenant.language.value
        try:
            await channel.answer()
            mailbox_id = await self._login(channel, tenant_id, extension, lang)
            if mailbox_id is None:
                await goodbye(channel, s.prompts, lang)
                return False
            await self._main(channel, tenant_id, mailbox_id, lang)
        except ChannelClosed:
            return True
        await goodbye(channel, s.prompts, lang)
        return True

    async def _login(
        self, channel: AppChannel, tenant_id: int, extension: str | None, lang: str
    ) -> int | None:
        s = self.services
        if extension is None:
            await say(channel, s.prompts, ["vm.enter_mailbox"], lang)
            extension = await channel.collect_digits(
                10, digit_timeout=KEY_TIMEOUT_S, first_digit_timeout=KEY_TIMEOUT_S
            )
        for _attempt in range(PIN_ATTEMPTS):
            await say(channel, s.prompts, ["vm.enter_pin"], lang)
            pin = await channel.collect_digits(
                10, digit_timeout=KEY_TIMEOUT_S, first_digit_timeout=KEY_TIMEOUT_S
            )
            async with s.scope(tenant_id) as (scope, _tenant):
                box = await vm.mailbox_for_extension(scope, extension) if extension else None
                if box is not None and vm.verify_pin(box, pin):
                    return box.id
            await say(channel, s.prompts, ["vm.wrong_pin"], lang)
        return None

    async def _messages(self, tenant_id: int, mailbox_id: int) -> list[VoicemailMessage]:
        async with self.services.scope(tenant_id) as (scope, _tenant):
            page = await vm.list_messages(scope, mailbox_id)
        return sorted(page.items, key=lambda m: (m.heard, m.id))

    async def _main(self, channel: AppChannel, tenant_id: int, mailbox_id: int, lang: str) -> None:
        s = self.services
        messages = await self._messages(tenant_id, mailbox_id)
        new = sum(1 for m in messages if not m.heard)
        await say(channel, s.prompts, new_messages_phrase(new), lang)
        silent_rounds = 0
        while silent_rounds < 2:
            await say(channel, s.prompts, ["vm.main_menu"], lang)
            key = await self._key(channel)
            silent_rounds = silent_rounds + 1 if key == "" else 0
            if key == "1":
                await self._listen(channel, tenant_id, mailbox_id, lang)
            elif key == "2":
                await self._greetings(channel, tenant_id, mailbox_id, lang)
            elif key == "#":
                return
            elif key:
                await say(channel, s.prompts, ["common.invalid"], lang)

    async def _listen(
        self, channel: AppChannel, tenant_id: int, mailbox_id: int, lang: str
    ) -> None:
        s = self.services
        for message in await self._messages(tenant_id, mailbox_id):
            while True:
                await channel.play(s.store.resolve(message.path))
                if not message.heard:
                    await self._change(tenant_id, mailbox_id, message.id, heard=True)
                    message.heard = True
                await say(channel, s.prompts, ["vm.message_menu"], lang)
                key = await self._key(channel)
                if key == "1":
                    continue
                if key == "7":
                    await self._change(tenant_id, mailbox_id, message.id, delete=True)
                    await say(channel, s.prompts, ["vm.message_deleted"], lang)
                elif key == "9":
                    await self._change(tenant_id, mailbox_id, message.id, saved=True)
                    await say(channel, s.prompts, ["vm.message_saved"], lang)
                break
        await say(channel, s.prompts, ["vm.no_more_messages"], lang)

    async def _change(
        self,
        tenant_id: int,
        mailbox_id: int,
        message_id: int,
        *,
        heard: bool | None = None,
        saved: bool | None = None,
        delete: bool = False,
    ) -> None:
        s = self.services
        async with s.scope(tenant_id) as (scope, _tenant):
            box = await vm.get_mailbox(scope, mailbox_id)
            if delete:
                await vm.delete_message(scope, s.store, message_id)
            else:
                await vm.update_message(scope, message_id, heard=heard, saved=saved)
            extension = (await vm.mailbox_extension(scope, box)).number
        try:
            await s.notify_mwi(tenant_id, extension)
        except Exception:  # MWI is a courtesy: the owner's menu goes on without it
            log.exception("MWI for mailbox %s failed", mailbox_id)

    async def _greetings(
        self, channel: AppChannel, tenant_id: int, mailbox_id: int, lang: str
    ) -> None:
        s = self.services
        while True:
            await say(channel, s.prompts, ["vm.greeting_menu"], lang)
            key = await self._key(channel)
            if key in ("*", ""):
                return
            kind = GREETING_KEYS.get(key)
            if kind is None:
                await say(channel, s.prompts, ["common.invalid"], lang)
                continue
            await say(channel, s.prompts, ["vm.record_greeting"], lang)
            recorded = await record_after_tone(channel, s.work_dir, GREETING_MAX_S)
            if recorded is None:
                continue
            async with s.scope(tenant_id) as (scope, _tenant):
                box = await vm.get_mailbox(scope, mailbox_id)
                await media_files.store_recorded_greeting(scope, s.store, box, kind, recorded)
            await say(channel, s.prompts, ["vm.greeting_saved"], lang)
