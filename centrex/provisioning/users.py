"""Users of a tenant: people who own extensions and may log in to the portal (tenant-scoped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func

from centrex.data.models import Extension, Language, User, UserRole
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.logins import _check_email, check_password
from centrex.provisioning.passwords import hash_password
from centrex.provisioning.validation import check_language


async def _email_free(scope: TenantScope, email: str, except_id: int | None = None) -> None:
    existing = await scope.first(User, func.lower(User.email) == email)
    if existing is not None and existing.id != except_id:
        raise Conflict(
            f"{email} is already a user of {scope.domain}", error_id="email-taken", field="email"
        )


async def create_user(
    scope: TenantScope,
    *,
    name: str,
    email: str,
    role: str = "user",
    language: str = "en",
    mobile: str | None = None,
    password: str | None = None,
) -> User:
    """A user; without a password it cannot log in to the portal (yet)."""
    if not name.strip():
        raise ValidationFailed("name is empty", error_id="invalid-name", field="name")
    address = _check_email(email)
    check_language(language)
    if role not in {r.value for r in UserRole}:
        raise ValidationFailed(f"role {role!r} is not a user role", field="role")
    await _email_free(scope, address)
    user = scope.add(
        User(
            name=name.strip(),
            email=address,
            role=UserRole(role),
            language=Language(language),
            mobile=mobile,
            password_hash=hash_password(check_password(password)) if password else None,
        )
    )
    await scope.session.flush()
    return user


async def list_users(
    scope: TenantScope,
    *,
    search: str | None = None,
    only_id: int | None = None,
) -> Sequence[User]:
    where: list[ColumnElement[bool]] = []
    if search:
        pattern = f"%{search.lower()}%"
        where.append(func.lower(User.name).like(pattern) | func.lower(User.email).like(pattern))
    if only_id is not None:
        where.append(User.id == only_id)
    return await scope.list(User, *where, order_by=User.id)


async def get_user(scope: TenantScope, user_id: int) -> User:
    user = await scope.first(User, User.id == user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", error_id="user-not-found")
    return user


async def update_user(scope: TenantScope, user: User, **changes: Any) -> User:
    """Apply the given fields (name, email, role, language, mobile, password)."""
    if user.tenant_id != scope.tenant_id:
        raise NotFound("user not found", error_id="user-not-found")
    if changes.get("name") is not None:
        if not str(changes["name"]).strip():
            raise ValidationFailed("name is empty", error_id="invalid-name", field="name")
        user.name = str(changes["name"]).strip()
    if changes.get("email") is not None:
        address = _check_email(str(changes["email"]))
        await _email_free(scope, address, user.id)
        user.email = address
    if changes.get("role") is not None:
        if changes["role"] not in {r.value for r in UserRole}:
            raise ValidationFailed(f"role {changes['role']!r} is not a user role", field="role")
        user.role = UserRole(changes["role"])
    if changes.get("language") is not None:
        user.language = Language(check_language(str(changes["language"])))
    if "mobile" in changes:
        user.mobile = changes["mobile"]
    if changes.get("password") is not None:
        user.password_hash = hash_password(check_password(str(changes["password"])))
    await scope.session.flush()
    return user


async def delete_user(scope: TenantScope, user_id: int) -> None:
    user = await get_user(scope, user_id)
    await scope.update(Extension, [Extension.user_id == user.id], user_id=None)
    await scope.remove(user)
    await scope.session.flush()
