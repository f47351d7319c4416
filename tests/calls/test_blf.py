"""Busy lamps and MWI subscriptions through the B2BUA (RFC 6665, RFC 4235 dialog, RFC 3842
message-summary): the NOTIFYs follow a call's states, and no tenant watches another's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.blf import MIN_EXPIRES, BusyLamps
from centrex.sip.dialog_info import DialogInfo, parse_dialog_info
from tests.calls.harness import OTHER, Harness, make_harness
from tests.calls.uas import CallLeg


class Mailboxes:
    """What the voicemail would answer: 102 has 2 new messages, others none."""

    async def mwi_body(self, tenant_id: int, extension: str) -> str | None:
        if extension == "102":
            return "Messages-Waiting: yes\r\nVoice-Message: 2/0\r\n"
        return None


@pytest.fixture
async def hb(sqlite_url: str) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, features=(BusyLamps(Mailboxes()),)) as harness:
        yield harness


def notifies(leg: CallLeg) -> list[DialogInfo]:
    return [parse_dialog_info(r.request.body) for r in leg.received("NOTIFY")]


def states(info: DialogInfo) -> list[str]:
    return [d.state for d in info.dialogs]


def subscription_state(leg: CallLeg, index: int = -1) -> str:
    return leg.received("NOTIFY")[index].request.headers.get("Subscription-State") or ""


async def test_a_lamp_follows_a_call_from_ringing_to_idle(hb: Harness) -> None:
    await hb.register("101", "102", "103")
    lamp = hb["103"].subscribe("102")
    await hb.settle()
    sub_ok = lamp.sent[-1].final
    assert sub_ok is not None
    assert sub_ok.status == 200
    assert sub_ok.headers.get("Expires") == "600"
    first = notifies(lamp)
    assert len(first) == 1
    assert first[0].entity == "sip:102@acme.test"
    assert first[0].version == 0
    assert first[0].state == "full"
    assert first[0].dialogs == ()  # idle
    assert subscription_state(lamp).startswith("active;expires=")

    call, incoming = await hb.call("101", "102")
    await hb.settle()
    seen = [states(n) for n in notifies(lamp)]
    assert ["early"] in seen
    assert seen[-1] == ["confirmed"]
    call.bye()
    await hb.settle()
    after = notifies(lamp)
    assert states(after[-1]) == []  # idle again
    versions = [n.version for n in after]
    assert versions == list(range(len(after)))  # +1 per NOTIFY (RFC 4235 §4.1.2)
    confirmed = next(n for n in after if states(n) == ["confirmed"])
    assert confirmed.dialogs[0].initiator is False  # 102 was called
    assert confirmed.dialogs[0].remote == "sip:101@acme.test"
    assert incoming.request.uri.user == "102"


async def test_the_caller_side_is_initiator(hb: Harness) -> None:
    await hb.register("101", "102", "103")
    lamp = hb["103"].subscribe("101")
    await hb.settle()
    await hb.call("101", "102")
    await hb.settle()
    last = notifies(lamp)[-1]
    assert states(last) == ["confirmed"]
    assert last.dialogs[0].initiator is True


async def test_another_tenants_extension_is_never_watched(hb: Harness) -> None:
    await hb.register("103", "beta-102")
    foreign = hb["103"].subscribe("beta102", domain=OTHER)
    unknown = hb["103"].subscribe("109")
    await hb.settle()
    finals = [leg.sent[-1].final for leg in (foreign, unknown)]
    assert [f.status if f else None for f in finals] == [403, 404]
    assert foreign.received("NOTIFY") == [] == unknown.received("NOTIFY")
    # and the other tenant's call state never reaches tenant A's subscriber of "102"
    lamp = hb["103"].subscribe("102")
    await hb.settle()
    before = len(lamp.received("NOTIFY"))
    hb["beta-102"].invite("beta201")
    await hb.settle()
    assert len(lamp.received("NOTIFY")) == before


async def test_unsubscribe_sends_a_final_notify_and_stops(hb: Harness) -> None:
    await hb.register("101", "102", "103")
    lamp = hb["103"].subscribe("102")
    await hb.settle()
    assert lamp.dialog is not None
    lamp.sent.append(
        hb["103"].send(
            lamp.dialog.create_request(
                "SUBSCRIBE", hb["103"].via(), contact=hb["103"].contact(),
                headers=[("Event", "dialog"), ("Expires", "0")],
            )
        )
    )  # fmt: skip
    await hb.settle()
    assert lamp.sent[-1].status == 200
    assert subscription_state(lamp).startswith("terminated")
    count = len(lamp.received("NOTIFY"))
    await hb.call("101", "102")
    await hb.settle()
    assert len(lamp.received("NOTIFY")) == count


async def test_a_refresh_extends_and_an_expired_subscription_gets_nothing(hb: Harness) -> None:
    await hb.register("101", "102", "103")
    lamp = hb["103"].subscribe("102", expires=MIN_EXPIRES)
    await hb.settle()
    assert lamp.dialog is not None
    await hb.advance(MIN_EXPIRES + 1)
    count = len(lamp.received("NOTIFY"))
    hb["101"].invite("102")
    await hb.settle()
    assert len(lamp.received("NOTIFY")) == count  # expired: no NOTIFY
    refresh = hb["103"].send(
        lamp.dialog.create_request(
            "SUBSCRIBE", hb["103"].via(), contact=hb["103"].contact(),
            headers=[("Event", "dialog"), ("Expires", "600")],
        )
    )  # fmt: skip
    await hb.settle()
    assert refresh.status == 481  # it is gone; a new SUBSCRIBE is needed


async def test_bad_subscriptions(hb: Harness) -> None:
    await hb.register("103")
    presence = hb["103"].subscribe("102", event="presence")
    brief = hb["103"].subscribe("102", expires=MIN_EXPIRES - 1)
    await hb.settle()
    bad_event = presence.sent[-1].final
    assert bad_event is not None
    assert bad_event.status == 489
    assert "dialog" in (bad_event.headers.get("Allow-Events") or "")
    too_brief = brief.sent[-1].final
    assert too_brief is not None
    assert too_brief.status == 423
    assert too_brief.headers.get("Min-Expires") == str(MIN_EXPIRES)


async def test_message_summary_is_accepted_for_ones_own_mailbox_only(hb: Harness) -> None:
    await hb.register("102", "103")
    own = hb["102"].subscribe("102", event="message-summary")
    other = hb["103"].subscribe("102", event="message-summary")
    empty = hb["103"].subscribe("103", event="message-summary")
    await hb.settle()
    assert own.sent[-1].status == 200
    (notify,) = own.received("NOTIFY")
    assert notify.request.headers.get("Content-Type") == "application/simple-message-summary"
    assert b"Messages-Waiting: yes" in notify.request.body
    assert other.sent[-1].status == 403
    assert other.received("NOTIFY") == []
    assert b"Messages-Waiting: no" in empty.received("NOTIFY")[0].request.body
