"""What the HTTP layer needs from the rest of the process, passed in once by `server.py`."""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field

from centrex.api.ban_list import BanList, NoBans
from centrex.api.sources import (
    CallControlSource,
    ConferenceSource,
    LiveCalls,
    NoCallControl,
    NoConferences,
    NoPresence,
    PresenceSource,
    RegistrationSource,
)
from centrex.clock import Clock
from centrex.data.db import Database
from centrex.data.secrets_box import SecretBox
from centrex.events import EventBus
from centrex.provisioning.storage import MediaStore


class LoginLimiter:
    """Failed portal logins per (client address, e-mail) in a sliding window.

    In memory on purpose: it protects one process from password guessing; with several nodes the
    edge proxy rate-limits too (shared/DESIGN.md §7).
    """

    def __init__(self, clock: Clock, *, failures: int = 5, window_s: float = 300.0) -> None:
        self._clock = clock
        self._failures = failures
        self._window = window_s
        self._seen: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        now = self._clock.monotonic()
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] > self._window:
            times.popleft()
        return times

    def blocked(self, address: str, email: str) -> bool:
        return len(self._recent((address, email.lower()))) >= self._failures

    def failed(self, address: str, email: str) -> None:
        self._recent((address, email.lower())).append(self._clock.monotonic())

    def succeeded(self, address: str, email: str) -> None:
        self._seen.pop((address, email.lower()), None)


@dataclass
class ApiServices:
    """Dependencies of every route, built by `create_app` from what `server.py` passes."""

    database: Database
    clock: Clock
    events: EventBus
    registrations: RegistrationSource
    calls: LiveCalls
    secret_box: SecretBox
    media_store: MediaStore  # audio files: voicemail, recordings, tenant media
    limiter: LoginLimiter
    secure_cookies: bool = False
    presence: PresenceSource = field(default_factory=NoPresence)
    control: CallControlSource = field(default_factory=NoCallControl)
    conferences: ConferenceSource = field(default_factory=NoConferences)
    bans: BanList = field(default_factory=NoBans)  # the registrar's banned SIP sources
    max_body_bytes: int = 1024 * 1024
    instance_id: str = field(default_factory=lambda: secrets.token_hex(4))
