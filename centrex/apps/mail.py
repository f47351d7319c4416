"""Outgoing e-mail (voicemail to e-mail): SMTP URL, message building, an outbox that never loses
a message, and the retry loop.

Why an outbox table: the SMTP server may be down exactly when a caller leaves a message. Every
message is first stored (the whole RFC 5322 text) in `mail_outbox`, then sent; a failure leaves
the row pending with the next attempt scheduled by exponential backoff (30 s doubling, capped at
one hour, never given up), and `OutboxWorker` retries due rows until they go through. Without a
configured `CENTREX_SMTP_URL` (the demo), messages are written as `.eml` files to
`<data dir>/outbox/` instead, readable with any mail client.

SMTP URLs: `smtp://host:port` (plain, port 25 by default), `smtp+starttls://host:port` (RFC 3207
STARTTLS, default 587) and `smtps://user:pass@host:465` (implicit TLS, RFC 8314). Credentials
are percent-decoded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy import delete, select

from centrex.clock import Clock
from centrex.data.db import Database
from centrex.data.models import MailOutboxEntry, OutboxStatus
from centrex.data.tenancy import TenantScope

log = logging.getLogger(__name__)

BACKOFF_FIRST_S = 30.0
BACKOFF_MAX_S = 3600.0
SEND_TIMEOUT_S = 30.0


class SmtpUrlError(ValueError):
    """`CENTREX_SMTP_URL` cannot be understood."""


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where and how to deliver: host, port, TLS mode, optional login."""

    host: str
    port: int
    tls: str  # "none", "starttls" or "implicit"
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url.strip())
        modes = {
            "smtp": ("none", 25),
            "smtp+starttls": ("starttls", 587),
            "smtps": ("implicit", 465),
        }
        if parts.scheme not in modes:
            raise SmtpUrlError(f"SMTP URL scheme must be one of {', '.join(modes)}: {url!r}")
        if not parts.hostname:
            raise SmtpUrlError(f"SMTP URL has no host: {url!r}")
        tls, default_port = modes[parts.scheme]
        try:
            port = parts.port or default_port
        except ValueError as exc:
            raise SmtpUrlError(f"bad SMTP port in {url!r}") from exc
        return cls(
            parts.hostname,
            port,
            tls,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )


def backoff(attempts: int) -> timedelta:
    """Delay before retry number `attempts` (1 = after the first failure)."""
    return timedelta(seconds=min(BACKOFF_FIRST_S * 2 ** max(0, attempts - 1), BACKOFF_MAX_S))


async def send_smtp(target: SmtpTarget, message: bytes, sender: str, recipient: str) -> None:
    """Deliver one message; raises `aiosmtplib.SMTPException` or `OSError` on failure."""
    await aiosmtplib.send(
        message,
        sender=sender,
        recipients=[recipient],
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.tls == "implicit",
        start_tls=True if target.tls == "starttls" else False if target.tls == "none" else None,
        timeout=SEND_TIMEOUT_S,
    )


def new_message(
    *, sender: str, recipient: str, subject: str, body: str, now: datetime
) -> EmailMessage:
    """A plain-text RFC 5322 message with Date and Message-ID set from `now`."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(body)
    return message


class Mailer:
    """Hands messages to the outbox (SMTP configured) or the `.eml` folder (no SMTP)."""

    def __init__(
        self, database: Database, *, smtp_url: str, outbox_dir: Path, clock: Clock
    ) -> None:
        self.database = database
        self.target = SmtpTarget.parse(smtp_url) if smtp_url else None
        self.outbox_dir = outbox_dir
        self.clock = clock

    async def submit(self, tenant_id: int, message: EmailMessage) -> int | Path:
        """Queue `message`; returns the outbox row id, or the `.eml` path without SMTP.

        With SMTP the first attempt happens at once; its failure is logged, never raised: the
        row stays pending for the retry loop.
        """
        raw = message.as_bytes()
        if self.target is None:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            stamp = self.clock.utcnow().strftime("%Y%m%dT%H%M%S")
            path = self.outbox_dir / f"{stamp}-{secrets.token_hex(6)}.eml"
            _write(path, raw)
            return path
        async with self.database.transaction() as session:
            entry = MailOutboxEntry(
                recipient=str(message["To"]),
                sender=str(message["From"]),
                subject=str(message["Subject"] or "")[:500],
                message=raw,
                next_attempt_at=self.clock.utcnow(),
            )
            TenantScope(session, tenant_id, "").add(entry)  # the queuing tenant owns the row
            await session.flush()
            entry_id = entry.id
        await self.deliver(entry_id)
        return entry_id

    async def deliver(self, entry_id: int) -> bool:
        """Try one pending outbox row now; True when it was sent."""
        assert self.target is not None
        async with self.database.session() as session:
            entry = await session.get(MailOutboxEntry, entry_id)
            if entry is None or entry.status is OutboxStatus.SENT:
                return False
            raw, sender, recipient = entry.message, entry.sender, entry.recipient
        error: str | None = None
        try:
            await send_smtp(self.target, raw, _address(sender), _address(recipient))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        now = self.clock.utcnow()
        async with self.database.transaction() as session:
            entry = await session.get(MailOutboxEntry, entry_id)
            assert entry is not None
            entry.attempts += 1
            if error is None:
                entry.status = OutboxStatus.SENT
                entry.sent_at = now
                entry.last_error = None
                entry.message = b""  # the audio is in the mailbox already; keep only the record
            else:
                entry.last_error = error[:2000]
                entry.next_attempt_at = now + backoff(entry.attempts)
                log.warning(
                    "mail %s to %s not delivered (attempt %d, next at %s): %s",
                    entry_id,
                    recipient,
                    entry.attempts,
                    entry.next_attempt_at.isoformat(),
                    error,
                )
        return error is None

    async def deliver_due(self) -> int:
        """Try every pending row whose time has come; returns how many were sent.

        This reads the outbox of all tenants on purpose: it is a platform job, not a tenant
        request, and it only moves messages each tenant already queued.
        """
        if self.target is None:
            return 0
        now = self.clock.utcnow()
        async with self.database.session() as session:
            stmt = (
                select(MailOutboxEntry.id)
                .where(
                    MailOutboxEntry.status == OutboxStatus.PENDING,
                    MailOutboxEntry.next_attempt_at <= now,
                )
                .order_by(MailOutboxEntry.id)
            )
            due = list((await session.scalars(stmt)).all())
        sent = 0
        for entry_id in due:
            sent += int(await self.deliver(entry_id))
        return sent


async def purge_sent(database: Database, older_than: datetime) -> int:
    """Delete records of mail sent before `older_than` (retention); returns how many."""
    async with database.transaction() as session:
        result = await session.execute(
            delete(MailOutboxEntry).where(
                MailOutboxEntry.status == OutboxStatus.SENT, MailOutboxEntry.sent_at < older_than
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _address(header: str) -> str:
    """The bare address of "Name <a@b>"."""
    from email.utils import parseaddr

    return parseaddr(header)[1] or header


class OutboxWorker:
    """The retry loop: every `poll_seconds`, deliver what is due, until `stop` is set."""

    def __init__(self, mailer: Mailer, *, poll_seconds: float = 10.0) -> None:
        self.mailer = mailer
        self.poll_seconds = poll_seconds

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.mailer.deliver_due()
            except OSError as exc:  # the database itself unreachable: try again next round
                log.warning("outbox pass failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)
