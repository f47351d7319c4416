"""Media applications: voicemail boxes and messages, call flows (IVR graphs), media files
(greetings, music on hold), call recordings, and the e-mail outbox.

Audio lives in files under the data directory (one folder per tenant); these rows say whose each
file is, how long and how big it is, so listing, quota accounting and retention never have to
walk the file system. Paths are stored relative to the data directory, so a backup restored
elsewhere still resolves them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime
from centrex.data.models.tenancy import RecordingLayout, _enum


class GreetingKind(StrEnum):
    """Which greeting a caller hears: the phone was busy, did not answer, or is unreachable."""

    BUSY = "busy"
    NO_ANSWER = "no-answer"
    UNAVAILABLE = "unavailable"


class MediaKind(StrEnum):
    """What an uploaded or recorded audio file is for."""

    GREETING = "greeting"
    MOH = "moh"
    PROMPT = "prompt"


class AttachmentFormat(StrEnum):
    """Audio format of the voicemail attached to an e-mail."""

    WAV = "wav"
    MP3 = "mp3"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"


class VoicemailBox(TenantOwned, Base):
    """The mailbox of one extension. The PIN is stored as an Argon2id hash only."""

    __tablename__ = "voicemail_boxes"

    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), unique=True
    )
    pin_hash: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    attachment_format: Mapped[AttachmentFormat] = mapped_column(
        _enum(AttachmentFormat, "attachment_format"), default=AttachmentFormat.WAV
    )
    max_message_seconds: Mapped[int] = mapped_column(Integer, default=180)
    max_messages: Mapped[int] = mapped_column(Integer, default=100)


class VoicemailMessage(TenantOwned, Base):
    """One message left in a mailbox: a WAV file plus what the owner's menu and the API list."""

    __tablename__ = "voicemail_messages"

    mailbox_id: Mapped[int] = mapped_column(
        ForeignKey("voicemail_boxes.id", ondelete="CASCADE"), index=True
    )
    caller: Mapped[str] = mapped_column(String(100), default="")
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    duration_ms: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))
    heard: Mapped[bool] = mapped_column(Boolean, default=False)
    saved: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)


class MediaFile(TenantOwned, Base):
    """A tenant's own audio: a mailbox greeting, music on hold, or an IVR prompt.

    Stored converted (8 kHz 16-bit mono WAV); `mailbox_id` and `greeting` are set for greetings.
    """

    __tablename__ = "media_files"
    __table_args__ = (UniqueConstraint("mailbox_id", "greeting"),)

    kind: Mapped[MediaKind] = mapped_column(_enum(MediaKind, "media_kind"))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    mailbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("voicemail_boxes.id", ondelete="CASCADE"), index=True
    )
    greeting: Mapped[GreetingKind | None] = mapped_column(_enum(GreetingKind, "greeting_kind"))


class CallFlow(TenantOwned, Base):
    """An IVR graph (JSON, validated on save by `centrex.provisioning.flow_graph`)."""

    __tablename__ = "call_flows"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    graph: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FlowBinding(TenantOwned, Base):
    """Points a DID or an extension at a call flow (foundation tables stay untouched).

    Exactly one of `number_id` and `extension_id` is set; each number or extension points at
    one flow at most.
    """

    __tablename__ = "flow_bindings"
    __table_args__ = (
        CheckConstraint("(number_id IS NULL) <> (extension_id IS NULL)", name="exactly_one_target"),
    )

    flow_id: Mapped[int] = mapped_column(
        ForeignKey("call_flows.id", ondelete="CASCADE"), index=True
    )
    number_id: Mapped[int | None] = mapped_column(
        ForeignKey("numbers.id", ondelete="CASCADE"), unique=True
    )
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), unique=True
    )


class CallRecording(TenantOwned, Base):
    """A finished call recording: one file (mixed) or one row per party (per-party)."""

    __tablename__ = "call_recordings"

    call_id: Mapped[str] = mapped_column(String(255), index=True)
    cdr_id: Mapped[int | None] = mapped_column(
        ForeignKey("cdrs.id", ondelete="SET NULL"), index=True
    )
    layout: Mapped[RecordingLayout] = mapped_column(
        _enum(RecordingLayout, "recording_layout"), default=RecordingLayout.MIXED
    )
    party: Mapped[str | None] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MailOutboxEntry(TenantOwned, Base):
    """An e-mail waiting for (or done with) the SMTP server: never lost, retried with backoff.

    The whole RFC 5322 message is kept, so a retry sends exactly what was built at deposit time.
    """

    __tablename__ = "mail_outbox"

    recipient: Mapped[str] = mapped_column(String(254))
    sender: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(500))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
