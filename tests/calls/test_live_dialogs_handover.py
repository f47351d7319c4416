"""Live dialogs follow a call that is handed on (calls/features/live_dialogs.py): after a blind
transfer the transferor's dialog of the call is terminated (its lamp is idle again) and the
target's is confirmed; after the call ends nobody keeps a dialog of it."""

from __future__ import annotations

from centrex.calls.live_state import DialogPhase
from tests.calls.harness import Harness
from tests.calls.test_transfer_refer import blind, h  # noqa: F401 - the fixture


async def test_the_transferor_is_no_party_after_a_blind_transfer(h: Harness) -> None:  # noqa: F811
    caller, _transferor, _sent = await blind(h)
    live = h.b2bua.core.deps.live
    assert [d.phase for d in await live.dialogs(h.tenant_id, "101")] == [DialogPhase.CONFIRMED]
    h["103"].incoming[0].answer()
    await h.settle()
    assert await live.dialogs(h.tenant_id, "101") == []
    target = await live.dialogs(h.tenant_id, "103")
    assert [(d.call_id, d.phase) for d in target] == [(caller.call_id, DialogPhase.CONFIRMED)]
    caller.bye()
    await h.settle()
    for extension in ("101", "102", "103"):
        assert await live.dialogs(h.tenant_id, extension) == [], extension
