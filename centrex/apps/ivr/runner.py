"""Runs a call flow on a live channel: the interpreter's instructions, answered with audio.

Entry point for the call layer: `FlowRunner(prompts, transfer).run(channel, flow, now=...,
language=..., media=...)`. The runner answers the call, plays prompts (a menu prompt can be
interrupted by a key press, which then counts as the choice: type-ahead), collects digits and,
at the end, either hangs up or calls the `TransferHandler` the call layer gave it; a transfer to
"voicemail" is a transfer like any other (the call layer hands the call to `VoicemailApp`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Protocol

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.ivr.engine import Ask, Done, Hangup, Say, Transfer, execute
from centrex.apps.prompts import PromptLibrary
from centrex.errors import NotFound
from centrex.provisioning.flow_graph import Flow, PromptRef, TransferTarget


class TransferHandler(Protocol):
    """Implemented by the call layer: take the call to `target` (the flow is over)."""

    async def __call__(
        self, channel: AppChannel, target: TransferTarget, language: str
    ) -> None: ...


class FlowRunner:
    """Executes flows; one instance serves every call."""

    def __init__(self, prompts: PromptLibrary, transfer: TransferHandler) -> None:
        self.prompts = prompts
        self.transfer = transfer

    async def resolve(self, ref: PromptRef, language: str, media: Mapping[int, Path]) -> Path:
        """The file for a prompt reference: catalog key, tenant media, or TTS text."""
        if ref.key is not None:
            return await self.prompts.get(ref.key, language)
        if ref.media is not None:
            if ref.media not in media:
                raise NotFound(f"media file {ref.media} not found", error_id="media-not-found")
            return media[ref.media]
        return await self.prompts.speak(ref.text_for(language), language)

    async def run(
        self,
        channel: AppChannel,
        flow: Flow,
        *,
        now: datetime,
        language: str,
        media: Mapping[int, Path] | None = None,
    ) -> Done:
        """Run `flow` to its end; returns the final instruction (path, action, language)."""
        files = media or {}
        program = execute(flow, now=now, language=language)
        instruction = next(program)
        try:
            await channel.answer()
            while not isinstance(instruction, Done):
                if isinstance(instruction, Say):
                    for ref in instruction.prompts:
                        await channel.play(await self.resolve(ref, instruction.language, files))
                    instruction = program.send(None)
                else:
                    instruction = program.send(await self._ask(channel, instruction, files))
        except ChannelClosed:
            program.close()
            return Done(Hangup("caller"), (), language)
        program.close()
        if isinstance(instruction.action, Transfer):
            await self.transfer(channel, instruction.action.target, instruction.language)
        else:
            with contextlib.suppress(ChannelClosed):
                await channel.hangup()
        return instruction

    async def _ask(self, channel: AppChannel, ask: Ask, files: Mapping[int, Path]) -> str:
        if ask.prompt is not None:
            await channel.play(
                await self.resolve(ask.prompt, ask.language, files), interrupt_on_digit=True
            )
        return await channel.collect_digits(
            ask.max_digits,
            digit_timeout=min(ask.timeout_seconds, 3.0),
            first_digit_timeout=ask.timeout_seconds,
            terminators=ask.terminator if ask.max_digits > 1 else "",
        )
