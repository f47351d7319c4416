"""Voicemail to e-mail and IVR menus through a real `centrex serve`, with real peers.

baresip 101 calls 102, which has no registered phone: the call goes straight to 102's mailbox.
baresip's "microphone" is a WAV with a known shape (silence while the greeting plays, then a
1000 Hz tone of a known length, then silence), so the e-mail that arrives at a real SMTP server
(aiosmtpd on loopback) can be checked against what was sent: the attached WAV's tone frequency by
FFT and the length of its non-silent part.

The IVR test binds an extension to a flow ("press 1 for Bob's voicemail, 2 for Carol's") and
drives it with DTMF sent by baresip (`sndcode`, RFC 4733 telephone-events); the message must land
in the mailbox the key chose, and only there.
"""

from __future__ import annotations

import email
import json
import threading
import time
import urllib.request
import wave
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import flows as flow_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import voicemail as voicemail_service
from tests.e2e.test_calls import ACME, CallPbx, established, phone, registered
from tests.helpers import free_port
from tests.peers.phone import read_recording

pytestmark = pytest.mark.e2e

LEAD_SILENCE = 14.0  # longer than the default greeting and the beep
TONE_SECONDS = 3.0
TONE_HZ = 1000.0


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = email.message_from_bytes(bytes(envelope.content), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted"

    def wait(self, count: int, timeout: float = 40.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.2)
        with self.lock:
            return list(self.messages)


class VoicemailPbx(CallPbx):
    """The calls test server plus mailboxes with e-mail for 102 and 103 (no phone of theirs
    registers), an SMTP server, and an IVR flow bound to extension 100."""

    def __init__(self, directory: Path, smtp_port: int) -> None:
        super().__init__(directory)
        self.env["CENTREX_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        now = SystemClock().utcnow()
        try:
            async with database.transaction() as session:
                tenant = await session.scalar(select(Tenant).where(Tenant.domain == ACME))
                assert tenant is not None
                scope = tenant_service.scope_of(session, tenant)
                for number in ("102", "103"):
                    ext = await extension_service.get_extension(scope, number)
                    await extension_service.update_extension(
                        scope, ext, email=f"vm{number}@acme.example.com"
                    )
                    await voicemail_service.create_mailbox(scope, extension=number, pin="4321")
                await extension_service.create_extension(
                    scope, number="100", name="Reception", voicemail=False
                )
                flow = await flow_service.create_flow(
                    scope, name="reception", graph=IVR_GRAPH, now=now
                )
                await flow_service.bind_extension(scope, flow.id, "100")
        finally:
            await database.dispose()


IVR_GRAPH: dict[str, Any] = {
    "start": "menu",
    "nodes": [
        {
            "id": "menu",
            "type": "menu",
            "prompt": "menu.make_choice",
            "branches": {"1": "bob", "2": "carol"},
            "timeout": "bye",
            "invalid": "bye",
            "retries": 2,
            "timeout_seconds": 8,
        },
        {"id": "bob", "type": "transfer", "target": {"kind": "voicemail", "value": "102"}},
        {"id": "carol", "type": "transfer", "target": {"kind": "voicemail", "value": "103"}},
        {"id": "bye", "type": "hangup", "prompt": "common.goodbye"},
    ],
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def vm_pbx(
    tmp_path_factory: pytest.TempPathFactory, smtp: tuple[Inbox, int]
) -> Iterator[VoicemailPbx]:
    server = VoicemailPbx(tmp_path_factory.mktemp("voicemail"), smtp_port=smtp[1])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_message_wav(path: Path, lead: float, tone: float, frequency: float) -> Path:
    """Silence, a tone, then a long silence (baresip hangs up at the end of its source)."""
    rate = 8000
    samples = np.arange(int(rate * tone))
    sine = (0.4 * 32767 * np.sin(2 * np.pi * frequency * samples / rate)).astype("<i2")
    pcm = np.concatenate([np.zeros(int(rate * lead), "<i2"), sine, np.zeros(int(rate * 90), "<i2")])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def tone_stats(wav: bytes) -> tuple[float, float, float]:
    """(seconds of the file, seconds above a tenth of the peak level in 20 ms frames, dominant
    frequency of the loud part) of a WAV."""
    with wave.open(BytesIO(wav), "rb") as source:
        assert (source.getframerate(), source.getnchannels()) == (8000, 1)
        data = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2").astype(float)
    frames = data[: len(data) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = rms > max(rms.max() / 10, 100.0)
    voiced = frames[loud].reshape(-1)
    spectrum = np.abs(np.fft.rfft(voiced))
    peak = float(np.argmax(spectrum) * 8000 / len(voiced)) if len(voiced) else 0.0
    return len(data) / 8000, float(loud.sum()) * 0.02, peak


def wav_attachment(message: EmailMessage) -> bytes:
    for part in message.iter_attachments():
        if part.get_content_type() == "audio/wav":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError(f"no WAV attachment in {message['Subject']!r}")


def api(pbx: CallPbx, token: str, path: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{pbx.http}{path}",
        headers={"Authorization": f"Bearer {token}", "Centrex-Tenant": ACME},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def messages_of(pbx: CallPbx, token: str, extension: str) -> list[dict[str, Any]]:
    boxes = api(pbx, token, "/api/v1/voicemail/boxes")["items"]
    box = next(b for b in boxes if b["extension"] == extension)
    items: list[dict[str, Any]] = api(pbx, token, f"/api/v1/voicemail/boxes/{box['id']}/messages")[
        "items"
    ]
    return items


def test_unregistered_extension_voicemail_arrives_by_email(
    vm_pbx: VoicemailPbx, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, _ = smtp
    before = len(inbox.messages)
    token = vm_pbx.cli("token", "create", "--role", "platform-admin")["token"]
    caller = phone(vm_pbx, tmp_path, "101", ACME, TONE_HZ)
    write_message_wav(caller.tone, LEAD_SILENCE, TONE_SECONDS, TONE_HZ)
    with caller:
        registered(caller)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller)  # answered by the voicemail: 102 has no registered phone
        time.sleep(LEAD_SILENCE + TONE_SECONDS + 2)
        caller.command("hangup")
        assert caller.wait_hung_up(timeout=15), caller.log()
    mails = inbox.wait(before + 1)
    assert len(mails) == before + 1, vm_pbx.log()[-3000:]
    mail = mails[-1]
    assert mail["To"] == "vm102@acme.example.com"
    assert "101" in mail["Subject"]
    seconds, loud, peak = tone_stats(wav_attachment(mail))
    # the recording starts after the beep: it holds the tone (and the silence before it)
    assert abs(peak - TONE_HZ) < 20, peak
    assert abs(loud - TONE_SECONDS) < 0.5, (loud, seconds)
    assert seconds < LEAD_SILENCE + TONE_SECONDS, seconds  # trailing silence trimmed
    stored = messages_of(vm_pbx, token, "102")
    assert len(stored) == 1
    assert stored[0]["caller"] == "101"
    assert abs(stored[0]["duration_ms"] / 1000 - seconds) < 0.1
    cdr = vm_pbx.wait_cdr(ACME, 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("101", "102", "answered")


def test_dtmf_from_baresip_drives_the_ivr_to_the_chosen_mailbox(
    vm_pbx: VoicemailPbx, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, _ = smtp
    token = vm_pbx.cli("token", "create", "--role", "platform-admin")["token"]
    bob_before = len(messages_of(vm_pbx, token, "102"))
    carol_before = len(messages_of(vm_pbx, token, "103"))
    mails_before = len(inbox.messages)
    caller = phone(vm_pbx, tmp_path, "101", ACME, TONE_HZ)
    write_message_wav(caller.tone, LEAD_SILENCE + 4, TONE_SECONDS, TONE_HZ)
    with caller:
        registered(caller)
        caller.command("dial", f"sip:100@{ACME}")
        established(caller)
        time.sleep(3)  # into the menu prompt (barge-in allowed)
        caller.command("sndcode", "2")  # Carol's voicemail (103)
        time.sleep(LEAD_SILENCE + 1 + TONE_SECONDS + 2)
        caller.command("hangup")
        assert caller.wait_hung_up(timeout=15), caller.log()
    mails = inbox.wait(mails_before + 1)
    assert len(mails) == mails_before + 1, vm_pbx.log()[-3000:]
    assert mails[-1]["To"] == "vm103@acme.example.com"
    _, loud, peak = tone_stats(wav_attachment(mails[-1]))
    assert abs(peak - TONE_HZ) < 20, peak
    assert loud > 1.0, loud
    assert len(messages_of(vm_pbx, token, "103")) == carol_before + 1
    assert len(messages_of(vm_pbx, token, "102")) == bob_before


def test_echo_test_feature_code_plays_the_callers_audio_back(
    vm_pbx: VoicemailPbx, tmp_path: Path
) -> None:
    caller = phone(vm_pbx, tmp_path, "101", ACME, 1200)
    with caller:
        registered(caller)
        caller.command("dial", f"sip:*43@{ACME}")
        established(caller)
        # intro prompt, beep, 10 s recorded, then played back: listen into the playback
        time.sleep(20)
        caller.command("hangup")
        assert caller.wait_hung_up(timeout=15), caller.log()
    heard = read_recording(caller.recordings()[-1])
    tail = heard[-8000 * 4 : -8000]  # seconds 16 to 19 of the call: the echo of the tone
    peak = float(np.argmax(np.abs(np.fft.rfft(tail))) * 8000 / len(tail))
    assert abs(peak - 1200) < 20, peak
    assert np.sqrt(np.mean(tail**2)) > 1000
