"""Registrar bindings (RFC 3261 §10.3): persisted so that a restart loses no registration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime


class RegistrarBinding(TenantOwned, Base):
    """One contact bound to an address-of-record of a tenant, until `expires_at`.

    `source_*` and `transport` are where the REGISTER came from (the flow to reach the phone
    through its NAT, RFC 5626 §5); `call_id`/`cseq` enforce the ordering of §10.3 step 7.
    """

    __tablename__ = "registrar_bindings"
    __table_args__ = (UniqueConstraint("tenant_id", "user", "contact_key"),)

    user: Mapped[str] = mapped_column(String(64))
    aor: Mapped[str] = mapped_column(String(320))
    contact: Mapped[str] = mapped_column(String(1000))
    contact_key: Mapped[str] = mapped_column(String(255))
    q: Mapped[float | None] = mapped_column(Float)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    call_id: Mapped[str] = mapped_column(String(255))
    cseq: Mapped[int] = mapped_column(Integer)
    source_host: Mapped[str] = mapped_column(String(64))
    source_port: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(8))
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    instance: Mapped[str | None] = mapped_column(String(255))
    reg_id: Mapped[int | None] = mapped_column(Integer)
