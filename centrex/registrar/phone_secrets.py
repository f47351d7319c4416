"""The short-lived secrets the digest gate accepts besides a device's own password.

`PhoneSecretLookup` implements `auth.ExtraSecrets` over the `phone_credentials` table (issued
by `provisioning/phone_credentials.py` to a logged-in user's browser softphone). The lookup is
by tenant *and* extension number and only returns secrets not yet expired and issued to the
user who still owns the extension, so a secret authenticates exactly one extension of one
tenant, for a bounded time, and dies when the extension is given to someone else.

No cache: it runs only when a response did not match the device's own HA1 (a browser's
registration refresh or call, or a wrong password), a credential must work the moment it is
issued, and any worker of a multi-worker server must see it, so the database is the truth.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from centrex.data.db import Database
from centrex.data.models import Extension, PhoneCredential

log = logging.getLogger(__name__)
MAX_LIVE = 20  # a bound on the HA1s tried per request (issuing keeps fewer live per extension)


class PhoneSecretLookup:
    """HA1s of the live phone credentials of one extension (see the module doc)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def ha1s(self, tenant_id: int, number: str, algorithm: str, now: float) -> list[str]:
        """HA1s for `algorithm` (MD5 or SHA-256) valid at `now` (epoch seconds), newest first;
        empty on a database error (the request is then refused, never let through)."""
        column = {"MD5": PhoneCredential.ha1_md5, "SHA-256": PhoneCredential.ha1_sha256}.get(
            algorithm.upper()
        )
        if column is None:
            return []
        stmt = (
            select(column)
            .join(Extension, Extension.id == PhoneCredential.extension_id)
            .where(
                PhoneCredential.tenant_id == tenant_id,
                Extension.tenant_id == tenant_id,
                Extension.number == number,
                # the user it was issued to still owns the extension (reassigned: void)
                Extension.user_id == PhoneCredential.user_id,
                PhoneCredential.expires_at > datetime.fromtimestamp(now, UTC),
            )
            .order_by(PhoneCredential.expires_at.desc())
            .limit(MAX_LIVE)
        )
        try:
            async with self._database.session() as session:
                return [str(value) for value in (await session.scalars(stmt)).all()]
        except (SQLAlchemyError, OSError) as exc:
            log.warning(
                "phone credentials of %s (tenant %s) unreadable: %s", number, tenant_id, exc
            )
            return []
