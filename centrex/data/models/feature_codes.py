"""A tenant's own feature codes and short numbers (issue 12 item 7).

`FeatureCodeChoice` keeps only the codes a tenant changed (the defaults live in
`calls/feature_codes.py`, so a new feature gets its default everywhere at once).
`ShortNumber` is a tenant-wide speed dial: `20` dials an E.164 number through the trunks.
"""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned


class FeatureCodeChoice(TenantOwned, Base):
    """The code a tenant's phones dial for the feature `feature` instead of its default."""

    __tablename__ = "feature_code_choices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "feature"),
        UniqueConstraint("tenant_id", "code"),
    )

    feature: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(16))


class ShortNumber(TenantOwned, Base):
    """A tenant-wide speed dial: dialling `number` calls `target` (E.164)."""

    __tablename__ = "short_numbers"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    number: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), default="")


class CallerIdRule(TenantOwned, Base):
    """The number a tenant presents for outside calls to `prefix` (E.164 digits, '' = every
    call): its per-route caller ID, e.g. the French DID for calls to +33 (0018)."""

    __tablename__ = "caller_id_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "prefix"),)

    prefix: Mapped[str] = mapped_column(String(15))
    number: Mapped[str] = mapped_column(String(20))
