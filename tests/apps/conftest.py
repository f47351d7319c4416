"""Fixtures for the media applications: two tenants, a media store, shared prompts, a fake
channel that follows `centrex.apps.channel.AppChannel`, and audio helpers (numpy)."""

from __future__ import annotations

import wave
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from centrex.apps.channel import AudioSource, ChannelClosed
from centrex.apps.mail import Mailer
from centrex.apps.prompts import PromptLibrary
from centrex.apps.voicemail import VoicemailServices
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.data.tenancy import TenantScope
from centrex.media.tones import TonePlan
from centrex.provisioning import extensions, tenants
from centrex.provisioning.storage import MediaStore

RATE = 8000
DOMAINS = ("a.example.com", "b.example.com")


def tone(seconds: float, frequency: float = 1000.0, amplitude: int = 8000) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * frequency * t) * amplitude).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return bytes(2 * int(seconds * RATE))


def wav_bytes_info(data: bytes, tmp: Path) -> tuple[int, int, int, np.ndarray]:
    """(rate, channels, sample width, samples) of WAV bytes."""
    path = tmp / "probe.wav"
    path.write_bytes(data)
    with wave.open(str(path), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        return (
            wav.getframerate(),
            wav.getnchannels(),
            wav.getsampwidth(),
            np.frombuffer(frames, dtype="<i2"),
        )


def dominant_frequency(samples: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(float) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def write_wav(path: Path, pcm: bytes, rate: int = RATE, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


@dataclass
class FakeChannel:
    """Scripted caller: `keys` answers each collect_digits, `recordings` each record."""

    keys: deque[str] = field(default_factory=deque)
    recordings: deque[bytes] = field(default_factory=deque)
    hang_up_on_record: bool = False
    played: list[Any] = field(default_factory=list)
    answered: bool = False
    closed: bool = False
    record_limits: list[float] = field(default_factory=list)

    @classmethod
    def script(cls, keys: Iterable[str] = (), recordings: Iterable[bytes] = ()) -> FakeChannel:
        return cls(deque(keys), deque(recordings))

    def _check(self) -> None:
        if self.closed:
            raise ChannelClosed("fake channel closed")

    async def answer(self) -> None:
        self._check()
        self.answered = True

    async def play(
        self,
        source: AudioSource,
        *,
        max_seconds: float | None = None,
        interrupt_on_digit: bool = False,
    ) -> bool:
        self._check()
        self.played.append(source)
        return True

    async def record(
        self, path: str | Path, *, max_seconds: float = 120.0, terminators: str = "#"
    ) -> float:
        self._check()
        self.record_limits.append(max_seconds)
        pcm = self.recordings.popleft() if self.recordings else b""
        pcm = pcm[: int(max_seconds * RATE) * 2]
        write_wav(Path(path), pcm)
        if self.hang_up_on_record:
            self.closed = True
        return len(pcm) / (2 * RATE)

    async def collect_digits(
        self,
        max_digits: int = 20,
        *,
        digit_timeout: float = 5.0,
        first_digit_timeout: float | None = None,
        terminators: str = "#",
    ) -> str:
        self._check()
        return self.keys.popleft() if self.keys else ""

    async def hangup(self) -> None:
        self.closed = True

    def names(self) -> list[str]:
        """What was played: prompt keys (from cache file names), "beep", or a file name."""
        out: list[str] = []
        for item in self.played:
            if isinstance(item, TonePlan):
                out.append(item.name)
            elif isinstance(item, Path):
                parent = item.parent.name
                if parent in ("de", "fr", "en", "it"):
                    out.append(item.stem.rsplit("-", 1)[0])
                else:
                    out.append(f"file:{item.name}")
            else:
                out.append(repr(item))
        return out


class RecordingMwi:
    def __init__(self) -> None:
        self.calls: list[tuple[int, str, str]] = []

    async def mailbox_changed(self, tenant_id: int, extension: str, body: str) -> None:
        self.calls.append((tenant_id, extension, body))


@pytest.fixture(scope="session")
def prompt_library(tmp_path_factory: pytest.TempPathFactory) -> PromptLibrary:
    """One prompt cache for the whole run (espeak-ng generation is the slow part)."""
    return PromptLibrary(tmp_path_factory.mktemp("prompts"))


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "data")


@pytest.fixture
async def two_tenants(db: Database, clock: ManualClock) -> dict[str, int]:
    """Tenants a and b, each with extensions 101 (with e-mail) and 102."""
    ids: dict[str, int] = {}
    async with db.transaction() as session:
        for domain in DOMAINS:
            tenant = await tenants.create_tenant(
                session,
                now=clock.utcnow(),
                name=domain,
                domain=domain,
                extension_digits=3,
                max_calls=5,
            )
            scope = tenants.scope_of(session, tenant)
            # no default mailboxes: each test makes the ones it needs, with the PIN it dials
            await extensions.create_extension(
                scope, number="101", email=f"alice@{domain}", voicemail=False
            )
            await extensions.create_extension(scope, number="102", voicemail=False)
            ids[domain] = tenant.id
    return ids


class Scopes:
    """`async with scopes("a.example.com") as scope:` — a committed tenant transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self, domain: str) -> Any:
        db = self.db

        class _Ctx:
            async def __aenter__(self) -> TenantScope:
                self._tx = db.transaction()
                session = await self._tx.__aenter__()
                return await tenants.scope_for(session, domain)

            async def __aexit__(self, *exc: object) -> None:
                await self._tx.__aexit__(*exc)  # type: ignore[arg-type]

        return _Ctx()


@pytest.fixture
def scopes(db: Database, two_tenants: dict[str, int]) -> Scopes:
    return Scopes(db)


@pytest.fixture
def mwi() -> RecordingMwi:
    return RecordingMwi()


@pytest.fixture
def services(
    db: Database,
    tmp_path: Path,
    clock: ManualClock,
    prompt_library: PromptLibrary,
    store: MediaStore,
    mwi: RecordingMwi,
) -> VoicemailServices:
    return VoicemailServices(
        database=db,
        store=store,
        prompts=prompt_library,
        mailer=Mailer(db, smtp_url="", outbox_dir=store.data_dir / "outbox", clock=clock),
        mwi=mwi,
        clock=clock,
        work_dir=tmp_path / "work",
    )


async def set_quota(db: Database, tenant_id: int, mb: int) -> None:
    async with db.transaction() as session:
        tenant = await session.get(Tenant, tenant_id)
        assert tenant is not None
        tenant.storage_quota_mb = mb
