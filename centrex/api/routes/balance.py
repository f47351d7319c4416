"""/api/v1/balance: a tenant's prepaid credit (issue 20 items 2 and 4).

* `GET /balance`: `{"balance": "…", "reserved": "…", "currency": "…", "prepaid": bool}`
  (amounts as decimal strings; `reserved` is what the tenant's calls in progress hold);
* `POST /balance/top-ups` `{"amount": "10.00", "reference"?}`: a top-up (a ledger entry),
  201 with the new balance; an amount that is not a positive decimal with at most 4 places is
  422 (`invalid-amount`);
* `GET /balance/ledger`: `{total, items: [{id, at, kind, amount, balance_after, reference,
  call_id}]}`, newest first (`limit`, `offset`).

Who may: a tenant admin reads its own tenant's balance and ledger; a platform admin or a
partner reads any tenant it reaches (`Centrex-Tenant`) and is the only one who may top up (a
tenant pays its provider, it does not credit itself). A plain user is 403; a tenant out of
reach is 404, as everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, StringConstraints

from centrex.api.auth import Caller, Now, Scope, require_staff, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page
from centrex.api.schemas import NO_CONTROL, Strict, text
from centrex.billing import prepaid
from centrex.data.models import Tenant
from centrex.data.models.prepaid import CreditLedgerEntry

router = APIRouter(prefix="/api/v1", tags=["balance"], responses=PROBLEM_RESPONSES)

# loose bounds here; the exact rule and its error id are the service's (`parse_amount`)
Amount = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=NO_CONTROL)]
Reference = Annotated[str, text(200)]


class TopUpIn(Strict):
    amount: Amount
    reference: Reference | None = None


class BalanceOut(BaseModel):
    balance: str
    reserved: str
    currency: str
    prepaid: bool


class LedgerEntryOut(BaseModel):
    id: int
    at: datetime
    kind: str
    amount: str
    balance_after: str
    reference: str | None
    call_id: str | None


def _entry(row: CreditLedgerEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "kind": row.kind,
        "amount": str(row.amount.quantize(prepaid.QUANTUM)),
        "balance_after": str(row.balance_after.quantize(prepaid.QUANTUM)),
        "reference": row.reference,
        "call_id": row.call_id,
    }


async def _view(scope: Scope) -> dict[str, Any]:
    state = await prepaid.balance(scope)
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    return {**state.as_json(), "prepaid": tenant is not None and prepaid.is_prepaid(tenant)}


@router.get("/balance", response_model=BalanceOut)
async def get_balance(scope: Scope, caller: Caller) -> dict[str, Any]:
    """The tenant's prepaid balance, its reserved credit and its currency."""
    require_tenant_admin(caller)
    return await _view(scope)


@router.post("/balance/top-ups", status_code=201, response_model=BalanceOut)
async def add_top_up(
    body: TopUpIn, scope: Scope, caller: Caller, now: Now, response: Response
) -> dict[str, Any]:
    """Credit the tenant (platform admin or its partner only)."""
    require_staff(caller)
    await prepaid.top_up(scope, body.amount, reference=body.reference, now=now)
    response.headers["Location"] = "/api/v1/balance"
    return await _view(scope)


@router.get("/balance/ledger", response_model=Page[LedgerEntryOut])
async def get_ledger(scope: Scope, caller: Caller, listing: Listing) -> dict[str, Any]:
    """Every change of the tenant's credit, newest first."""
    require_tenant_admin(caller)
    total, rows = await prepaid.ledger(scope, limit=listing.limit, offset=listing.offset)
    return {"total": total, "items": [_entry(r) for r in rows]}
