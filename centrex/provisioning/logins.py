"""Portal logins: staff accounts (platform admins, partner staff), tenant users, sessions.

Email + password (Argon2id) for both kinds of people; a logged-in browser holds a random session
cookie whose SHA-256 is the `portal_sessions` row, so a logout or a password change ends it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import Partner, PortalSession, Role, StaffAccount, Tenant, User
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.passwords import hash_password, verify_password
from centrex.provisioning.tokens import hash_secret, new_secret

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 8


@cache
def _dummy_hash() -> str:
    """A fixed Argon2 hash checked when the e-mail is unknown, so both cases take the same time
    (made on first use: hashing at import cost every CLI command ~0.2 s)."""
    return hash_password("centrex-timing-equaliser")


def _check_email(email: str) -> str:
    value = email.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > 254 or " " in value:
        raise ValidationFailed(
            f"{email!r} is not an e-mail address", error_id="invalid-email", field="email"
        )
    return value


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"the password must have at least {MIN_PASSWORD} characters",
            error_id="weak-password",
            field="password",
        )
    return password


async def create_staff(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    role: Role,
    partner_id: int | None = None,
    name: str = "",
    language: str = "en",
) -> StaffAccount:
    """A platform admin (no partner) or a partner staff login (with its partner)."""
    address = _check_email(email)
    check_password(password)
    if role not in (Role.PLATFORM_ADMIN, Role.PARTNER):
        raise ValidationFailed("staff are platform admins or partner staff", field="role")
    if (role == Role.PARTNER) != (partner_id is not None):
        raise ValidationFailed(
            "partner staff need a partner, platform admins none", field="partner"
        )
    if partner_id is not None and await session.get(Partner, partner_id) is None:
        raise NotFound(f"partner {partner_id} not found", error_id="partner-not-found")
    taken = await session.scalar(select(StaffAccount.id).where(StaffAccount.email == address))
    if taken is not None:
        raise Conflict(f"{address} already has a login", error_id="email-taken", field="email")
    account = StaffAccount(
        email=address,
        password_hash=hash_password(password),
        role=role,
        partner_id=partner_id,
        name=name,
        language=language,
    )
    session.add(account)
    await session.flush()
    return account


async def list_staff(session: AsyncSession) -> Sequence[StaffAccount]:
    return (await session.scalars(select(StaffAccount).order_by(StaffAccount.id))).all()


@dataclass(frozen=True)
class Login:
    """Who logged in: exactly one of `staff` and `user`."""

    staff: StaffAccount | None = None
    user: User | None = None


async def authenticate(session: AsyncSession, email: str, password: str) -> Login | None:
    """The account with this e-mail and password (staff first, then tenant users), else None.

    A tenant user's e-mail is unique per tenant only; the first one whose password matches wins,
    which is the only sensible reading when one person has logins in two tenants.
    """
    address = email.strip().lower()
    staff = await session.scalar(select(StaffAccount).where(StaffAccount.email == address))
    if staff is not None and verify_password(staff.password_hash, password):
        return Login(staff=staff)
    users = (
        await session.scalars(
            select(User).where(func.lower(User.email) == address, User.password_hash.is_not(None))
        )
    ).all()
    matched = None
    for user in users:
        assert user.password_hash is not None
        if verify_password(user.password_hash, password):
            matched = user
            break
    if staff is None and not users:
        verify_password(_dummy_hash(), password)
    if matched is None:
        return None
    tenant = await session.get(Tenant, matched.tenant_id)
    if tenant is None:
        return None
    return Login(user=matched)


@dataclass(frozen=True)
class NewSession:
    row: PortalSession
    cookie: str


async def open_session(session: AsyncSession, login: Login, *, now: datetime) -> NewSession:
    cookie = new_secret("s_")
    row = PortalSession(
        token_hash=hash_secret(cookie),
        csrf_token=secrets.token_urlsafe(32),
        staff_id=login.staff.id if login.staff else None,
        user_id=login.user.id if login.user else None,
        expires_at=now + SESSION_LIFETIME,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return NewSession(row, cookie)


async def find_session(
    session: AsyncSession, cookie: str, *, now: datetime
) -> PortalSession | None:
    row = await session.scalar(
        select(PortalSession).where(PortalSession.token_hash == hash_secret(cookie))
    )
    if row is None or row.expires_at <= now:
        return None
    return row


async def close_session(session: AsyncSession, cookie: str) -> None:
    await session.execute(
        delete(PortalSession).where(PortalSession.token_hash == hash_secret(cookie))
    )
