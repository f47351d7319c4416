"""RFC 3261 §9.1: "If no provisional response has been received, the CANCEL request MUST NOT be
sent; rather, the client MUST wait for the arrival of a provisional response before sending the
request." A fork given up on before its phone said anything gets its CANCEL once a provisional
arrives; a final response instead needs none; a late 2xx is ACKed and BYE'd (§15)."""

from __future__ import annotations

from centrex.calls.leg import LegState
from tests.calls.harness import Harness


async def silent_second_device(h: Harness) -> None:
    """102b's transaction layer sends no 100 Trying: it is silent until the test speaks."""
    await h.register("101", "102", "102b")
    h["102b"].endpoint.auto_trying = False


async def test_the_cancel_waits_for_the_silent_forks_first_provisional(h: Harness) -> None:
    await silent_second_device(h)
    call = h["101"].invite("102")
    await h.settle()
    first, silent = h["102"].incoming[0], h["102b"].incoming[0]
    first.answer()
    await h.settle()
    assert call.status == 200
    assert h.network.sent_to(h["102b"].address, "CANCEL") == []  # nothing heard from it yet
    side = next(s for s in h.b2bua.calls[call.call_id].forks if s.peer == "102" and
                s.state is LegState.CANCELLING)  # fmt: skip
    assert side.cancel_pending
    silent.ring()
    await h.settle()
    assert len(h.network.sent_to(h["102b"].address, "CANCEL")) == 1  # sent on its 180
    assert silent.cancelled
    assert [r.status for r in silent.responses] == [180, 487]
    assert not side.cancel_pending
    call.bye()
    await h.settle()
    assert h.live_calls() == 0
    assert h.errors.records == []


async def test_a_final_answer_instead_needs_no_cancel(h: Harness) -> None:
    await silent_second_device(h)
    call = h["101"].invite("102")
    await h.settle()
    first, silent = h["102"].incoming[0], h["102b"].incoming[0]
    first.answer()
    await h.settle()
    silent.reject(486)
    await h.settle()
    assert h.network.sent_to(h["102b"].address, "CANCEL") == []
    assert call.status == 200
    assert h.live_calls() == 1


async def test_a_late_answer_of_the_silent_fork_is_acked_and_ended(h: Harness) -> None:
    await silent_second_device(h)
    call = h["101"].invite("102")
    await h.settle()
    first, silent = h["102"].incoming[0], h["102b"].incoming[0]
    first.answer()
    await h.settle()
    silent.answer()  # it answers instead of ringing: we must confirm and end that dialog
    await h.settle()
    assert h.network.sent_to(h["102b"].address, "CANCEL") == []
    assert silent.methods() == ["ACK", "BYE"]
    assert h.b2bua.calls[call.call_id].b is not None
    assert h.b2bua.calls[call.call_id].b.peer == "102"
    assert h.live_calls() == 1
