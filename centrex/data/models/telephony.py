"""Extensions, SIP credentials, numbers (DIDs), trunks and outbound routes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, IdMixin, TenantOwned, UtcDateTime
from centrex.data.models.tenancy import DigestPolicy, RecordingLayout, RecordingMode, _enum


class NumberState(StrEnum):
    FREE = "free"
    RESERVED = "reserved"
    ASSIGNED = "assigned"
    PORTING_IN = "porting-in"
    AGEING = "ageing"


class TrunkTransport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class SrtpMode(StrEnum):
    """An extension's SRTP policy for its phones' media (SDES, RFC 4568; `media/sdes.py`)."""

    OPTIONAL = "optional"  # SRTP offers accepted, plain RTP offered
    REQUIRED = "required"  # plain offers refused (488), RTP/SAVP offered
    OFF = "off"  # RTP/SAVP offers refused (488), best-effort crypto stripped


class Extension(TenantOwned, Base):
    """A dialable internal number of a tenant (2–5 digits, the tenant's length)."""

    __tablename__ = "extensions"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    number: Mapped[str] = mapped_column(String(5))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(254))
    outbound_caller_id: Mapped[str | None] = mapped_column(String(20))
    # None: the tenant's setting applies (Tenant.record_calls / record_layout).
    record_calls: Mapped[RecordingMode | None] = mapped_column(
        _enum(RecordingMode, "extension_record_calls")
    )
    record_layout: Mapped[RecordingLayout | None] = mapped_column(
        _enum(RecordingLayout, "extension_record_layout")
    )
    # None: the tenant's digest policy applies (Tenant.digest_policy).
    digest_policy: Mapped[DigestPolicy | None] = mapped_column(
        _enum(DigestPolicy, "extension_digest_policy")
    )
    # Forwarding (calls/features/forward.py): a destination each (an extension, an E.164
    # number, "voicemail" or "flow:NAME"; None: not forwarded), DND and call waiting.
    forward_always: Mapped[str | None] = mapped_column(String(120))
    forward_busy: Mapped[str | None] = mapped_column(String(120))
    forward_no_answer: Mapped[str | None] = mapped_column(String(120))
    forward_no_answer_seconds: Mapped[int | None] = mapped_column(Integer)
    forward_unregistered: Mapped[str | None] = mapped_column(String(120))
    dnd: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    call_waiting: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Call pickup (calls/features/pickup.py): `*8` answers calls ringing the same group's
    # extensions of the tenant (None: in no group).
    pickup_group: Mapped[str | None] = mapped_column(String(40))
    # Outbound barring (calls/features/screening.py): internal, national, international or all
    # (the default: nothing barred by class); premium-rate/shared-cost numbers need `premium`.
    outbound_class: Mapped[str] = mapped_column(String(16), default="all", server_default="all")
    premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Supervisor monitoring (calls/features/monitor.py, 0021): this extension may listen to,
    # whisper to and barge into the tenant's calls, like a user with the supervisor role.
    supervisor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # SRTP policy of the extension's phones (0022, `media/sdes.py`).
    srtp: Mapped[SrtpMode] = mapped_column(
        _enum(SrtpMode, "extension_srtp"),
        default=SrtpMode.OPTIONAL,
        server_default=SrtpMode.OPTIONAL.value,
    )


class SipCredential(TenantOwned, Base):
    """Digest credentials of an extension: only HA1 values, never the password (RFC 7616)."""

    __tablename__ = "sip_credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "username"),)

    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), unique=True
    )
    username: Mapped[str] = mapped_column(String(64))
    realm: Mapped[str] = mapped_column(String(253))
    ha1_md5: Mapped[str] = mapped_column(String(32))
    ha1_sha256: Mapped[str] = mapped_column(String(64))


class NumberRange(IdMixin, Base):
    """A block of DIDs the provider holds from a carrier, e.g. +41 21 555 01 00 – 199."""

    __tablename__ = "number_ranges"
    __table_args__ = (UniqueConstraint("first", "last"),)

    first: Mapped[str] = mapped_column(String(20))
    last: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200), default="")


class Number(IdMixin, Base):
    """A DID in E.164. Provider-owned; assigned to at most one tenant and one destination.

    `tenant_id` is nullable (free numbers belong to nobody), so tenant queries still go through
    `TenantScope`, which filters on it like on any tenant-owned table.
    """

    __tablename__ = "numbers"

    e164: Mapped[str] = mapped_column(String(20), unique=True)
    range_id: Mapped[int | None] = mapped_column(
        ForeignKey("number_ranges.id", ondelete="SET NULL")
    )
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[NumberState] = mapped_column(
        _enum(NumberState, "number_state"), default=NumberState.FREE
    )
    state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    # ...or one of the tenant's ring groups (0017): the DID rings the group's members
    ring_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("ring_groups.id", ondelete="SET NULL")
    )
    # ...or one of its conference rooms (0019): callers of the DID join the room
    conference_id: Mapped[int | None] = mapped_column(
        ForeignKey("conferences.id", ondelete="SET NULL")
    )
    # ...or one of its ACD queues (0032): callers of the DID wait in the queue
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))


class Trunk(IdMixin, Base):
    """A carrier connection. Credentials are stored encrypted and never echoed."""

    __tablename__ = "trunks"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer, default=5060)
    transport: Mapped[TrunkTransport] = mapped_column(
        _enum(TrunkTransport, "trunk_transport"), default=TrunkTransport.UDP
    )
    username: Mapped[str | None] = mapped_column(String(100))
    password_encrypted: Mapped[str | None] = mapped_column(String(500))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    max_calls: Mapped[int | None] = mapped_column(Integer)
    register: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboundRoute(IdMixin, Base):
    """A dialled-number prefix (E.164 digits, '' = everything) → trunks in order."""

    __tablename__ = "outbound_routes"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    prefix: Mapped[str] = mapped_column(String(20), default="")


class OutboundRouteTrunk(IdMixin, Base):
    """The ordered trunk list of an outbound route."""

    __tablename__ = "outbound_route_trunks"
    __table_args__ = (UniqueConstraint("route_id", "trunk_id"),)

    route_id: Mapped[int] = mapped_column(ForeignKey("outbound_routes.id", ondelete="CASCADE"))
    trunk_id: Mapped[int] = mapped_column(ForeignKey("trunks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
