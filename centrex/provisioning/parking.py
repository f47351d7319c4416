"""A tenant's call park settings: its park number, its slots and the ring-back time-out.

`centrex tenant set-park DOMAIN --number 800 --slots 801-819 --timeout 90` and `PATCH
/api/v1/tenants/{id}` (`park_number`, `park_slots`, `park_timeout`) land here. Nothing the
tenant dials already may be taken: a park number or slot that is one of the tenant's
extensions or ring groups is a conflict naming it (the router would send that number to the
extension, and the slot could never be retrieved). `reset` goes back to the platform's
700 / 701-709 / 60 s. Calls see a change when the tenant's plan is next read.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.features.park_lot import DEFAULT_NUMBER, DEFAULT_SLOTS, check_lot
from centrex.data.models import Conference, Extension, RingGroup, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, ValidationFailed
from centrex.provisioning.platform_views import DEFAULT_PARK_TIMEOUT

MIN_TIMEOUT = 10
MAX_TIMEOUT = 3600
DEFAULT_TIMEOUT = DEFAULT_PARK_TIMEOUT


async def set_park(
    session: AsyncSession,
    tenant: Tenant,
    *,
    number: str | None = None,
    slots: str | None = None,
    seconds: int | None = None,
    reset: bool = False,
) -> Tenant:
    """Change what is given (None leaves it; `seconds` is the ring-back time-out); `reset`
    first returns to the defaults."""
    if reset:
        tenant.park_number = tenant.park_slots = tenant.park_timeout = None
    if seconds is not None and not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:
        raise ValidationFailed(
            f"park_timeout must be {MIN_TIMEOUT} to {MAX_TIMEOUT} seconds, got {seconds}",
            error_id="bad-park-timeout", field="park_timeout",
        )  # fmt: skip
    new_number = number if number is not None else tenant.park_number or DEFAULT_NUMBER
    new_slots = slots if slots is not None else tenant.park_slots or DEFAULT_SLOTS
    lot = check_lot(new_number, new_slots)
    scope = TenantScope(session, tenant.id, tenant.domain)
    taken = {e.number: "an extension" for e in await scope.list(Extension)}
    taken.update({g.number: "a ring group" for g in await scope.list(RingGroup)})
    taken.update({c.number: "a conference room" for c in await scope.list(Conference)})
    for candidate in (lot.number, *lot.slots):
        if candidate in taken:
            raise Conflict(
                f"{candidate} is {taken[candidate]} of {tenant.domain}: choose park numbers "
                "the tenant does not use", error_id="park-number-taken", field="park_slots",
            )  # fmt: skip
    if number is not None:
        tenant.park_number = lot.number
    if slots is not None:
        tenant.park_slots = f"{lot.slots[0]}-{lot.slots[-1]}"
    if seconds is not None:
        tenant.park_timeout = seconds
    await session.flush()
    return tenant
