"""Feature codes per tenant: the star codes a phone dials, with the platform's defaults and a
tenant's own choices (issue 12 item 7).

Theory of operation:

* Every overridable code has a stable NAME (`CATALOG`, a literal table): `dnd-on` is `*78`
  unless the tenant chose another. The call features keep contributing their default codes
  (`PlanPart` numbers and prefixes) and the router its app codes (`TenantPlan.feature_codes`);
  `apply_overrides` then moves each overridden entry from its default code to the tenant's
  code, so a feature never needs to know the tenant's choice and the old code stops working
  (dialling it routes like any other string: an unknown number).
* Three kinds: `number` (dialled exactly, `*78`), `prefix` (followed by digits, `*72<DEST>`)
  and `app` (an application, `*43` echo test). Park (`700` and its slots) and the in-call
  recording code `*1` are not overridable here: the slots are a number range and `*1` is DTMF
  inside a call.
* A code is 2-8 characters of `0-9 * #`, starting with `*` or `#` (a code starting with a
  digit would hide extensions and short numbers); no two effective codes of a tenant are equal
  (`conflicts`). Checking is pure: provisioning calls it with the tenant's current choices.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BY_NAME",
    "CATALOG",
    "CodeKind",
    "CodeSpec",
    "apply_overrides",
    "bad_code",
    "conflicts",
    "effective_codes",
]

_CODE = re.compile(r"[*#][0-9*#]{1,7}")


class CodeKind(StrEnum):
    NUMBER = "number"
    PREFIX = "prefix"
    APP = "app"


@dataclass(frozen=True, slots=True)
class CodeSpec:
    name: str
    default: str
    kind: CodeKind
    description: str


CATALOG: tuple[CodeSpec, ...] = (
    CodeSpec("dnd-on", "*78", CodeKind.NUMBER, "do not disturb on"),
    CodeSpec("dnd-off", "*79", CodeKind.NUMBER, "do not disturb off"),
    CodeSpec("forward-always-on", "*72", CodeKind.PREFIX, "forward always to the digits after"),
    CodeSpec("forward-always-off", "*73", CodeKind.NUMBER, "forward always off"),
    CodeSpec("group-pickup", "*8", CodeKind.NUMBER, "answer a call ringing your pickup group"),
    CodeSpec("directed-pickup", "**", CodeKind.PREFIX, "answer the call ringing the extension"),
    CodeSpec("clir", "*31", CodeKind.PREFIX, "withhold your caller ID for this call"),
    CodeSpec("intercom", "*80", CodeKind.PREFIX, "call the extension with auto-answer"),
    CodeSpec("monitor-listen", "*90", CodeKind.PREFIX, "supervisor: listen to the call of N"),
    CodeSpec("monitor-whisper", "*91", CodeKind.PREFIX, "supervisor: speak to N only"),
    CodeSpec("monitor-barge", "*92", CodeKind.PREFIX, "supervisor: join the call of N"),
    CodeSpec("agent-login", "*50", CodeKind.NUMBER, "agent log in (*50N: join queue N)"),
    CodeSpec("agent-logout", "*51", CodeKind.NUMBER, "agent log out"),
    CodeSpec("agent-pause", "*52", CodeKind.PREFIX, "agent pause with the reason code after"),
    CodeSpec("agent-resume", "*53", CodeKind.NUMBER, "agent ready again after a pause"),
    CodeSpec("echo-test", "*43", CodeKind.APP, "echo test"),
    CodeSpec("speaking-clock", "*44", CodeKind.APP, "speaking clock"),
    CodeSpec("voicemail", "*97", CodeKind.APP, "your mailbox"),
)
BY_NAME: Mapping[str, CodeSpec] = {spec.name: spec for spec in CATALOG}


def bad_code(code: str) -> str | None:
    """Why `code` cannot be a feature code, or None when its form is fine."""
    if not _CODE.fullmatch(code):
        return "a feature code is 2-8 characters of 0-9 * #, starting with * or #"
    return None


def effective_codes(overrides: Mapping[str, str]) -> dict[str, str]:
    """NAME → the code a tenant's phones dial (its choice, else the default)."""
    return {spec.name: overrides.get(spec.name, spec.default) for spec in CATALOG}


def conflicts(overrides: Mapping[str, str], name: str, code: str) -> str | None:
    """The feature that already uses `code` if `name` took it, or None."""
    for other, used in effective_codes(overrides).items():
        if other != name and used == code:
            return other
    return None


def apply_overrides(
    numbers: Mapping[str, tuple[str, str]],
    prefixes: Mapping[str, str],
    apps: Mapping[str, str],
    overrides: Mapping[str, str],
) -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, str]]:
    """The plan's feature numbers, prefixes and app codes with each overridden default code
    moved to the tenant's code (entries of unknown names, or whose default no feature
    contributed, are ignored: nothing else moves)."""
    out_numbers, out_prefixes, out_apps = dict(numbers), dict(prefixes), dict(apps)
    tables: dict[CodeKind, dict[str, object]] = {
        CodeKind.NUMBER: out_numbers,  # type: ignore[dict-item]
        CodeKind.PREFIX: out_prefixes,  # type: ignore[dict-item]
        CodeKind.APP: out_apps,  # type: ignore[dict-item]
    }
    moves = []
    for name, code in overrides.items():
        spec = BY_NAME.get(name)
        if spec is None or code == spec.default:
            continue
        table = tables[spec.kind]
        if spec.default in table:
            moves.append((table, code, table.pop(spec.default)))
    for table, code, entry in moves:  # after every pop: two codes may swap places
        table[code] = entry
    return out_numbers, out_prefixes, out_apps
