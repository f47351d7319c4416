"""Prompt files: generated locally with espeak-ng, converted with sox, cached under the data dir.

Why generate instead of shipping recordings: four languages times dozens of sentences and every
number would bloat the package, and nothing may be downloaded at run time. espeak-ng (Debian)
speaks the catalog texts; sox turns its 22 kHz output into telephone WAV (8 kHz, 16-bit, mono).

Cache layout: `<data dir>/prompts/<language>/<key>-<hash>.wav`, where the hash covers the voice,
the speed and the text, so editing a catalog text regenerates that one prompt on its next use
and old files never shadow new wording. Generation runs at most once per file at a time (one
lock per path) and writes atomically, so concurrent calls asking for the same prompt are safe.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from centrex.media.audio_files import discard, is_file, run_tool, to_telephone_wav
from centrex.provisioning.prompt_catalog import (
    CATALOG,
    LANGUAGES,
    VOICES,
    normalise_language,
    number_key,
    prompt_text,
)

log = logging.getLogger(__name__)

SPEED_WPM = 150
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class PromptLibrary:
    """Resolves prompt keys (and free TTS text) to cached telephone WAV files."""

    def __init__(self, cache_dir: Path, *, speed_wpm: int = SPEED_WPM) -> None:
        self.cache_dir = cache_dir
        self.speed_wpm = speed_wpm
        self._locks: dict[Path, asyncio.Lock] = {}

    def _path(self, name: str, language: str, text: str) -> Path:
        voice = VOICES[language]
        digest = hashlib.sha256(f"{voice}\0{self.speed_wpm}\0{text}".encode()).hexdigest()[:12]
        return self.cache_dir / language / f"{_SAFE.sub('_', name)}-{digest}.wav"

    def path_for(self, key: str, language: str) -> Path:
        """Where the prompt `key` in `language` is (or will be) cached."""
        lang = normalise_language(language)
        return self._path(key, lang, prompt_text(key, lang))

    async def get(self, key: str, language: str) -> Path:
        """The WAV file of `key` in `language`, generated on first use."""
        lang = normalise_language(language)
        text = prompt_text(key, lang)
        return await self._ensure(self._path(key, lang, text), text, lang)

    async def warm(self, keys: Iterable[str], languages: Iterable[str] = LANGUAGES) -> int:
        """Generate `keys` in every language ahead of their first use; returns how many files
        were made. Why: prompts that must be heard at once (the recording notice starts with
        the call) cannot wait for espeak-ng and sox on a loaded machine. A failure is logged and
        left to the on-demand path."""
        made = 0
        for language in languages:
            for key in keys:
                try:
                    if is_file(self.path_for(key, language)):
                        continue
                    await self.get(key, language)
                    made += 1
                except Exception:
                    log.exception("prompt %s (%s) not generated ahead of use", key, language)
        return made

    async def speak(self, text: str, language: str) -> Path:
        """A WAV file saying arbitrary `text` (a tenant's TTS prompt), cached by its hash."""
        lang = normalise_language(language)
        return await self._ensure(self._path("tts", lang, text), text, lang)

    async def sequence(self, keys: Sequence[str], language: str) -> list[Path]:
        """Files for several keys, in order (e.g. "you have", "3", "new messages")."""
        return [await self.get(key, language) for key in keys]

    async def _ensure(self, path: Path, text: str, language: str) -> Path:
        if is_file(path):
            return path
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            if not is_file(path):
                await self._generate(path, text, language)
        return path

    async def _generate(self, path: Path, text: str, language: str) -> None:
        """espeak-ng → temporary 22 kHz WAV → sox → telephone WAV at `path`.

        The text goes through stdin, never the command line: tenant texts cannot become options.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = path.with_name(f".{path.stem}.espeak.wav")
        try:
            await run_tool(
                "espeak-ng",
                "-v",
                VOICES[language],
                "-s",
                str(self.speed_wpm),
                "-w",
                str(raw),
                "--stdin",
                stdin=text.encode(),
            )
            await to_telephone_wav(raw, path)
        finally:
            discard(raw)
        log.debug("generated prompt %s", path.name)

    def install_keys(self, numbers: Iterable[int] = range(60)) -> list[str]:
        """The keys generated at install time: every sentence and the numbers 0–59."""
        return [*CATALOG, *(number_key(n) for n in numbers)]

    async def generate_all(
        self, languages: Iterable[str] = LANGUAGES, keys: Iterable[str] | None = None
    ) -> int:
        """Generate (or find cached) every install-time prompt; returns how many files exist."""
        wanted = list(keys) if keys is not None else self.install_keys()
        count = 0
        for language in languages:
            for key in wanted:
                await self.get(key, language)
                count += 1
        return count
