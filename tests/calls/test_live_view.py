"""The API's view of live calls (calls/live.py): each call of the tenant with the media
counters of its legs (plain values only, JSON-safe), nothing of another tenant, and a hang-up
that reaches only the tenant's own calls."""

from __future__ import annotations

import json

from centrex.calls.live import LiveCallView, _plain
from tests.calls.flows import media_of, talk
from tests.calls.harness import Harness


async def test_an_answered_call_is_listed_with_both_legs_counters(h: Harness) -> None:
    await h.register("101", "102")
    call, _incoming = await h.call("101", "102")
    a, b = media_of(h, call.call_id)
    talk(h, a, 3)  # three packets from the caller
    view = LiveCallView(h.b2bua)
    (item,) = await view.list(h.tenant_id)
    assert (item["call_id"], item["caller"], item["callee"], item["state"]) == (
        call.call_id, "101", "102", "answered",
    )  # fmt: skip
    media = item["media"]
    assert isinstance(media, list)
    assert [leg["side"] for leg in media] == ["a", "b"]
    assert [leg["leg_id"] for leg in media] == [a.leg_id, b.leg_id]
    assert media[0]["packets_in"] == 3
    assert media[1]["packets_in"] == 0
    assert media[0]["local_port"] == a.rtp_port
    for leg in media:
        assert "remote" not in leg  # an address tuple is not a plain value: left out
        assert all(isinstance(v, int | float | str | bool) or v is None for v in leg.values())
    json.dumps(item)  # what the API serves


async def test_a_ringing_call_shows_the_callers_leg_only(h: Harness) -> None:
    await h.register("101", "102")
    h["101"].invite("102")
    await h.settle()
    (item,) = await LiveCallView(h.b2bua).list(h.tenant_id)
    assert item["state"] == "ringing"
    assert [leg["side"] for leg in item["media"]] == ["a"]  # type: ignore[union-attr]


async def test_no_tenant_sees_or_hangs_up_another_tenants_call(h: Harness) -> None:
    await h.register("101", "102", "beta-102", "beta-201")
    ours, our_callee = await h.call("101", "102")
    theirs, their_callee = await h.call("beta-201", "102", callee="beta-102")
    view = LiveCallView(h.b2bua)
    assert [i["call_id"] for i in await view.list(h.tenant_id)] == [ours.call_id]
    assert [i["call_id"] for i in await view.list(h.other_tenant_id)] == [theirs.call_id]

    assert await view.hangup(h.tenant_id, theirs.call_id) is False
    await h.settle()
    assert their_callee.received("BYE") == []
    assert theirs.received("BYE") == []
    assert len(await view.list(h.other_tenant_id)) == 1

    assert await view.hangup(h.other_tenant_id, theirs.call_id) is True
    await h.settle()
    assert len(their_callee.received("BYE")) == 1
    assert len(theirs.received("BYE")) == 1
    assert await view.list(h.other_tenant_id) == []
    assert [i["call_id"] for i in await view.list(h.tenant_id)] == [ours.call_id]
    assert our_callee.received("BYE") == []


async def test_an_unknown_call_is_not_hung_up(h: Harness) -> None:
    assert await LiveCallView(h.b2bua).hangup(h.tenant_id, "no-such-call@nowhere") is False
    assert await LiveCallView(h.b2bua).list(h.tenant_id) == []


def test_only_dataclass_instances_become_plain_dicts() -> None:
    assert _plain(object()) == {}
    assert _plain({"a": 1}) == {}
