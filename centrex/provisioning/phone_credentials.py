"""Phone credentials: what the browser softphone registers with instead of the SIP password.

A logged-in user who owns an extension asks for a credential (`POST /api/v1/me/phone-credential`)
and gets a random secret valid for `PHONE_CREDENTIAL_TTL` (12 hours). Only its HA1 values are
stored (`phone_credentials`), like every SIP password; the registrar's digest gate accepts the
secret, as the extension's own digest username, for that extension only and until it expires
(`registrar/phone_secrets.py`). So the page never holds the SIP password, a stolen credential
dies on its own, and the extension's phones keep their password.

Tenant isolation: everything goes through the caller's `TenantScope` and the caller's own user
id: the extension is the one *that user* owns in *that tenant*, never one named in the request.
Each issue also deletes the extension's expired credentials and keeps at most
`MAX_LIVE_PER_EXTENSION` live ones (a page reloaded a hundred times does not grow the table).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from centrex.data.models import Extension, PhoneCredential, User
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.provisioning.credentials import ha1

PHONE_CREDENTIAL_TTL = timedelta(hours=12)
MAX_LIVE_PER_EXTENSION = 5
SECRET_BYTES = 24  # 32 URL-safe characters, ~192 bits: an HA1 of it cannot be brute-forced


@dataclass(frozen=True, slots=True)
class IssuedPhoneCredential:
    """What the softphone needs; `secret` exists only here (the database keeps its HA1s)."""

    number: str
    domain: str
    secret: str
    display_name: str
    expires_at: datetime

    @property
    def sip_uri(self) -> str:
        return f"sip:{self.number}@{self.domain}"


async def extension_of_user(scope: TenantScope, user_id: int | None) -> tuple[User, Extension]:
    """The caller's user and the extension it owns (its lowest-numbered one, when several);
    404 when the caller is no user of this tenant or owns no extension."""
    user = await scope.first(User, User.id == user_id) if user_id is not None else None
    if user is None:
        raise NotFound(
            "a phone credential is for a user of the tenant: log in as that user",
            error_id="phone-user-not-found",
        )
    owned = await scope.list(Extension, Extension.user_id == user.id, order_by=Extension.number)
    if not owned:
        raise NotFound(
            f"user {user.email} has no extension: ask an administrator to give it one",
            error_id="phone-extension-not-found",
        )
    return user, owned[0]


async def issue_phone_credential(
    scope: TenantScope,
    *,
    user_id: int | None,
    now: datetime,
    ttl: timedelta = PHONE_CREDENTIAL_TTL,
) -> IssuedPhoneCredential:
    """A new short-lived secret for the extension of `user_id` (see the module doc)."""
    user, extension = await extension_of_user(scope, user_id)
    await scope.delete(
        PhoneCredential,
        PhoneCredential.extension_id == extension.id,
        PhoneCredential.expires_at <= now,
    )
    live = await scope.list(
        PhoneCredential,
        PhoneCredential.extension_id == extension.id,
        order_by=PhoneCredential.expires_at.desc(),
    )
    for old in live[MAX_LIVE_PER_EXTENSION - 1 :]:
        await scope.remove(old)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    expires_at = (now + ttl).replace(microsecond=0)
    # the digest username of a phone credential is the extension number (the registrar finds
    # the extension by it), the realm the tenant's domain, as the gate checks them
    scope.add(
        PhoneCredential(
            extension_id=extension.id,
            user_id=user.id,
            ha1_md5=ha1(extension.number, scope.domain, secret, "MD5"),
            ha1_sha256=ha1(extension.number, scope.domain, secret, "SHA-256"),
            expires_at=expires_at,
            created_at=now,
        )
    )
    await scope.session.flush()
    return IssuedPhoneCredential(
        number=extension.number,
        domain=scope.domain,
        secret=secret,
        display_name=extension.display_name or user.name,
        expires_at=expires_at,
    )


async def revoke_phone_credentials(scope: TenantScope, *, user_id: int) -> int:
    """Delete every phone credential issued to a user (e.g. at logout); returns how many."""
    return await scope.delete(PhoneCredential, PhoneCredential.user_id == user_id)
