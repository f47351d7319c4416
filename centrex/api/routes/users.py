"""/api/v1/users: people of a tenant. A plain user sees and edits only itself."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from centrex.api.auth import Caller, Principal, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import Email, IdPath, Language, Name, Password, Phone, Strict
from centrex.data.models import User
from centrex.data.tenancy import TenantScope
from centrex.errors import Forbidden, NotFound
from centrex.provisioning import users as service
from centrex.provisioning.views import user_view

RoleName = Literal["tenant-admin", "user", "agent", "supervisor"]

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=PROBLEM_RESPONSES)


class UserIn(Strict):
    name: Name
    email: Email
    role: RoleName = "user"
    language: Language = "en"
    mobile: Phone | None = None
    password: Password | None = None


class UserPatch(Strict):
    name: Name | None = None
    email: Email | None = None
    role: RoleName | None = None
    language: Language | None = None
    mobile: Phone | None = None
    password: Password | None = None


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    mobile: str | None
    language: str
    role: str
    can_log_in: bool


def _view(user: User) -> dict[str, Any]:
    view = user_view(user)
    view["can_log_in"] = user.password_hash is not None
    return view


async def _get(scope: TenantScope, caller: Principal, user_id: int) -> User:
    if not caller.is_tenant_admin and user_id != caller.user_id:
        raise NotFound(f"user {user_id} not found", error_id="user-not-found")
    return await service.get_user(scope, user_id)


@router.get("", response_model=Page[UserOut])
async def list_users(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    only = None if caller.is_tenant_admin else (caller.user_id or -1)
    users = await service.list_users(scope, only_id=only)
    return paginate(
        [_view(u) for u in users],
        query,
        orders=("id", "name", "email", "role"),
        searchable=("name", "email"),
    )


@router.post("", status_code=201, response_model=UserOut)
async def create_user(
    body: UserIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    user = await service.create_user(
        scope,
        name=body.name,
        email=body.email,
        role=body.role,
        language=body.language,
        mobile=body.mobile,
        password=body.password,
    )
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return _view(user)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    return _view(await _get(scope, caller, user_id))


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: IdPath, body: UserPatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    user = await _get(scope, caller, user_id)
    changes = body.model_dump(exclude_unset=True)
    if not caller.is_tenant_admin and "role" in changes:
        raise Forbidden("a user cannot change its own role")
    await service.update_user(scope, user, **changes)
    return _view(user)


@router.delete("/{user_id}", status_code=204)
async def delete_user(user_id: IdPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.delete_user(scope, user_id)
    return Response(status_code=204)
