"""Voicemail to e-mail against a real SMTP server (aiosmtpd on loopback), and the outbox."""

from __future__ import annotations

import asyncio
import email
import subprocess
import threading
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from centrex.apps.mail import (
    Mailer,
    OutboxWorker,
    SmtpTarget,
    SmtpUrlError,
    backoff,
    new_message,
    purge_sent,
)
from centrex.apps.voicemail import VoicemailApp, VoicemailServices
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import AttachmentFormat, MailOutboxEntry, OutboxStatus
from centrex.provisioning import voicemail as vm
from tests.apps.conftest import FakeChannel, Scopes, dominant_frequency, tone, wav_bytes_info
from tests.helpers import free_port


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))  # type: ignore[attr-defined]
        )
        self.received.set()
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def _services(
    services: VoicemailServices, db: Database, clock: ManualClock, port: int
) -> VoicemailServices:
    services.mailer = Mailer(
        db, smtp_url=f"smtp://127.0.0.1:{port}", outbox_dir=Path("/nonexistent"), clock=clock
    )
    return services


def _decode(source: Path, target: Path) -> None:
    subprocess.run(
        [
            "sox",
            str(source),
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            str(target),
        ],
        check=True,
    )


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def _outbox(db: Database) -> list[MailOutboxEntry]:
    async with db.session() as session:
        return list((await session.scalars(select(MailOutboxEntry))).all())


def test_smtp_urls() -> None:
    assert SmtpTarget.parse("smtp://127.0.0.1:2525") == SmtpTarget("127.0.0.1", 2525, "none")
    assert SmtpTarget.parse("smtps://user:p%40ss@mail.example.com") == SmtpTarget(
        "mail.example.com", 465, "implicit", "user", "p@ss"
    )
    assert SmtpTarget.parse("smtp+starttls://mx.example.com").port == 587
    assert SmtpTarget.parse("smtp+starttls://mx.example.com").tls == "starttls"
    for bad in ("http://x", "smtp://", "smtp://h:99999"):
        with pytest.raises(SmtpUrlError):
            SmtpTarget.parse(bad)
    assert backoff(1).total_seconds() == 30
    assert backoff(3).total_seconds() == 120
    assert backoff(50).total_seconds() == 3600


async def test_voicemail_mail_has_the_recorded_audio(
    db: Database,
    scopes: Scopes,
    two_tenants: dict[str, int],
    services: VoicemailServices,
    clock: ManualClock,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    _services(services, db, clock, smtp_server.port)
    async with scopes("a.example.com") as scope:
        await vm.create_mailbox(scope, extension="101", pin="1234")
    channel = FakeChannel.script(recordings=[tone(2.5, 1000.0)])
    result = await VoicemailApp(services).leave_message(
        channel, tenant_id=two_tenants["a.example.com"], extension="101", caller="+41215550100"
    )
    assert result.outcome == "stored"
    ((mail_from, rcpt_tos, raw),) = smtp_server.inbox.messages
    assert mail_from == "voicemail@a.example.com"
    assert rcpt_tos == ["alice@a.example.com"]
    message = _parse(raw)
    assert "+41215550100" in str(message["Subject"])
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "audio/wav"
    rate, channels, width, samples = wav_bytes_info(attachment.get_content(), tmp_path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert len(samples) / rate == pytest.approx(2.5, abs=0.02)
    assert dominant_frequency(samples) == pytest.approx(1000.0, abs=5.0)
    (entry,) = await _outbox(db)
    assert (entry.status, entry.attempts) == (OutboxStatus.SENT, 1)
    assert entry.sent_at == clock.utcnow()


async def test_mp3_attachment_option(
    db: Database,
    scopes: Scopes,
    two_tenants: dict[str, int],
    services: VoicemailServices,
    clock: ManualClock,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    _services(services, db, clock, smtp_server.port)
    async with scopes("a.example.com") as scope:
        await vm.create_mailbox(
            scope, extension="101", pin="1234", attachment_format=AttachmentFormat.MP3
        )
    channel = FakeChannel.script(recordings=[tone(2.0, 1000.0)])
    await VoicemailApp(services).leave_message(
        channel, tenant_id=two_tenants["a.example.com"], extension="101", caller="x"
    )
    ((_, _, raw),) = smtp_server.inbox.messages
    (attachment,) = list(_parse(raw).iter_attachments())
    assert attachment.get_content_type() == "audio/mpeg"
    assert attachment.get_filename().endswith(".mp3")
    mp3 = tmp_path / "message.mp3"
    mp3.write_bytes(attachment.get_content())
    decoded = tmp_path / "decoded.wav"
    _decode(mp3, decoded)
    _, _, _, samples = wav_bytes_info(decoded.read_bytes(), tmp_path)
    assert len(samples) / 8000 == pytest.approx(2.0, abs=0.15)  # MP3 frames pad a little
    assert dominant_frequency(samples[800:-800]) == pytest.approx(1000.0, abs=10.0)


async def test_smtp_down_keeps_mail_then_retry_loop_delivers(
    db: Database, two_tenants: dict[str, int], clock: ManualClock
) -> None:
    port = free_port()
    mailer = Mailer(
        db, smtp_url=f"smtp://127.0.0.1:{port}", outbox_dir=Path("/nonexistent"), clock=clock
    )
    mail = new_message(
        sender="voicemail@a.example.com",
        recipient="alice@a.example.com",
        subject="test",
        body="hello",
        now=clock.utcnow(),
    )
    entry_id = await mailer.submit(two_tenants["a.example.com"], mail)
    (entry,) = await _outbox(db)
    assert entry.id == entry_id
    assert (entry.status, entry.attempts) == (OutboxStatus.PENDING, 1)
    assert entry.last_error
    assert entry.next_attempt_at == clock.utcnow() + backoff(1)
    server = SmtpServer(port)
    server.start()
    try:
        assert await mailer.deliver_due() == 0  # not due yet: backoff holds
        assert server.inbox.messages == []
        clock.advance(31)
        stop = asyncio.Event()
        worker = asyncio.create_task(OutboxWorker(mailer, poll_seconds=0.05).run(stop))
        try:
            assert await asyncio.to_thread(server.inbox.received.wait, 30)
        finally:
            stop.set()
            await worker
        ((_, rcpt, raw),) = server.inbox.messages
        assert rcpt == ["alice@a.example.com"]
        assert _parse(raw)["Subject"] == "test"
    finally:
        server.stop()
    (entry,) = await _outbox(db)
    assert (entry.status, entry.attempts, entry.last_error) == (OutboxStatus.SENT, 2, None)
    assert entry.message == b""  # payload dropped once delivered
    assert await purge_sent(db, clock.utcnow()) == 0  # sent just now
    clock.advance(86400)
    assert await purge_sent(db, clock.utcnow()) == 1
    assert await _outbox(db) == []


async def test_without_smtp_mail_goes_to_eml_folder(
    db: Database, two_tenants: dict[str, int], clock: ManualClock, tmp_path: Path
) -> None:
    mailer = Mailer(db, smtp_url="", outbox_dir=tmp_path / "outbox", clock=clock)
    mail = new_message(sender="a@b.c", recipient="d@e.f", subject="s", body="b", now=clock.utcnow())
    path = await mailer.submit(two_tenants["a.example.com"], mail)
    assert isinstance(path, Path)
    assert path.parent == tmp_path / "outbox"
    assert _parse(path.read_bytes())["To"] == "d@e.f"
    assert await mailer.deliver_due() == 0
    assert await _outbox(db) == []
