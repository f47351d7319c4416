"""The B2BUA's message builders (calls/signalling.py), pure: the Warning header is always one
well-formed header line (RFC 3261 §20.43, §25.1 quoted-string) whatever the reason text, a
response carries Contact and Allow exactly when it may establish or refresh a dialog, a new
outbound INVITE is a new dialog every time, and a failed call maps to one status and one
disposition."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.calls.signalling import (
    ALLOW,
    LocalAddress,
    caller_status,
    disposition_for,
    invite_to,
    respond,
    warning_header,
)
from centrex.sip.builders import build_invite, generate_tag
from centrex.sip.headers import NameAddr
from centrex.sip.message import Request, Response, parse_message
from centrex.sip.uri import parse_uri
from tests.calls.uas import phone_sdp

LOCAL = LocalAddress("192.0.2.10", 5060)
# RFC 3261 §25.1: quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE; qdtext excludes
# DQUOTE, backslash and control characters; quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
QUOTED = re.compile(r'"((?:[^"\\\x00-\x1f\x7f]|\\[\x00-\x09\x0b\x0c\x0e-\x7f])*)"')


def _unquote(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body)


@given(st.text(max_size=80))
def test_a_warning_is_one_well_formed_header_whatever_the_text(text: str) -> None:
    name, value = warning_header(text)
    assert name == "Warning"
    assert value.startswith('399 centrex "')
    match = QUOTED.fullmatch(value.removeprefix("399 centrex "))
    assert match is not None, value
    shown = _unquote(match.group(1))
    # what the reader sees: the text, with " as ' and control characters as spaces
    expected = "".join(" " if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)
    assert shown == expected.replace('"', "'")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("licence limit reached", '399 centrex "licence limit reached"'),
        ('say "hi"', "399 centrex \"say 'hi'\""),
        ("C:\\", '399 centrex "C:\\\\"'),  # a trailing backslash must not eat the quote
        ("a\r\nX-Injected: 1", '399 centrex "a  X-Injected: 1"'),  # never a second header
    ],
)
def test_warning_examples(text: str, value: str) -> None:
    assert warning_header(text) == ("Warning", value)


def test_a_warning_survives_the_wire() -> None:
    response = respond(_invite(), 503, "t1", LOCAL, "UDP",
                       headers=[warning_header("a\r\nX-Injected: 1 \\")])  # fmt: skip
    parsed = parse_message(response.serialize())
    assert isinstance(parsed, Response)
    assert parsed.headers.get("X-Injected") is None
    assert parsed.headers.get_all("Warning") == ['399 centrex "a  X-Injected: 1 \\\\"']


def _invite() -> Request:
    return build_invite(
        parse_uri("sip:102@acme.test"),
        from_=NameAddr(parse_uri("sip:101@acme.test"), None, (("tag", generate_tag()),)),
        to=NameAddr(parse_uri("sip:102@acme.test")),
        call_id="c1@host",
        cseq=1,
        via=LOCAL.via("UDP"),
        contact=LOCAL.contact("UDP"),
        sdp=phone_sdp(4000, (0,)),
    )


@pytest.mark.parametrize(
    ("status", "dialog"),
    [(100, False), (180, True), (183, True), (200, True), (299, True), (300, False),
     (404, False), (487, False), (503, False)],
)  # fmt: skip
def test_contact_and_allow_only_on_responses_that_make_a_dialog(status: int, dialog: bool) -> None:
    response = respond(_invite(), status, "tag-1", LOCAL, "UDP")
    assert (response.headers.get("Contact") is not None) is dialog
    assert (response.headers.get("Allow") == ALLOW) is dialog
    assert response.to is not None
    assert response.to.tag == (None if status == 100 else "tag-1")  # §8.2.6.1: 100 may omit it


def test_a_response_with_sdp_says_so_and_names_the_transport_in_its_contact() -> None:
    sdp = phone_sdp(4000, (0,))
    response = respond(_invite(), 200, "t", LOCAL, "TCP", reason="OK then", sdp=sdp)
    assert response.reason == "OK then"
    assert response.body == sdp
    assert response.headers.get("Content-Type") == "application/sdp"
    assert response.headers.get("Contact") == "<sip:centrex@192.0.2.10:5060;transport=tcp>"
    udp = respond(_invite(), 200, "t", LOCAL, "udp")
    assert udp.headers.get("Contact") == "<sip:centrex@192.0.2.10:5060>"
    assert udp.headers.get("Content-Type") is None


def _outbound(sdp: bytes) -> Request:
    return invite_to(
        "sip:102@127.0.0.1:5072",
        caller_uri="sip:101@acme.test",
        caller_name="Ext 101",
        callee_uri="sip:102@acme.test",
        local=LOCAL,
        transport="UDP",
        sdp=sdp,
        headers=[("Diversion", "<sip:103@acme.test>")],
    )


def test_each_outbound_invite_is_a_new_dialog() -> None:
    sdp = phone_sdp(4000, (0,))
    invites = [_outbound(sdp) for _ in range(2)]
    first, second = invites
    assert first.call_id != second.call_id
    assert first.from_ is not None
    assert second.from_ is not None
    assert first.from_.tag != second.from_.tag
    assert first.from_.display_name == "Ext 101"
    assert first.to is not None
    assert first.to.tag is None
    assert first.cseq is not None
    assert (first.cseq.number, first.cseq.method) == (1, "INVITE")
    assert str(first.uri) == "sip:102@127.0.0.1:5072"
    assert first.headers.get("Allow") == ALLOW
    assert first.headers.get("Diversion") == "<sip:103@acme.test>"
    assert first.body == sdp
    via = first.top_via
    assert via is not None
    assert (via.host, via.port) == ("192.0.2.10", 5060)


@pytest.mark.parametrize(
    ("status", "disposition"),
    [(486, "busy"), (600, "busy"), (408, "no-answer"), (480, "no-answer"), (487, "no-answer"),
     (603, "failed"), (404, "failed"), (500, "failed"), (503, "failed")],
)  # fmt: skip
def test_dispositions(status: int, disposition: str) -> None:
    assert disposition_for(status) == disposition


PREFERENCE = (486, 600, 603, 404, 484, 488, 503)


@given(st.lists(st.sampled_from([*PREFERENCE, 400, 408, 480, 500, 502, 504, 606]), max_size=8))
def test_the_callers_answer_is_the_most_telling_failure(statuses: list[int]) -> None:
    """Busy beats decline beats not found...; whatever the order the forks failed in, and
    480 when none of the telling ones is there."""
    answer = caller_status(statuses)
    present = [s for s in PREFERENCE if s in statuses]
    assert answer == (present[0] if present else 480)
    assert caller_status(list(reversed(statuses))) == answer
