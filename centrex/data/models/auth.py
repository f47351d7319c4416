"""Who may use the API and the portal: staff logins, API tokens, portal sessions, idempotency.

Tenant users log in with the `users` table (tenancy.py). Platform admins and partner staff have
no tenant, so they live in `staff_accounts`. Every secret handed to a client (API token, session
cookie) is stored only as its SHA-256: the value is high-entropy random, so a plain hash is
enough and a database leak gives nobody a working credential.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, IdMixin, UtcDateTime
from centrex.data.models.tenancy import _enum


class Role(StrEnum):
    """The roles of the API (shared/DESIGN.md §5); agent and supervisor come with later issues."""

    PLATFORM_ADMIN = "platform-admin"
    PARTNER = "partner"
    TENANT_ADMIN = "tenant-admin"
    USER = "user"
    AGENT = "agent"
    SUPERVISOR = "supervisor"


class StaffAccount(IdMixin, Base):
    """A portal login of the provider (platform admin) or of a reseller (partner staff)."""

    __tablename__ = "staff_accounts"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "staff_role"))
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(2), default="en")


class ApiToken(IdMixin, Base):
    """A bearer token for integrators. Only `token_hash` is kept; `prefix` helps people tell
    tokens apart in a list without revealing them."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(_enum(Role, "token_role"))
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PortalSession(IdMixin, Base):
    """A logged-in browser. Server-side so logout and revocation take effect at once."""

    __tablename__ = "portal_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IdempotencyRecord(IdMixin, Base):
    """The stored answer to a POST with an `Idempotency-Key`, replayed for the same principal."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    principal: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[str] = mapped_column(Text, default="")
