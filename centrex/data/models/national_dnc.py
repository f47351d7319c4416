"""National do-not-call lists (Bloctel in France, the TPS in the UK, ...): platform tables.

A national list is imported by the provider (the platform operator), not by a tenant, and binds
every tenant's campaigns: a number on it is never dialled by anyone, and no tenant can opt out.
So these tables are *not* tenant-owned (no `tenant_id`, no `TenantScope`): a tenant never reads
them, it only learns that one of its own numbers is blocked and by which list.

Lists hold millions of numbers, so `national_dnc_numbers` is kept narrow: the key is
(`list_id`, `number`) — the unique pair the import relies on — and a second index on `number`
alone answers the only question the dialer asks ("which of these numbers is listed?") with an
index lookup per number, whatever the list's size.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, IdMixin, UtcDateTime


class NationalDncList(IdMixin, Base):
    """One national list of one country (ISO 3166-1 alpha-2), with its last import's time."""

    __tablename__ = "national_dnc_lists"
    __table_args__ = (UniqueConstraint("country", "name"),)

    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    count: Mapped[int] = mapped_column(Integer, default=0)


class NationalDncNumber(Base):
    """One E.164 number of a national list (the pair is the primary key: unique per list)."""

    __tablename__ = "national_dnc_numbers"
    __table_args__ = (Index("ix_national_dnc_numbers_number", "number"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("national_dnc_lists.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
