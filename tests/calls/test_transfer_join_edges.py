"""Edges of joining dialogs (calls/features/transfer_join.py): an attended transfer may only
join the transferor's OWN consultation (RFC 3891 §3 matching, same tenant, same extension, an
answered call); a consultation to an outside number turns the transferee's call into an
outbound one for its CDR; an INVITE with Replaces that cannot take the named dialog's place is
refused with the status RFC 3891 gives it and harms nothing (the tag-order leniency included).

The happy paths are in test_transfer_refer.py; its REFER/NOTIFY helpers are reused here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from centrex.calls.features.transfer_refer import ReferTransfer
from centrex.data.models import Direction
from tests.calls.harness import OUTSIDE, OUTSIDE_E164, Harness, make_harness
from tests.calls.test_transfer_refer import answer_notifies, notifies, refer, replaces_of
from tests.calls.uas import CallLeg

DONE = "terminated;reason=noresource"


@pytest.fixture
async def h(sqlite_url: str) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, features=(ReferTransfer(),)) as harness:
        for phone in harness.phones.values():
            answer_notifies(phone)
        yield harness


def _refer_to(target: str, call_id: str, to_tag: str, from_tag: str) -> str:
    value = f"{call_id};to-tag={to_tag};from-tag={from_tag}"
    return f"<sip:{target}@acme.test?Replaces={quote(value, safe='')}>"


def _as_placed(leg: CallLeg) -> tuple[str, str, str]:
    """(Call-ID, Centrex's tag, the phone's tag) of a dialog the phone has with Centrex."""
    assert leg.dialog is not None
    d = leg.dialog
    assert d.remote_tag is not None
    return d.call_id, d.remote_tag, d.local_tag


async def _final_notify(h: Harness, leg: CallLeg) -> int:
    await h.settle()
    return notifies(leg)[-1][0]


async def test_a_phone_cannot_join_a_call_of_another_extension(h: Harness) -> None:
    await h.register("101", "102", "102b", "103")
    b_leg, a_with_b = await h.call("102", "101")  # 102 calls 101
    theirs, their_callee = await h.call("103", "102", callee="102b")  # 103 calls 102: not 101's
    sent = refer(a_with_b, _refer_to("103", *_as_placed(theirs)))
    assert await _final_notify(h, a_with_b) == 481
    assert sent.status == 202
    assert h.live_calls() == 2  # both calls as they were
    assert theirs.received("BYE") == []
    assert their_callee.received("BYE") == []
    assert b_leg.received("BYE") == []
    call = h.b2bua.calls[theirs.call_id]
    assert call.b is not None
    assert call.b.peer == "102"


async def test_replaces_naming_the_refers_own_call_is_481(h: Harness) -> None:
    await h.register("101", "102")
    b_leg, a_with_b = await h.call("102", "101")
    assert a_with_b.dialog is not None
    refer(a_with_b, _refer_to("102", *_as_placed(a_with_b)))
    assert await _final_notify(h, a_with_b) == 481
    assert h.live_calls() == 1
    assert b_leg.received("BYE") == []


async def test_a_consultation_that_called_the_transferor_is_not_supported(h: Harness) -> None:
    """A was called in both calls (two inbound parties): 501, and both calls go on."""
    await h.register("101", "102", "103")
    b_leg, a_with_b = await h.call("102", "101")
    c_leg, a_with_c = await h.call("103", "101")  # call waiting: 101 answers a second call
    refer(a_with_b, _refer_to("103", *_as_placed(a_with_c)))
    assert await _final_notify(h, a_with_b) == 501
    assert h.live_calls() == 2
    assert [leg.received("BYE") for leg in (b_leg, c_leg, a_with_c)] == [[], [], []]


async def test_a_consultation_still_ringing_cannot_be_joined(h: Harness) -> None:
    await h.register("101", "102", "103")
    _b_leg, a_with_b = await h.call("102", "101")
    ringing = h["101"].invite("103")
    await h.settle()
    h["103"].incoming[0].ring()
    await h.settle()
    early = ringing.invite.responses[-1]
    assert early.status == 180
    assert early.to is not None
    assert early.to.tag is not None
    assert early.from_ is not None
    assert early.from_.tag is not None
    refer(a_with_b, _refer_to("103", ringing.call_id, early.to.tag, early.from_.tag))
    assert await _final_notify(h, a_with_b) == 481
    assert h["103"].incoming[0].received("CANCEL") == []
    assert h.live_calls() == 2


async def test_a_consultation_by_trunk_makes_the_transferees_call_outbound(h: Harness) -> None:
    await h.register("101", "102")
    b_leg, a_with_b = await h.call("102", "101")
    consult = h["101"].invite(OUTSIDE)
    await h.settle()
    h.carrier_a.incoming[0].answer()
    await h.settle()
    assert consult.status == 200
    refer(a_with_b, _refer_to(OUTSIDE, *_as_placed(consult)))
    assert await _final_notify(h, a_with_b) == 200
    call = h.b2bua.calls[b_leg.call_id]
    assert call.b is not None
    assert call.b.peer == "carrier-a"
    # the callee is the number the consultation dialled, as for any outbound call (rating
    # goes by it), not the carrier's name
    assert (call.callee, call.direction) == (OUTSIDE_E164, Direction.OUTBOUND)
    cdr = await h.cdr(b_leg.call_id)
    assert (cdr.callee, cdr.direction, cdr.trunk_id) == (
        OUTSIDE_E164, Direction.OUTBOUND, h.trunk_ids["carrier-a"],
    )  # fmt: skip
    legs = await h.legs(cdr.id)
    assert [(leg.peer, leg.transferred_by, leg.trunk_id) for leg in legs] == [
        ("101", None, None),
        ("carrier-a", "101", h.trunk_ids["carrier-a"]),
    ]
    assert (await h.cdr(consult.call_id)).hangup_cause == "transferred"
    assert h.carrier_a.incoming[0].received("BYE") == []  # the carrier's call goes on


# ---- INVITE with Replaces ----------------------------------------------------------------------


async def test_two_replaces_headers_are_400_with_a_warning(h: Harness) -> None:
    await h.register("101", "102", "103")
    _caller, callee = await h.call("102", "101")
    value = replaces_of(callee)
    joined = h["103"].invite("101", headers=[("Replaces", value), ("Replaces", value)])
    await h.settle()
    assert joined.status == 400
    warning = joined.final.headers.get("Warning")
    assert warning is not None
    assert "exactly one Replaces header" in warning
    assert h.live_calls() == 1
    assert callee.received("BYE") == []


async def test_replacing_an_early_only_dialog_is_481(h: Harness) -> None:
    await h.register("101", "102", "103")
    _caller, callee = await h.call("102", "101")
    joined = h["103"].invite("101", headers=[("Replaces", replaces_of(callee) + ";early-only")])
    await h.settle()
    assert joined.status == 481
    warning = joined.final.headers.get("Warning")
    assert warning is not None
    assert "no such dialog" in warning
    assert callee.received("BYE") == []


async def test_replaces_without_an_offer_is_488_and_the_call_is_unharmed(h: Harness) -> None:
    await h.register("101", "102", "103")
    _caller, callee = await h.call("102", "101")
    legs_before = set(h.engine.legs)
    joined = h["103"].invite("101", sdp=b"", headers=[("Replaces", replaces_of(callee))])
    await h.settle()
    assert joined.status == 488
    assert callee.received("BYE") == []
    assert set(h.engine.legs) == legs_before


async def test_replaces_with_no_common_codec_is_488_and_frees_its_media(h: Harness) -> None:
    await h.register("101", "102", "103")
    _caller, callee = await h.call("102", "101")
    legs_before = set(h.engine.legs)
    g729 = h["103"].sdp(payload_types=(18,))
    joined = h["103"].invite("101", sdp=g729, headers=[("Replaces", replaces_of(callee))])
    await h.settle()
    assert joined.status == 488
    assert joined.final.headers.get("Warning") is not None
    assert set(h.engine.legs) == legs_before  # the leg allocated for 103 was released
    assert callee.received("BYE") == []
    assert h.live_calls() == 1


async def test_swapped_tags_are_accepted_but_both_must_match(h: Harness) -> None:
    await h.register("101", "102", "103")
    _caller, callee = await h.call("102", "101")
    call_id, ours, theirs = _as_placed(callee)
    wrong = h["103"].invite("101", headers=[("Replaces", f"{call_id};to-tag={ours};from-tag=x")])
    await h.settle()
    assert wrong.status == 481  # one right tag is not enough
    swapped = f"{call_id};to-tag={theirs};from-tag={ours}"  # a phone that swaps them
    joined = h["103"].invite("101", headers=[("Replaces", swapped)])
    await h.settle()
    assert joined.status == 200
    assert callee.methods() == ["ACK", "BYE"]
