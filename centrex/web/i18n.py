"""Portal translations: one JSON catalog per language in `locales/`, English as the fallback.

Every catalog holds every English key (tests/web/test_catalogs.py checks it); should one ever
miss a key, it falls back to English, never to a blank. A page family may keep its own
keys in `locales/<language>/<page>.json`; they are merged into the language's catalog (a key
defined twice is a mistake and fails loudly rather than one silently winning).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "fr", "de", "it")
DEFAULT = "en"

Translate = Callable[..., str]


@cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES_DIR / f"{language}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for fragment in sorted((LOCALES_DIR / language).glob("*.json")):
        extra: dict[str, str] = json.loads(fragment.read_text(encoding="utf-8"))
        twice = sorted(set(extra) & set(data))
        if twice:
            raise ValueError(f"{fragment}: keys already defined elsewhere: {', '.join(twice)}")
        data.update(extra)
    return data


def translator(language: str) -> Translate:
    """`t("ext.title", domain="acme")`: the message in `language`, else in English, else the key."""
    own = catalog(language if language in LANGUAGES else DEFAULT)
    fallback = catalog(DEFAULT)

    def translate(key: str, **values: Any) -> str:
        text = own.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return translate


def negotiate(accept_language: str | None) -> str | None:
    """The best supported language of an Accept-Language header (RFC 9110 §12.5.4)."""
    if not accept_language:
        return None
    ranked: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((quality, primary))
    ranked.sort(key=lambda item: -item[0])
    return ranked[0][1] if ranked else None


def choose_language(explicit: str | None, account: str | None, accept_language: str | None) -> str:
    """An explicit choice (the language switch), then the account's language, then the browser."""
    for candidate in (explicit, account, negotiate(accept_language)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT
