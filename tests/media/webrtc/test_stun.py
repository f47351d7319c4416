"""STUN codec against the RFC 5769 test vectors, plus the errors for broken input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media.webrtc.stun import (
    Attr,
    StunClass,
    StunMethod,
    StunParseError,
    build,
    decode_error_code,
    decode_xor_address,
    encode_error_code,
    encode_xor_address,
    looks_like_stun,
    parse,
    verify_fingerprint,
    verify_integrity,
)

PASSWORD = b"VOkJxbRl1RmTxUk/WvJxBt"
TXID = bytes.fromhex("b7e7a701bc34d686fa87dfae")

# RFC 5769 §2.1 Sample Request (USERNAME padded with spaces, as in the RFC).
SAMPLE_REQUEST = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae"
    "80220010" + b"STUN test client".hex() + "002400046e0001ff"
    "80290008932ff9b151263b36"
    "00060009" + b"evtj:h6vY".hex() + "202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    "80280004e57a3bcf"
)
# RFC 5769 §2.2 Sample IPv4 Response: 192.0.2.1 port 32853.
SAMPLE_IPV4_RESPONSE = bytes.fromhex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b" + b"test vector".hex() + "20"
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96"
)
# RFC 5769 §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
SAMPLE_IPV6_RESPONSE = bytes.fromhex(
    "010100482112a442b7e7a701bc34d686fa87dfae"
    "8022000b" + b"test vector".hex() + "20"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
    "80280004c8fb0b4c"
)


def test_rfc5769_sample_request_fields_and_checks() -> None:
    msg = parse(SAMPLE_REQUEST)
    assert (msg.method, msg.cls, msg.transaction_id) == (
        StunMethod.BINDING,
        StunClass.REQUEST,
        TXID,
    )
    assert msg.get(Attr.SOFTWARE) == b"STUN test client"
    assert msg.get(Attr.USERNAME) == b"evtj:h6vY"
    assert msg.get(Attr.PRIORITY) == bytes.fromhex("6e0001ff")
    assert msg.get(Attr.ICE_CONTROLLED) == bytes.fromhex("932ff9b151263b36")
    assert verify_integrity(msg, PASSWORD)
    assert not verify_integrity(msg, b"wrong")
    assert verify_fingerprint(msg)


@pytest.mark.parametrize(
    ("vector", "address"),
    [
        (SAMPLE_IPV4_RESPONSE, ("192.0.2.1", 32853)),
        (SAMPLE_IPV6_RESPONSE, ("2001:db8:1234:5678:11:2233:4455:6677", 32853)),
    ],
)
def test_rfc5769_responses_decode_and_rebuild_byte_for_byte(
    vector: bytes, address: tuple[str, int]
) -> None:
    msg = parse(vector)
    assert msg.cls is StunClass.SUCCESS
    assert verify_integrity(msg, PASSWORD)
    assert verify_fingerprint(msg)
    xor = msg.get(Attr.XOR_MAPPED_ADDRESS)
    assert xor is not None
    assert decode_xor_address(xor, TXID) == address
    assert encode_xor_address(*address, TXID) == xor
    # Our builder pads SOFTWARE with zeros where the RFC used a space; same bytes otherwise.
    rebuilt = build(
        StunMethod.BINDING,
        StunClass.SUCCESS,
        TXID,
        [(Attr.SOFTWARE, b"test vector"), (Attr.XOR_MAPPED_ADDRESS, xor)],
        integrity_key=PASSWORD,
    )
    again = parse(rebuilt)
    assert verify_integrity(again, PASSWORD)
    assert verify_fingerprint(again)
    assert rebuilt[:35] == vector[:35]
    assert rebuilt[36:48] == vector[36:48]


def test_build_then_parse_round_trip_request() -> None:
    data = build(
        StunMethod.BINDING,
        StunClass.REQUEST,
        TXID,
        [(Attr.USERNAME, b"evtj:h6vY"), (Attr.USE_CANDIDATE, b"")],
        integrity_key=PASSWORD,
    )
    msg = parse(data)
    assert msg.get(Attr.USERNAME) == b"evtj:h6vY"
    assert msg.has(Attr.USE_CANDIDATE)
    assert verify_integrity(msg, PASSWORD)
    assert verify_fingerprint(msg)
    assert looks_like_stun(data)


def test_tampered_byte_breaks_integrity_and_fingerprint() -> None:
    broken = bytearray(SAMPLE_REQUEST)
    broken[30] ^= 0x01  # inside SOFTWARE
    msg = parse(bytes(broken))
    assert not verify_integrity(msg, PASSWORD)
    assert not verify_fingerprint(msg)


def test_attributes_after_message_integrity_are_ignored() -> None:
    body = SAMPLE_REQUEST[:-8]  # drop FINGERPRINT
    extra = bytes.fromhex("80220004") + b"evil"
    data = bytearray(body + extra)
    data[2:4] = (len(data) - 20).to_bytes(2, "big")
    msg = parse(bytes(data))
    assert msg.get(Attr.SOFTWARE) == b"STUN test client"
    assert verify_integrity(msg, PASSWORD)
    assert not verify_fingerprint(msg)  # absent


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01\x00\x00", "shorter than its 20-byte header"),
        (bytes.fromhex("c0010000") + SAMPLE_REQUEST[4:20], "leading bits"),
        (bytes.fromhex("0001000000000000") + TXID, "magic cookie"),
        (bytes.fromhex("000100032112a442") + TXID + b"abc", "multiple of 4"),
        (bytes.fromhex("000100042112a442") + TXID, "does not match"),
        (bytes.fromhex("000100042112a442") + TXID + bytes.fromhex("00060010"), "runs past"),
        (
            bytes.fromhex("0001000c2112a442")
            + TXID
            + bytes.fromhex("8028000400000000")
            + bytes.fromhex("00250000"),
            "follows FINGERPRINT",
        ),
        (bytes.fromhex("000100082112a442") + TXID + bytes.fromhex("0008000400000000"), "20 bytes"),
        (bytes.fromhex("000100082112a442") + TXID + bytes.fromhex("0006000500000000"), "runs past"),
    ],
)
def test_broken_messages_raise_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(StunParseError, match=reason):
        parse(data)


def test_error_code_round_trip() -> None:
    value = encode_error_code(401, "Unauthorized")
    assert value[:4] == bytes.fromhex("00000401")
    assert decode_error_code(value) == (401, "Unauthorized")


def test_looks_like_stun_demux() -> None:
    assert looks_like_stun(SAMPLE_REQUEST)
    assert not looks_like_stun(b"\x80" + SAMPLE_REQUEST[1:])
    assert not looks_like_stun(SAMPLE_REQUEST[:19])


@given(st.binary(max_size=120))
def test_parse_never_raises_anything_but_parse_error(data: bytes) -> None:
    try:
        msg = parse(data)
    except StunParseError:
        return
    verify_integrity(msg, PASSWORD)
    verify_fingerprint(msg)


@given(st.binary(min_size=20, max_size=80))
def test_parse_survives_garbage_behind_a_valid_header(tail: bytes) -> None:
    size = len(tail) - len(tail) % 4
    data = bytes.fromhex("0001") + size.to_bytes(2, "big") + SAMPLE_REQUEST[4:20] + tail[:size]
    with contextlib.suppress(StunParseError):
        parse(data)
