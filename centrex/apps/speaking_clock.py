"""Speaking clock: says the current time in the tenant's language and time zone.

The time is passed in (`now`, aware); the local wall-clock time comes from zoneinfo so the
clock is right on both sides of a daylight-saving change.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.common import goodbye, say
from centrex.apps.prompts import PromptLibrary, clock_phrase


def clock_keys(now: datetime, timezone: str, language: str) -> list[str]:
    """The prompt keys that say `now` in `timezone` (pure)."""
    local = now.astimezone(ZoneInfo(timezone))
    return clock_phrase(language, local.hour, local.minute)


class SpeakingClock:
    def __init__(self, prompts: PromptLibrary) -> None:
        self.prompts = prompts

    async def run(
        self, channel: AppChannel, *, now: datetime, timezone: str, language: str
    ) -> list[str]:
        """Answer, say the time, say goodbye; returns the keys spoken."""
        keys = clock_keys(now, timezone, language)
        try:
            await channel.answer()
            await say(channel, self.prompts, keys, language)
        except ChannelClosed:
            return keys
        await goodbye(channel, self.prompts, language)
        return keys
