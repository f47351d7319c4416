"""Dialogs (RFC 3261 §12): creation on both sides, routing of in-dialog requests, CSeq."""

from __future__ import annotations

import pytest

from centrex.sip import (
    Dialog,
    DialogId,
    DialogState,
    SipError,
    build_response,
    make_via,
    parse_message,
)
from centrex.sip.dialog import uac_dialog_id, uas_dialog_id
from centrex.sip.message import Request, Response
from tests.sip import fixtures as fx


def _invite() -> Request:
    msg = parse_message(fx.INVITE)
    assert isinstance(msg, Request)
    return msg


def _ok(invite: Request, contact: str = "<sip:bob@127.0.0.3:5080>") -> Response:
    resp = build_response(invite, 200, to_tag="bobtag", headers=[("Contact", contact)])
    for value in invite.headers.get_all("record-route"):
        resp.headers.add("Record-Route", value)
    return resp


def test_uas_dialog_from_request() -> None:
    invite = _invite()
    dialog = Dialog.from_uas(invite, _ok(invite))
    assert dialog.id == DialogId("a84b4c76e66710@pc33.example.com", "bobtag", "1928301774")
    assert dialog.state is DialogState.CONFIRMED
    assert str(dialog.remote_target) == "sip:alice@127.0.0.1:5060"
    assert [str(r.uri) for r in dialog.route_set] == [
        "sip:p2.example.com;lr",
        "sip:p1.example.com;lr",
    ]
    assert dialog.remote_cseq == 314159
    bye = dialog.create_request("BYE", make_via("127.0.0.3", 5080, branch="z9hG4bKbye"))
    wire = parse_message(bye.serialize())
    assert isinstance(wire, Request)
    assert str(wire.uri) == "sip:alice@127.0.0.1:5060"
    assert [str(r.uri) for r in wire.route] == ["sip:p2.example.com;lr", "sip:p1.example.com;lr"]
    assert wire.from_ is not None
    assert wire.from_.tag == "bobtag"
    assert wire.to is not None
    assert wire.to.tag == "1928301774"
    assert wire.cseq is not None
    assert wire.cseq.number == 1
    assert uas_dialog_id(invite) is None


def test_uac_dialog_reverses_route_set_and_acks() -> None:
    invite = _invite()
    ok = _ok(invite)
    dialog = Dialog.from_uac(invite, ok)
    assert dialog.id == DialogId("a84b4c76e66710@pc33.example.com", "1928301774", "bobtag")
    assert uac_dialog_id(ok) == dialog.id
    assert [str(r.uri) for r in dialog.route_set] == [
        "sip:p1.example.com;lr",
        "sip:p2.example.com;lr",
    ]
    ack = dialog.create_ack(314159, make_via("127.0.0.1", 5060))
    assert ack.cseq is not None
    assert ack.cseq.number == 314159
    assert ack.method == "ACK"
    assert str(ack.uri) == "sip:bob@127.0.0.3:5080"
    bye = dialog.create_request("BYE", make_via("127.0.0.1", 5060))
    assert bye.cseq is not None
    assert bye.cseq.number == 314160
    reinvite = dialog.create_request("INVITE", make_via("127.0.0.1", 5060))
    assert reinvite.cseq is not None
    assert reinvite.cseq.number == 314161


def test_strict_routing() -> None:
    invite = _invite()
    invite.headers.set("Record-Route", "<sip:strict.example.com;transport=udp>")
    dialog = Dialog.from_uac(invite, _ok(invite))
    request = dialog.create_request("BYE", make_via("127.0.0.1", 5060))
    assert str(request.uri) == "sip:strict.example.com;transport=udp"
    assert [str(r.uri) for r in request.route] == ["sip:bob@127.0.0.3:5080"]


def test_no_route_set() -> None:
    invite = _invite()
    invite.headers.remove("record-route")
    dialog = Dialog.from_uas(invite, _ok(invite))
    request = dialog.create_request("OPTIONS", make_via("127.0.0.3", 5080))
    assert request.headers.get("route") is None


def test_remote_cseq_and_target_refresh() -> None:
    invite = _invite()
    dialog = Dialog.from_uas(invite, _ok(invite))
    reinvite = parse_message(
        fx.INVITE.replace(b"314159 INVITE", b"314160 INVITE")
        .replace(b"<sip:alice@127.0.0.1:5060>", b"<sip:alice@127.0.0.7:5064>")
        .replace(b"To: Bob <sip:bob@example.com>", b"To: Bob <sip:bob@example.com>;tag=bobtag")
    )
    assert isinstance(reinvite, Request)
    assert uas_dialog_id(reinvite) == dialog.id
    assert dialog.receive_request(reinvite) is None
    assert dialog.remote_cseq == 314160
    assert str(dialog.remote_target) == "sip:alice@127.0.0.7:5064"
    old = parse_message(fx.INVITE.replace(b"314159 INVITE", b"314158 INVITE"))
    assert isinstance(old, Request)
    assert dialog.receive_request(old) == SipError(500, "CSeq out of order")
    bye = parse_message(fx.base_request("BYE").replace(b"CSeq: 1 BYE", b"CSeq: 314161 BYE"))
    assert isinstance(bye, Request)
    assert dialog.receive_request(bye) is None
    assert dialog.state is DialogState.TERMINATED


def test_early_dialog_confirmed_or_terminated() -> None:
    invite = _invite()
    ringing = build_response(invite, 180, to_tag="e1", headers=[("Contact", "<sip:bob@127.0.0.3>")])
    dialog = Dialog.from_uac(invite, ringing)
    assert dialog.state is DialogState.EARLY
    dialog.receive_response(_ok(invite))
    assert dialog.state is DialogState.CONFIRMED
    assert str(dialog.remote_target) == "sip:bob@127.0.0.3:5080"
    early = Dialog.from_uac(invite, ringing)
    early.receive_response(build_response(invite, 486, to_tag="e1"))
    assert early.state is DialogState.TERMINATED


def test_dialog_needs_contact() -> None:
    invite = _invite()
    with pytest.raises(SipError):
        Dialog.from_uac(invite, build_response(invite, 200, to_tag="x"))
