"""The small channel interface the applications in this package are written against.

Why a Protocol here: apps must not know SIP or RTP; they see a call only as "something that can
answer, play, record, collect digits and hang up" (DESIGN.md §4.6). `centrex.media.channel.Channel`
is the real implementation and matches this protocol structurally; tests drive the apps with a
fake. The signatures are exactly the media channel's, so either fits without adapters.

Contract the apps rely on (as implemented by the media channel):
- `play` returns True when the audio played out, False when cut short (barge-in or hang-up).
- `record` writes a telephone WAV (8 kHz 16-bit mono) to `path`, stops at `max_seconds`, on a
  terminator key or when the caller hangs up, and returns the recorded seconds. Silence is
  handled by the app afterwards (`centrex.apps.silence`): trailing silence is trimmed and a
  message with nothing in it is discarded.
- `collect_digits` returns the digits pressed, without the terminator, "" on timeout.
- Any operation on a call that has hung up raises `ChannelClosed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from centrex.media.channel import ChannelClosed
from centrex.media.player import AudioSource

__all__ = ["AppChannel", "AudioSource", "ChannelClosed"]


class AppChannel(Protocol):
    """What an application may do with its call."""

    async def answer(self) -> None: ...

    async def play(
        self,
        source: AudioSource,
        *,
        max_seconds: float | None = None,
        interrupt_on_digit: bool = False,
    ) -> bool: ...

    async def record(
        self, path: str | Path, *, max_seconds: float = 120.0, terminators: str = "#"
    ) -> float: ...

    async def collect_digits(
        self,
        max_digits: int = 20,
        *,
        digit_timeout: float = 5.0,
        first_digit_timeout: float | None = None,
        terminators: str = "#",
    ) -> str: ...

    async def hangup(self) -> None: ...
