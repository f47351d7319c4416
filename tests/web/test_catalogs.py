"""The portal's four catalogs are complete: every language has exactly English's keys (fragments
of `locales/<language>/` included), no blank message, the same `{placeholders}`; and every key
the templates and page modules ask for exists.

Why a test and not the fallback: `i18n.translator` falls back to English, so a missing German
key never shows as an error, only as an English word on a German screen. This test makes the
gap visible when it is made, in whichever file made it.
"""

from __future__ import annotations

import importlib
import re
import string
from collections.abc import Iterable
from pathlib import Path

import pytest

from centrex.data.models import TenantStatus
from centrex.media.webrtc.doctor import Code
from centrex.provisioning.queue_wallboard import STATES as AGENT_STATES
from centrex.web import i18n
from centrex.web.switchboard_page import LAMP_STATES

WEB = Path(i18n.__file__).resolve().parent
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
MODULES = sorted(WEB.glob("*.py"))

# `t("...")` in a template, `t("...")` / `_t(ctx)("...")` / `translate_for(ctx)("...")` in Python
LITERAL = re.compile(r"""(?:\bt|\))\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_\-]+)+)["'](?!\s*~)""")
# `t("prefix." ~ value)`: a key built in a template
BUILT = re.compile(r"""\bt\(\s*["']([^"']+)["']\s*~""")
# the softphone panel's `{% set phone_keys = [...] %}`, rendered with `t(key)`
PHONE_KEYS = re.compile(r"\{%\s*set phone_keys\s*=\s*\[(.*?)\]\s*%\}", re.S)

# Keys built from a value whose values are enumerable here: the prefix and every value (where
# they come from). A page may build other keys (its own enums): those prefixes must at least
# name keys of the catalog, and the per-language test above keeps their translations complete.
BUILT_KEYS: dict[str, Iterable[str]] = {
    "status.": [s.value for s in TenantStatus],  # provider.html: a tenant's status
    "sb.state.": LAMP_STATES,  # switchboard.html: a lamp's state
    "wb.state.": AGENT_STATES,  # wallboard.html: an agent's state
    "call.leg_": ("a", "b"),  # call.html: the caller's and the callee's leg
    "doctor.": [c.value for c in Code],  # call.html: the WebRTC doctor's finding codes
}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _english() -> dict[str, str]:
    return i18n.catalog(i18n.DEFAULT)


@pytest.mark.parametrize("language", [x for x in i18n.LANGUAGES if x != i18n.DEFAULT])
def test_every_language_has_exactly_the_english_keys(language: str) -> None:
    english, other = _english(), i18n.catalog(language)
    assert sorted(set(english) - set(other)) == [], f"untranslated in {language}"
    assert sorted(set(other) - set(english)) == [], f"only in {language}, not in English"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_message_is_blank_and_placeholders_match_english(language: str) -> None:
    english, other = _english(), i18n.catalog(language)
    assert [k for k, v in other.items() if not v.strip()] == []
    differ = {
        key: (sorted(_fields(english[key])), sorted(_fields(text)))
        for key, text in other.items()
        if key in english and _fields(english[key]) != _fields(text)
    }
    assert differ == {}


def test_the_shared_catalogs_are_complete_without_fragments() -> None:
    """The files this repository ships as `locales/<language>.json` cover each other too, so a
    page's fragment never has to carry a shared key."""
    import json

    shared = {
        lang: json.loads((WEB / "locales" / f"{lang}.json").read_text(encoding="utf-8"))
        for lang in i18n.LANGUAGES
    }
    for lang, data in shared.items():
        assert set(data) == set(shared[i18n.DEFAULT]), lang


def test_every_literal_key_used_exists_in_english() -> None:
    english = _english()
    missing = [
        f"{path.relative_to(WEB)}: {key}"
        for path in [*TEMPLATES, *MODULES]
        for key in LITERAL.findall(path.read_text(encoding="utf-8"))
        if key not in english
    ]
    assert missing == []


def test_every_built_key_is_known_and_complete() -> None:
    english = _english()
    unknown = {
        f"{path.name}: {prefix}"
        for path in TEMPLATES
        for prefix in BUILT.findall(path.read_text(encoding="utf-8"))
        if not any(key.startswith(prefix) for key in english)
    }
    assert unknown == set(), "a template builds keys from a prefix no key of the catalog has"
    missing = [p + v for p, values in BUILT_KEYS.items() for v in values if p + v not in english]
    assert missing == []


def test_keys_handed_over_in_lists_exist_in_english() -> None:
    """Keys rendered through a variable: the softphone panel's list, and the `*_KEYS`
    constants of the page modules (scripts' strings, select options, error sentences)."""
    english = _english()
    listed: list[str] = []
    for path in TEMPLATES:
        for block in PHONE_KEYS.findall(path.read_text(encoding="utf-8")):
            listed += re.findall(r"""["']([^"']+)["']""", block)
    for path in MODULES:
        module = importlib.import_module(f"centrex.web.{path.stem}")
        for name, value in vars(module).items():
            if not name.endswith("_KEYS"):
                continue
            items = value.values() if isinstance(value, dict) else value
            listed += [x for x in items if isinstance(x, str)]
    assert len(listed) > 20  # the scan found the lists (a broken pattern would find nothing)
    assert sorted({key for key in listed if key not in english}) == []
