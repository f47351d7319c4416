"""Conference rooms: a number of the tenant's plan where callers meet (issue 13, item 2).

A room is one tenant-owned row. Its number lives in the tenant's extension number space
(provisioning refuses a number an extension, a ring group or park already uses); dialling it
runs the `conference` app (`centrex/apps/conference`), which asks for `pin` when one is set,
makes a caller who enters `moderator_pin` a moderator (members then wait, with music on hold,
until a moderator is in), admits at most `max_members` callers and records the mix when
`record` is set. The PINs are kept as digits, not hashed: like a voicemail PIN they are
short, shared by the participants and shown to the tenant admin who sets them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned


class Conference(TenantOwned, Base):
    """One conference room of a tenant, reached by dialling `number`."""

    __tablename__ = "conferences"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("max_members > 1", name="max_members_several"),
    )

    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), default="")
    pin: Mapped[str | None] = mapped_column(String(16))
    moderator_pin: Mapped[str | None] = mapped_column(String(16))
    record: Mapped[bool] = mapped_column(Boolean, default=False)
    max_members: Mapped[int] = mapped_column(Integer, default=20)
