"""Ring groups of a tenant: create, list, read, change, delete (CLI, API and portal share it).

Rules, each with a stable error id (the call feature is `calls/features/ring_group.py`):

* number: 2-10 digits, unique in the tenant among groups (`ring-group-exists`) and not an
  existing extension's number (`ring-group-number-taken`: the extension would win routing);
* strategy: simultaneous, sequential, round-robin, longest-idle or page
  (`ring-group-bad-strategy`); a `page` group (every member's phone answers by itself and
  hears the caller: `calls/features/paging.py`) has only extensions of the tenant as members
  — paging is for the tenant's own phones, an outside number is refused
  (`ring-group-page-outside-member`);
* members: 1-50, no repeats; each is an extension of *this* tenant (another tenant's 201 is
  simply unknown here: `ring-group-member-unknown`) or an outside number, normalised to E.164
  for the tenant's country (emergency numbers and undialable strings refused);
* ring_seconds: 5-300 (`ring-group-bad-ring-seconds`), default 20;
* fallback: an extension of this tenant, an outside number, `voicemail` (the first extension
  member's mailbox) or `voicemail:N` (N's mailbox; it must exist), or `flow:NAME` (the
  tenant's call flow NAME must exist).

Every query goes through `TenantScope`, so another tenant's group is "not found".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from centrex.calls.router import emergency_numbers, normalise_outbound
from centrex.data.models import (
    CallFlow,
    Conference,
    Extension,
    RingGroup,
    RingGroupMember,
    RingStrategy,
    Tenant,
    VoicemailBox,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

DEFAULT_RING_SECONDS = 20
MIN_RING_SECONDS, MAX_RING_SECONDS = 5, 300
MAX_MEMBERS = 50
VOICEMAIL = "voicemail"
FLOW_PREFIX = "flow:"
STRATEGIES = tuple(s.value for s in RingStrategy)


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group with its members, as the CLI and API show it."""

    group: RingGroup
    members: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        g = self.group
        return {
            "id": g.id,
            "number": g.number,
            "name": g.name,
            "strategy": g.strategy.value,
            "ring_seconds": g.ring_seconds,
            "members": [{"target": m} for m in self.members],
            "fallback": g.fallback,
        }


def _invalid(message: str, error_id: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field=field)


async def _tenant(scope: TenantScope) -> Tenant:
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", error_id="tenant-not-found")
    return tenant


def check_strategy(value: str) -> RingStrategy:
    try:
        return RingStrategy(value)
    except ValueError:
        raise _invalid(f"strategy must be one of {', '.join(STRATEGIES)}, not {value!r}",
                       "ring-group-bad-strategy", "strategy") from None  # fmt: skip


def check_page_members(strategy: RingStrategy, targets: Sequence[str]) -> None:
    """A paging group pages the tenant's own phones only: an outside member (which would
    be a carrier call answered by a stranger, or a mobile's voicemail) is refused."""
    if strategy is not RingStrategy.PAGE:
        return
    outside = [t for t in targets if t.startswith("+")]
    if outside:
        raise _invalid(
            f"a page group pages the tenant's phones only: {', '.join(outside)} is an outside "
            "number", "ring-group-page-outside-member", "members",
        )  # fmt: skip


def check_ring_seconds(value: int) -> int:
    if not MIN_RING_SECONDS <= value <= MAX_RING_SECONDS:
        raise _invalid(f"ring seconds must be {MIN_RING_SECONDS}-{MAX_RING_SECONDS}, not {value}",
                       "ring-group-bad-ring-seconds", "ring_seconds")  # fmt: skip
    return value


async def _check_number(scope: TenantScope, number: str, current: RingGroup | None) -> str:
    value = number.strip()
    if not (value.isascii() and value.isdigit() and 2 <= len(value) <= 10):
        raise _invalid(f"a ring group number has 2 to 10 digits, not {number!r}",
                       "ring-group-bad-number", "number")  # fmt: skip
    if await scope.first(Extension, Extension.number == value) is not None:
        raise Conflict(f"{value} is an extension of {scope.domain}",
                       error_id="ring-group-number-taken", field="number")  # fmt: skip
    if await scope.first(Conference, Conference.number == value) is not None:
        raise Conflict(f"{value} is a conference room of {scope.domain}",
                       error_id="ring-group-number-taken", field="number")  # fmt: skip
    other = await scope.first(RingGroup, RingGroup.number == value)
    if other is not None and other is not current:
        raise Conflict(f"ring group {value} exists already", error_id="ring-group-exists",
                       field="number")  # fmt: skip
    return value


async def _outside(tenant: Tenant, value: str, field: str) -> str | None:
    """`value` as an E.164 number the tenant may dial (None: not a number at all)."""
    if value.replace(" ", "") in emergency_numbers(tenant.country):
        raise _invalid(f"{value} is an emergency number", "ring-group-undialable", field)
    return normalise_outbound(value, tenant.country)


async def _check_party(scope: TenantScope, tenant: Tenant, value: str, field: str) -> str:
    """An extension of this tenant or an outside number (normalised), else an error."""
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) == tenant.extension_digits:
        if await scope.first(Extension, Extension.number == text) is None:
            raise _invalid(f"extension {text} does not exist in {scope.domain}",
                           "ring-group-member-unknown", field)  # fmt: skip
        return text
    e164 = await _outside(tenant, text, field) if text else None
    if e164 is None:
        raise _invalid(f"{value!r} is neither an extension of {scope.domain} nor a dialable "
                       "number", "ring-group-member-unknown", field)  # fmt: skip
    return e164


async def check_members(scope: TenantScope, members: Sequence[str]) -> tuple[str, ...]:
    if not members:
        raise _invalid("a ring group needs at least one member", "ring-group-no-members",
                       "members")  # fmt: skip
    if len(members) > MAX_MEMBERS:
        raise _invalid(f"a ring group has at most {MAX_MEMBERS} members",
                       "ring-group-too-many-members", "members")  # fmt: skip
    tenant = await _tenant(scope)
    found: list[str] = []
    for member in members:
        target = await _check_party(scope, tenant, member, "members")
        if target in found:
            raise _invalid(f"member {target} is listed twice", "ring-group-duplicate-member",
                           "members")  # fmt: skip
        found.append(target)
    return tuple(found)


async def check_fallback(
    scope: TenantScope, fallback: str | None, members: Sequence[str]
) -> str | None:
    """The normalised fallback DEST (None: the caller gets 480)."""
    if fallback is None or not fallback.strip():
        return None
    text = fallback.strip()
    if text.lower() == VOICEMAIL or text.lower().startswith(VOICEMAIL + ":"):
        box_of = text.partition(":")[2].strip() or next(
            (m for m in members if not m.startswith("+")), ""
        )
        extension = await scope.first(Extension, Extension.number == box_of) if box_of else None
        box = (
            await scope.first(VoicemailBox, VoicemailBox.extension_id == extension.id)
            if extension is not None
            else None
        )
        if box is None:
            raise _invalid(f"no voicemail box for {box_of or 'the group'} in {scope.domain}",
                           "ring-group-no-mailbox", "fallback")  # fmt: skip
        return f"{VOICEMAIL}:{box_of}"
    if text.lower().startswith(FLOW_PREFIX):
        name = text[len(FLOW_PREFIX) :].strip()
        if not name or await scope.first(CallFlow, CallFlow.name == name) is None:
            raise _invalid(f"call flow {name!r} does not exist in {scope.domain}",
                           "ring-group-fallback-unknown", "fallback")  # fmt: skip
        return FLOW_PREFIX + name
    return await _check_party(scope, await _tenant(scope), text, "fallback")


async def _members(scope: TenantScope, group: RingGroup) -> tuple[str, ...]:
    rows = await scope.list(
        RingGroupMember, RingGroupMember.group_id == group.id, order_by=RingGroupMember.position
    )
    return tuple(r.target for r in rows)


async def _write_members(scope: TenantScope, group: RingGroup, members: Sequence[str]) -> None:
    await scope.delete(RingGroupMember, RingGroupMember.group_id == group.id)
    await scope.session.flush()
    for position, target in enumerate(members):
        scope.add(RingGroupMember(group_id=group.id, position=position, target=target))
    await scope.session.flush()


async def create_ring_group(
    scope: TenantScope,
    *,
    number: str,
    strategy: str,
    members: Sequence[str],
    name: str = "",
    ring_seconds: int = DEFAULT_RING_SECONDS,
    fallback: str | None = None,
) -> GroupView:
    """Create a group; nothing is written when any input is refused."""
    value = await _check_number(scope, number, None)
    chosen = check_strategy(strategy)
    seconds = check_ring_seconds(ring_seconds)
    targets = await check_members(scope, members)
    check_page_members(chosen, targets)
    dest = await check_fallback(scope, fallback, targets)
    group = scope.add(RingGroup(number=value, name=name.strip(), strategy=chosen,
                                ring_seconds=seconds, fallback=dest))  # fmt: skip
    await scope.session.flush()
    await _write_members(scope, group, targets)
    return GroupView(group, targets)


async def list_ring_groups(scope: TenantScope) -> list[GroupView]:
    groups = await scope.list(RingGroup, order_by=RingGroup.number)
    return [GroupView(g, await _members(scope, g)) for g in groups]


async def get_ring_group(scope: TenantScope, number: str) -> GroupView:
    group = await scope.first(RingGroup, RingGroup.number == number.strip())
    if group is None:
        raise NotFound(f"ring group {number} not found", error_id="ring-group-not-found")
    return GroupView(group, await _members(scope, group))


async def get_ring_group_by_id(scope: TenantScope, group_id: int) -> GroupView:
    group = await scope.first(RingGroup, RingGroup.id == group_id)
    if group is None:
        raise NotFound(f"ring group {group_id} not found", error_id="ring-group-not-found")
    return GroupView(group, await _members(scope, group))


async def update_ring_group(
    scope: TenantScope,
    view: GroupView,
    *,
    number: str | None = None,
    name: str | None = None,
    strategy: str | None = None,
    ring_seconds: int | None = None,
    members: Sequence[str] | None = None,
    fallback: str | None = None,
    clear_fallback: bool = False,
) -> GroupView:
    """Change what is given (members are replaced when given); all checked before writing."""
    group = view.group
    new_number = await _check_number(scope, number, group) if number is not None else None
    chosen = check_strategy(strategy) if strategy is not None else None
    seconds = check_ring_seconds(ring_seconds) if ring_seconds is not None else None
    targets = await check_members(scope, members) if members is not None else view.members
    check_page_members(chosen or group.strategy, targets)
    dest = await check_fallback(scope, fallback, targets) if fallback is not None else None
    if new_number is not None:
        group.number = new_number
    if name is not None:
        group.name = name.strip()
    if chosen is not None:
        group.strategy = chosen
    if seconds is not None:
        group.ring_seconds = seconds
    if clear_fallback:
        group.fallback = None
    elif dest is not None:
        group.fallback = dest
    if members is not None:
        await _write_members(scope, group, targets)
    await scope.session.flush()
    return GroupView(group, targets)


async def delete_ring_group(scope: TenantScope, view: GroupView) -> None:
    await scope.delete(RingGroupMember, RingGroupMember.group_id == view.group.id)
    await scope.remove(view.group)
    await scope.session.flush()
