"""Number ranges (provider) and DIDs (assigned to tenants and routed to destinations)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import (
    CallQueue,
    Conference,
    Extension,
    Number,
    NumberRange,
    NumberState,
    RingGroup,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.validation import normalise_e164

MAX_RANGE_SIZE = 100_000


async def add_range(
    session: AsyncSession, first: str, last: str, *, description: str = ""
) -> tuple[NumberRange, int]:
    """A contiguous block of DIDs; creates its numbers as `free`. Returns the range and count."""
    first_e164 = normalise_e164(first)
    last_e164 = normalise_e164(last)
    if len(first_e164) != len(last_e164) or int(first_e164[1:]) > int(last_e164[1:]):
        raise ValidationFailed(
            f"range {first_e164}–{last_e164} is not ascending with equal lengths",
            error_id="invalid-range",
        )
    low, high = int(first_e164[1:]), int(last_e164[1:])
    size = high - low + 1
    if size > MAX_RANGE_SIZE:
        raise ValidationFailed(
            f"range of {size} numbers is larger than {MAX_RANGE_SIZE}", error_id="range-too-large"
        )
    for existing in (await session.scalars(select(NumberRange))).all():
        if int(existing.first[1:]) <= high and low <= int(existing.last[1:]):
            raise Conflict(
                f"range overlaps {existing.first}–{existing.last}", error_id="range-overlaps"
            )
    number_range = NumberRange(first=first_e164, last=last_e164, description=description)
    session.add(number_range)
    await session.flush()
    width = len(first_e164) - 1
    wanted = [f"+{value:0{width}d}" for value in range(low, high + 1)]
    existing_numbers = {
        n.e164: n
        for n in (await session.scalars(select(Number).where(Number.e164.in_(wanted)))).all()
    }
    for e164 in wanted:
        if e164 in existing_numbers:
            existing_numbers[e164].range_id = number_range.id
        else:
            session.add(Number(e164=e164, range_id=number_range.id, state=NumberState.FREE))
    await session.flush()
    return number_range, size


async def list_ranges(session: AsyncSession) -> Sequence[NumberRange]:
    return (await session.scalars(select(NumberRange).order_by(NumberRange.first))).all()


async def assign_number(
    scope: TenantScope,
    e164: str,
    *,
    now: datetime,
    country: str | None = None,
    extension_number: str | None = None,
    ring_group_number: str | None = None,
    conference_number: str | None = None,
    queue_number: str | None = None,
) -> Number:
    """Give a DID to this tenant (creating it if no range holds it) and route it to an extension
    or to one of its ring groups (the group's members ring).

    A number held by another tenant is a conflict whatever its state; a number of this tenant
    can be re-pointed to another extension.
    """
    normalised = normalise_e164(e164, country)
    chosen = (extension_number, ring_group_number, conference_number, queue_number)
    if sum(d is not None for d in chosen) > 1:
        raise ValidationFailed(
            "a number goes to one extension, ring group, conference room or queue",
            error_id="number-two-destinations",
            field="conference" if conference_number is not None else "ring_group",
        )  # fmt: skip
    group = await ring_group_of(scope, ring_group_number) if ring_group_number else None
    room = await conference_of(scope, conference_number) if conference_number else None
    queue = await queue_of(scope, queue_number) if queue_number else None
    destination: Extension | None = None
    if extension_number is not None:
        destination = await scope.first(Extension, Extension.number == extension_number)
        if destination is None:
            raise NotFound(
                f"extension {extension_number} not found in {scope.domain}",
                error_id="extension-not-found",
                field="extension",
            )
    number = await scope.session.scalar(select(Number).where(Number.e164 == normalised))
    if number is None:
        number = Number(e164=normalised)
        scope.session.add(number)
    elif number.tenant_id is not None and number.tenant_id != scope.tenant_id:
        raise Conflict(
            f"number {normalised} is assigned to another tenant", error_id="number-taken"
        )
    elif number.tenant_id is None and number.state not in (NumberState.FREE, None):
        raise Conflict(
            f"number {normalised} is {number.state.value} and cannot be assigned",
            error_id="number-unavailable",
        )
    number.tenant_id = scope.tenant_id
    number.state = NumberState.ASSIGNED
    number.state_changed_at = now
    number.extension_id = destination.id if destination is not None else None
    number.ring_group_id = group.id if group is not None else None
    number.conference_id = room.id if room is not None else None
    number.queue_id = queue.id if queue is not None else None
    await scope.session.flush()
    return number


async def conference_of(scope: TenantScope, number: str) -> Conference:
    """The tenant's conference room with this number (another tenant's is not found)."""
    room = await scope.first(Conference, Conference.number == number)
    if room is None:
        raise NotFound(f"conference {number} not found in {scope.domain}",
                       error_id="conference-not-found", field="conference")  # fmt: skip
    return room


async def queue_of(scope: TenantScope, number: str) -> CallQueue:
    """The tenant's ACD queue with this number (another tenant's is not found)."""
    queue = await scope.first(CallQueue, CallQueue.number == number)
    if queue is None:
        raise NotFound(f"queue {number} not found in {scope.domain}",
                       error_id="queue-not-found", field="queue")  # fmt: skip
    return queue


async def ring_group_of(scope: TenantScope, number: str) -> RingGroup:
    """The tenant's ring group with this number (another tenant's is not found)."""
    group = await scope.first(RingGroup, RingGroup.number == number)
    if group is None:
        raise NotFound(f"ring group {number} not found in {scope.domain}",
                       error_id="ring-group-not-found", field="ring_group")  # fmt: skip
    return group


async def list_numbers(scope: TenantScope) -> Sequence[Number]:
    return await scope.list(Number, order_by=Number.e164)


async def get_number(scope: TenantScope, e164: str) -> Number:
    number = await scope.first(Number, Number.e164 == normalise_e164(e164))
    if number is None:
        raise NotFound(f"number {e164} not found in {scope.domain}", error_id="number-not-found")
    return number


async def release_number(scope: TenantScope, e164: str, *, now: datetime) -> Number:
    """Take a DID back from the tenant: it ages before anyone else may get it."""
    number = await get_number(scope, e164)
    number.tenant_id = None
    number.extension_id = None
    number.ring_group_id = None
    number.conference_id = None
    number.queue_id = None
    number.state = NumberState.AGEING
    number.state_changed_at = now
    await scope.session.flush()
    return number


async def extension_numbers(scope: TenantScope) -> dict[int, str]:
    """extension id → E.164 of the tenant's numbers routed to it (first one wins)."""
    result: dict[int, str] = {}
    for number in await list_numbers(scope):
        if number.extension_id is not None:
            result.setdefault(number.extension_id, number.e164)
    return result
