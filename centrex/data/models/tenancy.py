"""Platform → partners (resellers) → tenants (customers) → users (shared/DESIGN.md §6)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, IdMixin, TenantOwned, UtcDateTime


def _enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """Enums are stored as plain strings with a CHECK, identical on SQLite and PostgreSQL."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class TenantStatus(StrEnum):
    TRIAL = "trial"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEACTIVATED = "deactivated"
    ARCHIVED = "archived"


class Language(StrEnum):
    DE = "de"
    FR = "fr"
    EN = "en"
    IT = "it"


class Currency(StrEnum):
    CHF = "CHF"
    EUR = "EUR"


class UserRole(StrEnum):
    TENANT_ADMIN = "tenant-admin"
    USER = "user"
    AGENT = "agent"
    SUPERVISOR = "supervisor"


class RecordingMode(StrEnum):
    """Whether calls are recorded: never, always, or when a party dials the feature code."""

    NEVER = "never"
    ALWAYS = "always"
    ON_DEMAND = "on-demand"


class RecordingLayout(StrEnum):
    """A recording is either both parties mixed into one file, or one file per party."""

    MIXED = "mixed"
    PER_PARTY = "per-party"


class DigestPolicy(StrEnum):
    """Which digest algorithms a tenant's (or one device's) challenges offer, in order.

    Many phones (and sipp 3.6) answer only the first challenge and know only MD5, so the
    default offers MD5 first and SHA-256 second (RFC 8760 §2.4 lets the server order them).
    """

    COMPATIBLE = "compatible"  # MD5, then SHA-256
    PREFER_SHA256 = "prefer-sha256"  # SHA-256, then MD5
    REQUIRE_SHA256 = "require-sha256"  # SHA-256 only; an MD5 answer is challenged again


class ContactKind(StrEnum):
    IT_ADMIN = "it-admin"
    FIREWALL_ADMIN = "firewall-admin"
    IT_PARTNER = "it-partner"
    PBX_PARTNER = "pbx-partner"


class Partner(IdMixin, Base):
    """A reseller: sells Centrex to its own tenants and sees only those."""

    __tablename__ = "partners"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))


class Tenant(IdMixin, Base):
    """A business customer with its own SIP domain, numbering plan, licence and money."""

    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    customer_number: Mapped[str] = mapped_column(String(6), unique=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[Language] = mapped_column(_enum(Language, "language"), default=Language.EN)
    country: Mapped[str] = mapped_column(String(2), default="CH")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Zurich")
    extension_digits: Mapped[int] = mapped_column(Integer)
    max_calls: Mapped[int] = mapped_column(Integer)
    storage_quota_mb: Mapped[int] = mapped_column(Integer, default=1024)
    status: Mapped[TenantStatus] = mapped_column(
        _enum(TenantStatus, "tenant_status"), default=TenantStatus.ACTIVE
    )
    status_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    trial_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    credit: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal("0"))
    currency: Mapped[Currency] = mapped_column(_enum(Currency, "currency"), default=Currency.CHF)
    main_number: Mapped[str | None] = mapped_column(String(20))
    # Call recording default of the tenant; an extension may override it (0007 migration).
    record_calls: Mapped[RecordingMode] = mapped_column(
        _enum(RecordingMode, "tenant_record_calls"),
        default=RecordingMode.NEVER,
        server_default=RecordingMode.NEVER.value,
    )
    record_layout: Mapped[RecordingLayout] = mapped_column(
        _enum(RecordingLayout, "tenant_record_layout"),
        default=RecordingLayout.MIXED,
        server_default=RecordingLayout.MIXED.value,
    )
    # Tell both parties when a recording starts (where the law requires it; 0008 migration).
    record_announce: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Digest algorithms offered to the tenant's phones; an extension may override (0009).
    digest_policy: Mapped[DigestPolicy] = mapped_column(
        _enum(DigestPolicy, "tenant_digest_policy"),
        default=DigestPolicy.COMPATIBLE,
        server_default=DigestPolicy.COMPATIBLE.value,
    )
    # Call park (0017): the number a call is transferred to, its slots ("701-709") and how
    # long a parked call waits before ringing its parker back; NULL = the platform's default.
    park_number: Mapped[str | None] = mapped_column(String(10))
    park_slots: Mapped[str | None] = mapped_column(String(21))
    park_timeout: Mapped[int | None] = mapped_column(Integer)
    # A beep to the monitored parties when a supervisor joins their call (0021; off: silent).
    monitor_beep: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Prepaid (0040): calls out only while the credit pays for them (billing/prepaid.py).
    prepaid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class TenantStatusChange(TenantOwned, Base):
    """The history of a tenant's status: every change with its time and reason."""

    __tablename__ = "tenant_status_changes"

    status: Mapped[TenantStatus] = mapped_column(_enum(TenantStatus, "tenant_status_change"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(String(500))


class TenantContact(TenantOwned, Base):
    """The people a provider calls about a tenant: IT admin, firewall admin, partners."""

    __tablename__ = "tenant_contacts"
    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)

    kind: Mapped[ContactKind] = mapped_column(_enum(ContactKind, "contact_kind"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))


class User(TenantOwned, Base):
    """A person of a tenant; may own an extension and log in to the portal."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[Language] = mapped_column(
        _enum(Language, "user_language"), default=Language.EN
    )
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"), default=UserRole.USER)
    password_hash: Mapped[str | None] = mapped_column(String(255))
