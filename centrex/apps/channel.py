"""The small channel interface the applications in this package are written against.

Why define it here: apps must not know SIP or RTP; they see a call only as "something that can
answer, play, record, collect digits and hang up" (DESIGN.md §4.6). `centrex.media.channel`
provides the real implementation; tests drive the apps with a fake. Being a `typing.Protocol`,
any object with these methods fits, without inheriting from anything.

Contract the apps rely on:
- `play` returns when the audio has been played (or at once when the call is gone).
- `record` writes a telephone WAV (8 kHz 16-bit mono) to `path`, stops at `max_seconds`, after
  `silence_seconds` of silence (see `centrex.apps.silence`), on "#", or when the caller hangs
  up, and returns the recorded duration in seconds (the file exists, possibly empty).
- `collect_digits` returns the digits pressed, without the terminator, "" on timeout or when
  the call is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

PlaySource = Path | Iterable[bytes]


class AppChannel(Protocol):
    """What an application may do with its call."""

    async def answer(self) -> None: ...

    async def play(self, source: PlaySource) -> None:
        """Play a WAV file or an iterable of 20 ms pcm16 frames."""
        ...

    async def record(
        self, path: Path, *, max_seconds: float, silence_seconds: float | None = None
    ) -> float: ...

    async def collect_digits(
        self,
        max_digits: int,
        *,
        timeout: float,  # noqa: ASYNC109 - the wait for the first key is part of the contract
        terminator: str | None = "#",
    ) -> str: ...

    async def hangup(self) -> None: ...
