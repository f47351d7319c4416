"""Hypothesis fuzzing: the SIP parser and framer never raise anything but SipParseError."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrex.sip import SipParseError, parse_message
from centrex.sip.builders import validate_request
from centrex.sip.framing import StreamFramer
from centrex.sip.message import Request
from tests.sip import fixtures as fx

SEEDS = [
    fx.REGISTER,
    fx.INVITE,
    fx.WSINV,
    fx.INTMETH,
    fx.ESC01,
    fx.LWSDISP,
    fx.DBLREQ,
    fx.SEMIURI,
    fx.TRANSPORTS,
    fx.UNREASON,
    fx.NOREASON,
    fx.IPV6,
    *fx.BROKEN.values(),
]
SEEDS = [s for s in SEEDS if len(s) < 5000]
INTERESTING = [b":", b";", b",", b"<", b">", b'"', b"\\", b"\r\n", b"\r\n ", b"=", b"@", b"[", b"]",
               b"%", b"/", b" ", b"\t", b"\x00", b"\xff", b"0", b"99999999999999", b"-1", b"sip:"]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.integers(0, 4))
        if op == 0:
            data[pos] = draw(st.integers(0, 255))
        elif op == 1:
            del data[pos : pos + draw(st.integers(1, 20))]
        elif op == 2:
            data[pos:pos] = draw(st.sampled_from(INTERESTING))
        elif op == 3:
            data = data[:pos]
        else:
            data[pos:pos] = draw(st.binary(max_size=16))
    return bytes(data)


def _check(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except SipParseError:
        return
    # a parsed message must serialize, re-parse, and validate without raising
    wire = msg.serialize()
    again = parse_message(wire)
    assert again.serialize() == wire
    if isinstance(msg, Request):
        validate_request(msg)


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutated())
def test_mutated_messages_only_raise_parse_error(data: bytes) -> None:
    _check(data)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_only_raise_parse_error(data: bytes) -> None:
    _check(data)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('INVTESIP/2.0 :;,<>"@\r\n\tabc=')), max_size=300))
def test_sip_alphabet_text(text: str) -> None:
    _check(text.encode())


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutated(), st.lists(st.integers(1, 64), max_size=10))
def test_framer_only_raises_parse_error(data: bytes, cuts: list[int]) -> None:
    framer = StreamFramer()
    pos = 0
    try:
        for cut in [*cuts, len(data)]:
            for message in framer.feed(data[pos : pos + cut]):
                with contextlib.suppress(SipParseError):
                    parse_message(message)
            pos += cut
    except SipParseError:
        return
