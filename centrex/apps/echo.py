"""Echo test (feature code *43): the caller hears what they said, to check their audio path.

Why record-then-play instead of a live loopback: it needs nothing but the app channel (answer,
play, record), it shows one-way audio and delay problems just as well, and it also exercises
the recorder. Each round: tone, record up to `seconds` (or until "#"), play it back.
"""

from __future__ import annotations

from pathlib import Path

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.common import goodbye, new_work_file
from centrex.apps.prompts import PromptLibrary
from centrex.media.audio_files import discard
from centrex.media.tones import beep


class EchoTest:
    def __init__(self, prompts: PromptLibrary, work_dir: Path) -> None:
        self.prompts = prompts
        self.work_dir = work_dir

    async def run(
        self, channel: AppChannel, *, language: str, rounds: int = 3, seconds: float = 10.0
    ) -> int:
        """Run the test; returns how many rounds were played back."""
        done = 0
        try:
            await channel.answer()
            await channel.play(await self.prompts.get("echo.intro", language))
            for _ in range(rounds):
                path = new_work_file(self.work_dir)
                try:
                    await channel.play(beep())
                    recorded = await channel.record(path, max_seconds=seconds)
                    if recorded > 0:
                        await channel.play(path)
                        done += 1
                finally:
                    discard(path)
        except ChannelClosed:
            return done
        await goodbye(channel, self.prompts, language)
        return done
