"""/api/v1/me: who the caller is (the portal starts here). Health lives in `routes/ops.py`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from centrex.api.auth import Caller
from centrex.api.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


class MeOut(BaseModel):
    role: str
    name: str
    partner_id: int | None
    tenant_id: int | None
    user_id: int | None
    language: str | None


@router.get("/me", tags=["auth"], response_model=MeOut)
async def me(caller: Caller) -> dict[str, Any]:
    return {
        "role": caller.role.value,
        "name": caller.name,
        "partner_id": caller.partner_id,
        "tenant_id": caller.tenant_id,
        "user_id": caller.user_id,
        "language": caller.language,
    }
