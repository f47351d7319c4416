"""Prompts: the multilingual catalog (pure) and the espeak-ng generated, cached WAV files."""

from centrex.apps.prompts.library import PromptLibrary
from centrex.provisioning.prompt_catalog import (
    CATALOG,
    LANGUAGES,
    clock_phrase,
    is_known_key,
    new_messages_phrase,
    normalise_language,
    number_key,
    prompt_text,
)

__all__ = [
    "CATALOG",
    "LANGUAGES",
    "PromptLibrary",
    "clock_phrase",
    "is_known_key",
    "new_messages_phrase",
    "normalise_language",
    "number_key",
    "prompt_text",
]
