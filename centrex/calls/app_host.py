"""How the call layer hands a call to a media application without knowing the apps.

Apps sit above calls (DESIGN.md §3 dependency direction), so the B2BUA sees only this protocol:
the wiring (`server.py`) passes an implementation (`centrex.apps.launcher.AppLauncher`) that maps
an app name to the app. The B2BUA owns signalling: it gives the app a `Channel` whose answer and
hang-up callbacks send the 200 and the BYE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from centrex.media.channel import Channel


@dataclass(frozen=True, slots=True)
class AppContext:
    """Who called whom, for the app: tenant, caller, the extension concerned and why."""

    tenant_id: int
    caller: str
    caller_name: str
    extension: str | None
    language: str
    timezone: str
    reason: str = ""  # voicemail: "busy", "no-answer", "unavailable"


class AppHost(Protocol):
    """Runs a named app on a channel until it finishes."""

    def has(self, app: str) -> bool: ...

    async def run(self, app: str, channel: Channel, context: AppContext) -> None: ...
