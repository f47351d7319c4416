"""Call screening lists of a tenant: block and allow entries (issue 12 item 5).

One row per entry: which list (`block`/`allow`), which direction (`inbound` callers, `outbound`
dialled numbers), the pattern (an E.164 number, a `+prefix*` or `anonymous`, stored as
`calls/features/screening_rules.check_pattern` normalised it), the action for a refused inbound
call (`reject`: 603, `voicemail`) and an optional extension (NULL: tenant-wide). The extension
goes with its entries (ON DELETE CASCADE): an entry never outlives what it screens. A repeated
entry is refused by `provisioning/screening.py` (409), not by a unique index: NULL extensions
would make one useless.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned


class ScreeningEntry(TenantOwned, Base):
    """One blocklist or allowlist entry of a tenant."""

    __tablename__ = "screening_entries"
    __table_args__ = (
        CheckConstraint("list_kind IN ('block', 'allow')", name="list_kind"),
        CheckConstraint("direction IN ('inbound', 'outbound')", name="direction"),
        CheckConstraint("action IN ('reject', 'voicemail')", name="action"),
    )

    list_kind: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(8))
    pattern: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(16), default="reject")
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), index=True
    )
