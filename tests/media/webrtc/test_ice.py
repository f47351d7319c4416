"""ICE-lite responder: answers good checks, refuses the rest with counts, nominates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from centrex.media.webrtc.ice import IceCredentials, IceLiteResponder, host_candidate
from centrex.media.webrtc.stun import (
    Attr,
    StunClass,
    StunMethod,
    build,
    decode_error_code,
    decode_xor_address,
    parse,
    verify_fingerprint,
    verify_integrity,
)

LOCAL = IceCredentials("ours", "ourpassword0123456789xyz")
TXID = bytes(range(12))
SOURCE = ("127.0.0.7", 50123)


def check(
    username: bytes = b"ours:theirs", key: bytes = LOCAL.pwd.encode(), *, nominate: bool = False
) -> bytes:
    attrs: list[tuple[int, bytes]] = [
        (Attr.USERNAME, username),
        (Attr.PRIORITY, b"\x6e\x00\x01\xff"),
    ]
    if nominate:
        attrs.append((Attr.USE_CANDIDATE, b""))
    return build(StunMethod.BINDING, StunClass.REQUEST, TXID, attrs, integrity_key=key)


def test_good_check_gets_a_signed_success_with_the_source_address() -> None:
    ice = IceLiteResponder(LOCAL, "theirs")
    outcome = ice.handle(check(), SOURCE)
    assert outcome.valid
    assert not outcome.nominate
    assert outcome.reply is not None
    reply = parse(outcome.reply)
    assert (reply.cls, reply.transaction_id) == (StunClass.SUCCESS, TXID)
    assert verify_integrity(reply, LOCAL.pwd.encode())
    assert verify_fingerprint(reply)
    xor = reply.get(Attr.XOR_MAPPED_ADDRESS)
    assert xor is not None
    assert decode_xor_address(xor, TXID) == SOURCE
    assert (ice.binding_requests, ice.bad, ice.selected) == (1, 0, None)


def test_use_candidate_nominates_the_source() -> None:
    ice = IceLiteResponder(LOCAL, "theirs")
    outcome = ice.handle(check(nominate=True), SOURCE)
    assert outcome.nominate
    assert ice.selected == SOURCE


def test_their_ufrag_unknown_yet_accepts_our_half() -> None:
    ice = IceLiteResponder(LOCAL)
    assert ice.handle(check(b"ours:anything"), SOURCE).valid


def test_wrong_username_or_password_gets_401_and_counts_bad() -> None:
    ice = IceLiteResponder(LOCAL, "theirs")
    for data in (
        check(b"ours:stranger"),
        check(b"theirs:ours"),
        check(b"ours"),
        check(key=b"x" * 22),
    ):
        outcome = ice.handle(data, SOURCE)
        assert not outcome.valid
        assert outcome.reply is not None
        reply = parse(outcome.reply)
        assert reply.cls is StunClass.ERROR
        code = reply.get(Attr.ERROR_CODE)
        assert code is not None
        assert decode_error_code(code)[0] == 401
    assert (ice.binding_requests, ice.bad, ice.selected) == (4, 4, None)


def test_malformed_and_wrong_fingerprint_are_dropped_silently() -> None:
    ice = IceLiteResponder(LOCAL, "theirs")
    assert ice.handle(b"\x00\x01\x00\x04garbage", SOURCE).reply is None
    broken = bytearray(check())
    broken[-1] ^= 0xFF  # FINGERPRINT
    assert ice.handle(bytes(broken), SOURCE).reply is None
    assert ice.bad == 2


def test_responses_are_not_ours_and_indications_are_ignored() -> None:
    ice = IceLiteResponder(LOCAL, "theirs")
    response = build(StunMethod.BINDING, StunClass.SUCCESS, TXID)
    indication = build(StunMethod.BINDING, StunClass.INDICATION, TXID)
    assert ice.handle(response, SOURCE).reply is None
    assert ice.handle(indication, SOURCE).reply is None
    assert ice.bad == 1


def test_host_candidate_line() -> None:
    assert host_candidate("127.0.0.1", 40000) == "1 1 udp 2130706431 127.0.0.1 40000 typ host"


def test_generated_credentials_meet_rfc8839_lengths() -> None:
    creds = IceCredentials.generate()
    assert len(creds.ufrag) >= 4
    assert len(creds.pwd) >= 22


@given(st.binary(max_size=200))
def test_any_bytes_are_handled_without_raising(data: bytes) -> None:
    ice = IceLiteResponder(LOCAL, "theirs")
    outcome = ice.handle(data, SOURCE)
    assert not outcome.valid or outcome.reply is not None
