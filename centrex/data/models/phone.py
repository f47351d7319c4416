"""Phone credentials: short-lived SIP secrets for the browser softphone (issue 14).

The softphone page never sees an extension's SIP password. It asks the API for a credential;
the API stores only its HA1 values (as for every SIP password, RFC 7616 §3.4.2) with an expiry,
and the registrar's digest gate accepts the secret for that one extension until then. A table
rather than process memory so that every worker (`serve --workers N`) and a restart agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime


class PhoneCredential(TenantOwned, Base):
    """One short-lived secret of an extension, issued to a logged-in user, as HA1s."""

    __tablename__ = "phone_credentials"
    __table_args__ = (Index("ix_phone_credentials_extension_expiry", "extension_id", "expires_at"),)

    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ha1_md5: Mapped[str] = mapped_column(String(32))
    ha1_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
