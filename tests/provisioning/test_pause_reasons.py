"""Pause reasons (provisioning/pause_reasons.py) on SQLite and PostgreSQL: the defaults on first
use, add, every refused input with its error id (nothing written), rename (the agents paused
with the reason follow it), delete (not while an agent is paused with it, not the last one),
and tenant isolation (B neither sees, renames nor deletes A's reasons, and may reuse a code)."""

from __future__ import annotations

from typing import Any

import pytest

from centrex.calls.features import agent_state
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.errors import CentrexError, Conflict, NotFound, ValidationFailed
from centrex.provisioning import extensions, tenants
from centrex.provisioning import pause_reasons as service

A, B = "a.pause.test", "b.pause.test"


async def _world(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as session:
        for domain in (A, B):
            await tenants.create_tenant(session, now=clock.utcnow(), name=domain, domain=domain,
                                        extension_digits=3, max_calls=5)  # fmt: skip
        scope = await tenants.scope_for(session, A)
        await extensions.create_extension(scope, number="101", voicemail=False)


async def _reasons(db: Database, domain: str = A) -> list[tuple[int, str]]:
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, domain)
        return [(r["code"], r["label"]) for r in await service.list_reasons(scope)]


async def _call(db: Database, name: str, *args: Any, domain: str = A, **kwargs: Any) -> Any:
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, domain)
        return await getattr(service, name)(scope, *args, **kwargs)


async def _id(db: Database, code: int, domain: str = A) -> int:
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, domain)
        [found] = [r["id"] for r in await service.list_reasons(scope) if r["code"] == code]
        return int(found)


DEFAULTS = [(1, "break"), (2, "lunch"), (3, "meeting")]


async def test_add_rename_delete(db: Database, clock: ManualClock) -> None:
    await _world(db, clock)
    assert await _reasons(db) == DEFAULTS
    added = await _call(db, "add_reason", code=" 7 ", label="  Training ")
    assert (added["code"], added["label"]) == (7, "Training")
    assert await _reasons(db) == [*DEFAULTS, (7, "Training")]
    renamed = await _call(db, "rename_reason", added["id"], label="Coaching")
    assert renamed == {"id": added["id"], "code": 7, "label": "Coaching"}
    assert await _call(db, "delete_reason", added["id"]) == renamed
    assert await _reasons(db) == DEFAULTS
    # the agents' own lookup sees the same list
    async with db.transaction() as session:
        assert await agent_state.pause_reasons(await tenants.scope_for(session, A)) == DEFAULTS


async def test_add_on_a_fresh_tenant_keeps_the_defaults(db: Database, clock: ManualClock) -> None:
    await _world(db, clock)
    await _call(db, "add_reason", code=9, label="Admin", domain=B)
    assert await _reasons(db, B) == [*DEFAULTS, (9, "Admin")]


@pytest.mark.parametrize(
    ("kwargs", "error", "error_id"),
    [
        ({"code": 0, "label": "x"}, ValidationFailed, "pause-reason-bad-code"),
        ({"code": 10, "label": "x"}, ValidationFailed, "pause-reason-bad-code"),
        ({"code": "two", "label": "x"}, ValidationFailed, "pause-reason-bad-code"),
        ({"code": "", "label": "x"}, ValidationFailed, "pause-reason-bad-code"),
        ({"code": 5, "label": "   "}, ValidationFailed, "pause-reason-bad-label"),
        ({"code": 5, "label": "x" * 65}, ValidationFailed, "pause-reason-bad-label"),
        ({"code": 5, "label": "a\nb"}, ValidationFailed, "pause-reason-bad-label"),
        ({"code": 5, "label": "42"}, ValidationFailed, "pause-reason-bad-label"),
        ({"code": 2, "label": "Coffee"}, Conflict, "pause-reason-code-taken"),
        ({"code": 5, "label": "LUNCH"}, Conflict, "pause-reason-label-taken"),
    ],
)
async def test_refused_additions(
    db: Database,
    clock: ManualClock,
    kwargs: dict[str, Any],
    error: type[CentrexError],
    error_id: str,
) -> None:
    await _world(db, clock)
    with pytest.raises(error) as caught:
        await _call(db, "add_reason", **kwargs)
    assert caught.value.error_id == error_id
    assert await _reasons(db) == DEFAULTS


async def test_longest_label_is_stored(db: Database, clock: ManualClock) -> None:
    await _world(db, clock)
    await _call(db, "add_reason", code=4, label="é" * service.MAX_LABEL)
    assert (await _reasons(db))[-1] == (4, "é" * service.MAX_LABEL)


async def test_rename_follows_paused_agents_and_refuses_duplicates(
    db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    lunch = await _id(db, 2)
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, A)
        await agent_state.set_agent_state(scope, "101", "paused", clock.utcnow(), reason="2")
    with pytest.raises(Conflict) as caught:
        await _call(db, "rename_reason", lunch, label="Break")
    assert caught.value.error_id == "pause-reason-label-taken"
    with pytest.raises(ValidationFailed):
        await _call(db, "rename_reason", lunch, label="")
    assert await _reasons(db) == DEFAULTS
    await _call(db, "rename_reason", lunch, label="Lunch break")
    async with db.transaction() as session:
        view = await agent_state.agent_view(await tenants.scope_for(session, A), "101")
    assert (view.state.value, view.reason) == ("paused", "Lunch break")


async def test_delete_refused_while_in_use_and_for_the_last(
    db: Database, clock: ManualClock
) -> None:
    await _world(db, clock)
    lunch, other = await _id(db, 2), [await _id(db, 1), await _id(db, 3)]
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, A)
        await agent_state.set_agent_state(scope, "101", "paused", clock.utcnow(), reason="lunch")
    with pytest.raises(Conflict) as caught:
        await _call(db, "delete_reason", lunch)
    assert caught.value.error_id == "pause-reason-in-use"
    assert "101" in caught.value.message
    assert await _reasons(db) == DEFAULTS
    for reason_id in other:
        await _call(db, "delete_reason", reason_id)
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, A)
        await agent_state.set_agent_state(scope, "101", "ready", clock.utcnow())
    with pytest.raises(Conflict) as caught:
        await _call(db, "delete_reason", lunch)
    assert caught.value.error_id == "pause-reason-last"
    assert await _reasons(db) == [(2, "lunch")]


async def test_another_tenants_reasons_are_not_found(db: Database, clock: ManualClock) -> None:
    await _world(db, clock)
    lunch = await _id(db, 2)
    for name, kwargs in (("get_reason", {}), ("rename_reason", {"label": "x"}),
                         ("delete_reason", {})):  # fmt: skip
        with pytest.raises(NotFound) as caught:
            await _call(db, name, lunch, domain=B, **kwargs)
        assert caught.value.error_id == "pause-reason-not-found"
    assert await _reasons(db) == DEFAULTS
    await _call(db, "add_reason", code=7, label="Training")
    await _call(db, "add_reason", code=7, label="Training", domain=B)  # codes are per tenant
    assert (7, "Training") in await _reasons(db, B)
