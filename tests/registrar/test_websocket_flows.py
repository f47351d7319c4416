"""Browsers' registrations over WebSocket (RFC 7118, RFC 5626 §5.3 flows): a binding made over
WS/WSS says so (`is_websocket`, for the B2BUA's WebRTC legs), is reached over the flow it came
on, and goes when that connection closes or the server restarts."""

from __future__ import annotations

import secrets

from centrex.clock import ManualClock
from centrex.registrar import BindingStore
from centrex.registrar.location import Binding, Location, RegisterRequest
from centrex.sip.digest import answer_challenge, parse_challenge
from centrex.sip.events import RequestReceived
from centrex.sip.headers import parse_contact
from centrex.sip.matching import server_key
from centrex.sip.message import Response
from tests.registrar.test_register import PASSWORD, Harness, build_registrar, make_harness, register

BROWSER = "<sip:abc@df7jal23ls0d.invalid;transport=ws>"
FLOW = ("127.0.0.31", 50123)


def _request(
    source: tuple[str, int], transport: str, contact: str, call_id: str
) -> RegisterRequest:
    return RegisterRequest(
        tenant_id=1, user="101", aor="sip:101@acme.test",
        contacts=(parse_contact(contact),), expires_header=600, call_id=call_id,
        cseq=1, source=source, transport=transport,
    )  # fmt: skip


def test_a_websocket_binding_says_so() -> None:
    location = Location()
    location.apply(_request(FLOW, "WSS", BROWSER, "b"), 0.0)
    location.apply(_request(("127.0.0.32", 5060), "UDP", "<sip:101@127.0.0.32>", "d"), 0.0)
    found = {b.transport: b for b in location.lookup(1, "101", 1.0)}
    assert found["WSS"].is_websocket
    assert not found["UDP"].is_websocket
    assert found["WSS"].source == FLOW  # the flow: where an INVITE for it is sent
    assert found["WSS"].to_dict(1.0)["websocket"] is True


def test_closing_the_flow_removes_only_its_bindings() -> None:
    location = Location()
    location.apply(_request(FLOW, "WS", BROWSER, "b"), 0.0)
    location.apply(_request(("127.0.0.32", 5060), "UDP", "<sip:101@127.0.0.32>", "d"), 0.0)
    other_tab = "<sip:zz@k2k2k2.invalid;transport=ws>"
    location.apply(_request(("127.0.0.31", 50999), "WS", other_tab, "t"), 0.0)
    assert location.remove_flow("UDP", ("127.0.0.32", 5060)) == []  # not a WebSocket flow
    assert location.remove_flow("WSS", FLOW) == []  # same address, other transport
    gone = location.remove_flow("WS", FLOW)
    assert [b.contact for b in gone] == ["sip:abc@df7jal23ls0d.invalid;transport=ws"]
    assert sorted(b.source[1] for b in location.lookup(1, "101", 1.0)) == [5060, 50999]
    assert location.remove_flow("WS", FLOW) == []  # idempotent


def test_a_binding_moved_to_a_new_connection_survives_the_old_one() -> None:
    """The browser reconnected and registered the same contact over a new connection before
    the old one was seen closing: the old flow's close must not remove the new binding."""
    location = Location()
    location.apply(_request(FLOW, "WS", BROWSER, "b"), 0.0)
    location.apply(_request(("127.0.0.31", 50200), "WS", BROWSER, "b2"), 1.0)
    assert location.remove_flow("WS", FLOW) == []
    (binding,) = location.lookup(1, "101", 2.0)
    assert binding.source == ("127.0.0.31", 50200)


async def _register_ws(h: Harness, source: tuple[str, int]) -> Response:
    async def send(cseq: int, auth: str | None) -> Response:
        request = register("101", "acme.test", call_id=call_id, cseq=cseq, contact=BROWSER,
                           auth=auth)  # fmt: skip
        await h.registrar.handle_register(
            RequestReceived(request, server_key(request), source, "WSS")
        )
        return h.responses[-1]

    call_id = secrets.token_hex(4)
    first = await send(1, None)
    challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[0])
    auth = answer_challenge(challenge, "REGISTER", "sip:acme.test", "101", PASSWORD)
    return await send(2, auth)


async def test_flow_closed_unregisters_and_persists(sqlite_url: str, clock: ManualClock) -> None:
    async with make_harness(sqlite_url, clock) as h:
        assert (await _register_ws(h, FLOW)).status == 200
        (binding,) = h.registrar.lookup(h.acme_id, "101")
        assert isinstance(binding, Binding)
        assert binding.is_websocket
        assert binding.transport == "WSS"
        gone = h.registrar.flow_closed("WSS", FLOW)
        assert [b.contact for b in gone] == [binding.contact]
        assert h.registrar.lookup(h.acme_id, "101") == []
        assert h.events[-1].expires == 0  # type: ignore[attr-defined]  # announced as gone
        await h.registrar.writer.flush()
        restarted = build_registrar(h.database, clock, [])
        await restarted.start()
        try:
            assert restarted.lookup(h.acme_id, "101") == []
        finally:
            await restarted.stop()


async def test_a_restart_drops_websocket_bindings(sqlite_url: str, clock: ManualClock) -> None:
    """Connections do not survive a restart: persisted WS bindings are not reloaded (and are
    deleted), while UDP ones are."""
    async with make_harness(sqlite_url, clock) as h:
        assert (await _register_ws(h, FLOW)).status == 200
        assert (await h.register(call_id="desk")).status == 200
        await h.registrar.writer.flush()
        now = clock.utcnow().timestamp()
        assert sorted(b.transport for b in await BindingStore(h.database).load(now)) == [
            "UDP",
            "WSS",
        ]
        restarted = build_registrar(h.database, clock, [])
        await restarted.start()
        try:
            assert [b.transport for b in restarted.lookup(h.acme_id, "101")] == ["UDP"]
        finally:
            await restarted.stop()
        stored = await BindingStore(h.database).load(now)
        assert [b.transport for b in stored] == ["UDP"]  # the stale row was deleted
