"""Small steps shared by the apps: say prompts, goodbye, record after the tone, clean up."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from pathlib import Path

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.prompts import PromptLibrary
from centrex.apps.silence import is_silent, trim_trailing_silence
from centrex.media.audio import AudioFormatError, read_wav, write_wav
from centrex.media.audio_files import discard
from centrex.media.tones import beep

MIN_MESSAGE_MS = 1000


async def say(
    channel: AppChannel, prompts: PromptLibrary, keys: Sequence[str], language: str
) -> None:
    """Play catalog prompts one after the other."""
    for path in await prompts.sequence(keys, language):
        await channel.play(path)


async def goodbye(channel: AppChannel, prompts: PromptLibrary, language: str) -> None:
    """Say goodbye and hang up; a caller who already left is fine."""
    with contextlib.suppress(ChannelClosed):
        await say(channel, prompts, ["common.goodbye"], language)
    with contextlib.suppress(ChannelClosed):
        await channel.hangup()


async def record_after_tone(channel: AppChannel, work_dir: Path, max_seconds: float) -> Path | None:
    """Beep, record, then clean the recording; None when nothing usable was said.

    Silence handling happens here (pure helpers of `centrex.apps.silence`): trailing silence
    is trimmed, and a recording that is silent or shorter than a second is discarded.
    """
    path = new_work_file(work_dir)
    await channel.play(beep())
    await channel.record(path, max_seconds=max_seconds)
    if clean_recording(path) < MIN_MESSAGE_MS:
        discard(path)
        return None
    return path


def new_work_file(work_dir: Path) -> Path:
    """A fresh temporary file name for a recording in progress."""
    work_dir.mkdir(parents=True, exist_ok=True)
    return work_dir / f"rec-{secrets.token_hex(8)}.wav"


def clean_recording(path: Path) -> int:
    """Trim trailing silence in place; returns the remaining milliseconds (0: nothing said)."""
    try:
        pcm = read_wav(path)
    except (AudioFormatError, OSError):
        return 0
    trimmed = trim_trailing_silence(pcm)
    if not trimmed or is_silent(trimmed):
        return 0
    if len(trimmed) != len(pcm):
        write_wav(path, trimmed)
    return len(trimmed) * 1000 // (2 * 8000)
