"""Message-waiting indication (calls/mwi.py): an unsolicited NOTIFY of the message summary
(RFC 3842 §3.2) to every live registered device of the extension, and only of that tenant's
extension, on the in-memory network with the real registrar."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from centrex.calls.mwi import MwiNotifier
from centrex.calls.signalling import LocalAddress
from centrex.registrar import Registrar
from centrex.registrar.location import Binding
from tests.calls.harness import CENTREX, OTHER, TENANT, Harness

BODY = "Messages-Waiting: yes\r\nMessage-Account: sip:102@acme.test\r\nVoice-Message: 2/8\r\n"


def _notifier(h: Harness) -> MwiNotifier:
    return MwiNotifier(h.registrar, h.driver, LocalAddress(*CENTREX))


def _notifies(h: Harness, name: str) -> list[object]:
    return [r.request for r in h[name].requests if r.method == "NOTIFY"]


async def test_every_device_of_the_extension_gets_the_summary(h: Harness) -> None:
    await h.register("102", "102b", "101")
    mwi = _notifier(h)
    await mwi.mailbox_changed(h.tenant_id, "102", BODY)
    await h.settle()
    assert mwi.sent == 2
    assert _notifies(h, "101") == []  # another extension's lamp stays as it is
    call_ids = set()
    for name in ("102", "102b"):
        (notify,) = [r.request for r in h[name].requests if r.method == "NOTIFY"]
        phone = h[name]
        assert (notify.uri.host, notify.uri.port) == phone.address  # its registered contact
        assert notify.headers.get("Event") == "message-summary"
        assert notify.headers.get("Subscription-State") == "active"
        assert notify.headers.get("Content-Type") == "application/simple-message-summary"
        assert notify.body == BODY.encode()
        assert notify.from_ is not None
        assert notify.to is not None
        assert str(notify.from_.uri) == str(notify.to.uri) == f"sip:102@{TENANT}"
        assert notify.from_.tag  # a new dialog identifier of ours (RFC 3261 §8.1.1.3)
        assert notify.to.tag is None
        assert notify.cseq is not None
        assert (notify.cseq.number, notify.cseq.method) == (1, "NOTIFY")
        call_ids.add(notify.call_id)
    assert len(call_ids) == 2  # one request per device, not one request copied


async def test_the_same_number_in_another_tenant_is_not_notified(h: Harness) -> None:
    await h.register("102", "beta-102")
    mwi = _notifier(h)
    await mwi.mailbox_changed(h.other_tenant_id, "102", BODY)
    await h.settle()
    assert mwi.sent == 1
    assert _notifies(h, "102") == []  # acme's 102 is another extension
    (notify,) = [r.request for r in h["beta-102"].requests if r.method == "NOTIFY"]
    assert notify.to is not None
    assert notify.to.uri.host == OTHER
    assert notify.to.uri.user == "102"  # the extension's AOR (its SIP username is beta102)

    await mwi.mailbox_changed(h.tenant_id, "102", BODY)
    await h.settle()
    assert mwi.sent == 2
    assert len(_notifies(h, "102")) == 1
    assert len(_notifies(h, "beta-102")) == 1


async def test_an_unregistered_or_expired_extension_gets_nothing(h: Harness) -> None:
    mwi = _notifier(h)
    await mwi.mailbox_changed(h.tenant_id, "103", BODY)  # never registered
    assert mwi.sent == 0
    await h.register("103")
    h.clock.advance(599.0)
    await mwi.mailbox_changed(h.tenant_id, "103", BODY)
    await h.settle()
    assert mwi.sent == 1  # still registered one second before the end (Expires 600)
    h.clock.advance(2.0)
    await mwi.mailbox_changed(h.tenant_id, "103", BODY)
    await h.settle()
    assert mwi.sent == 1  # the binding expired: no NOTIFY to a phone that left
    assert len(_notifies(h, "103")) == 1


class _Bindings:
    """The registrar's lookup with a broken binding in front of the real ones."""

    def __init__(self, registrar: Registrar, broken: Binding) -> None:
        self._registrar = registrar
        self._broken = broken

    def lookup(self, tenant_id: int, user: str) -> list[Binding]:
        return [self._broken, *self._registrar.lookup(tenant_id, user)]


async def test_a_binding_with_a_broken_contact_is_skipped_with_a_warning(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await h.register("102")
    (good,) = h.registrar.lookup(h.tenant_id, "102")
    broken = dataclasses.replace(good, contact="not a sip uri")
    mwi = MwiNotifier(_Bindings(h.registrar, broken), h.driver, LocalAddress(*CENTREX))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="centrex.calls.mwi"):
        await mwi.mailbox_changed(h.tenant_id, "102", BODY)
    await h.settle()
    assert mwi.sent == 1  # the good device still gets its NOTIFY
    assert len(_notifies(h, "102")) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("MWI for 102 not sent")


async def test_a_tcp_device_is_notified_over_its_own_transport(h: Harness) -> None:
    await h.register("102")
    (binding,) = h.registrar.lookup(h.tenant_id, "102")
    sent: list[tuple[object, tuple[str, int], str]] = []

    class Recorder:
        def send_request(self, request: object, target: tuple[str, int], transport: str) -> None:
            sent.append((request, target, transport))

    tcp = dataclasses.replace(binding, transport="TCP")
    mwi = MwiNotifier(_Bindings(h.registrar, tcp), Recorder(), LocalAddress(*CENTREX))  # type: ignore[arg-type]
    await mwi.mailbox_changed(h.tenant_id, "102", BODY)
    assert [(target, transport) for _r, target, transport in sent] == [
        (binding.source, "TCP"),
        (binding.source, binding.transport),
    ]
    first = sent[0][0]
    via = first.headers.get("Via")  # type: ignore[attr-defined]
    assert via is not None
    assert "SIP/2.0/TCP" in via  # the Via names the transport the request leaves on
