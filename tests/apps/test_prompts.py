"""Prompts: the catalog is complete in four languages, and espeak-ng really generates them."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from centrex.apps.prompts import (
    CATALOG,
    LANGUAGES,
    PromptLibrary,
    clock_phrase,
    is_known_key,
    new_messages_phrase,
    normalise_language,
    prompt_text,
)

REQUIRED = {
    "vm.greeting_default",
    "vm.leave_message",
    "vm.you_have",
    "vm.new_messages",
    "menu.make_choice",
    "common.invalid",
    "common.goodbye",
    "common.recording_notice",
    "vm.mailbox_full",
    "clock.intro",
}


def _read(path: Path) -> tuple[int, int, int, np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), data


def _count_wavs(folder: Path) -> int:
    return len(list(folder.rglob("*.wav")))


def _exists(path: Path) -> bool:
    return path.exists()


def test_catalog_has_every_key_in_every_language() -> None:
    assert set(LANGUAGES) == {"de", "fr", "en", "it"}
    assert set(CATALOG) >= REQUIRED
    for key, texts in CATALOG.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key
    # the four languages really differ
    assert len(set(CATALOG["common.goodbye"].values())) == 4


def test_numbers_and_language_fallback() -> None:
    assert is_known_key("number.42")
    assert not is_known_key("number.10000")
    assert not is_known_key("number.07")
    assert prompt_text("number.42", "de") == "42"
    assert normalise_language("de-CH") == "de"
    assert normalise_language("es") == "en"
    assert prompt_text("common.goodbye", "it") == "Arrivederci."


def test_phrases() -> None:
    assert new_messages_phrase(0) == ["vm.no_new_messages"]
    assert new_messages_phrase(1) == ["vm.you_have", "number.1", "vm.new_message"]
    assert new_messages_phrase(3) == ["vm.you_have", "number.3", "vm.new_messages"]
    assert clock_phrase("de", 14, 5) == ["clock.intro", "number.14", "clock.hours", "number.5"]
    assert clock_phrase("en", 9, 30)[-1] == "clock.minutes"
    assert clock_phrase("fr", 8, 0) == ["clock.intro", "number.8", "clock.hours", "clock.exactly"]
    assert clock_phrase("it", 8, 0) == ["clock.intro", "number.8", "clock.exactly"]
    with pytest.raises(ValueError, match="time of day"):
        clock_phrase("en", 24, 0)


@pytest.mark.parametrize("language", ["de", "fr", "en", "it"])
async def test_espeak_generates_telephone_wav(language: str, prompt_library: PromptLibrary) -> None:
    path = await prompt_library.get("vm.leave_message", language)
    assert path.is_file()
    assert path.parent.name == language
    rate, channels, width, samples = _read(path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert len(samples) > 8000  # more than a second of speech
    assert float(np.sqrt(np.mean(samples.astype(float) ** 2))) > 300  # not silent


async def test_cache_is_reused_and_text_changes_the_file(tmp_path: Path) -> None:
    library = PromptLibrary(tmp_path)
    first = await library.get("common.goodbye", "fr")
    stamp = first.stat().st_mtime_ns
    again = await library.get("common.goodbye", "fr")
    assert again == first
    assert again.stat().st_mtime_ns == stamp
    assert library.path_for("common.goodbye", "fr") == first
    other = await library.speak("Bonjour tout le monde", "fr")
    assert other != first
    assert other.name.startswith("tts-")
    number = await library.get("number.42", "de")
    assert _read(number)[0] == 8000


async def test_generate_all_for_install(tmp_path: Path) -> None:
    library = PromptLibrary(tmp_path)
    keys = ["common.goodbye", "number.7"]
    assert await library.generate_all(["en", "it"], keys) == 4
    assert _count_wavs(tmp_path) == 4
    assert len(library.install_keys()) == len(CATALOG) + 60


async def test_tts_text_cannot_inject_options(tmp_path: Path) -> None:
    library = PromptLibrary(tmp_path)
    path = await library.speak("--help -w /tmp/evil.wav", "en")
    assert _read(path)[0] == 8000
    assert not _exists(Path("/tmp/evil.wav"))


async def test_warm_generates_each_language_once_and_survives_a_bad_key(tmp_path: Path) -> None:
    """The server warms the prompts heard the moment a call is answered: every language is
    generated ahead of use, a second warm-up makes nothing, and an unknown key is logged and
    skipped instead of stopping the others."""
    library = PromptLibrary(tmp_path)
    made = await library.warm(["no.such_key", "common.recording_notice"], ["en", "fr"])
    assert made == 2
    for language in ("en", "fr"):
        rate, channels, width, data = _read(library.path_for("common.recording_notice", language))
        assert (rate, channels, width) == (8000, 1, 2)
        assert len(data) > 8000  # at least a second of speech
    assert await library.warm(["common.recording_notice"], ["en", "fr"]) == 0
    assert _count_wavs(tmp_path) == 2
