"""The tenant's own call dispositions of the outbound contact center (issue 15 item 1).

A disposition is what the agent records when a call to a lead ends ("sale", "not interested",
...). The system ones (`contact_center/dispositions.py`: sale, not-interested, wrong-number,
do-not-call, callback, answering-machine) exist for every tenant without a row; this table
holds only the codes a tenant adds. `final`: the lead is done once dispositioned with it (else
the dialer may call it again). Leads and attempts keep the *code* as a string
(`leads.disposition`, `lead_attempts.disposition`), so removing a code from the list never
rewrites the history or the statistics counted from it.

Named `LeadDisposition` because `Disposition` is the CDR's end-of-call enum.
"""

from __future__ import annotations

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned


class LeadDisposition(TenantOwned, Base):
    """One disposition code a tenant added to the system ones."""

    __tablename__ = "dispositions"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64))
    final: Mapped[bool] = mapped_column(Boolean, default=True)
