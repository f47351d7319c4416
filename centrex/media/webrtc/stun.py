"""STUN messages (RFC 8489): a pure parse/build pair, the part of STUN that ICE-lite needs.

Theory of operation
-------------------
A STUN message is a 20-byte header (RFC 8489 §5: two zero bits, a 14-bit type mixing method
and class, the body length, the magic cookie 0x2112A442, a 96-bit transaction id) followed by
attributes in type-length-value form, each padded to a multiple of four bytes (§14).

Two attributes protect the message and are computed over the bytes *before* them, with the
header's length field already counting them (§14.5, §14.7):

* MESSAGE-INTEGRITY: HMAC-SHA1 keyed with the short-term credential (for ICE the peer's
  `ice-pwd`, RFC 8445 §7.2.2). Attributes after it, except FINGERPRINT, are ignored (§14.5).
* FINGERPRINT: CRC-32 of the message xor 0x5354554E; it tells STUN apart from other protocols
  multiplexed on the same port (RFC 7983).

`parse` checks the framing and remembers where those two attributes start, so `verify_*`
can recompute them on the received bytes; `build` writes a message and appends them. Errors
are `StunParseError` with the reason, never another exception: the bytes come from anyone.
The module is pure (no sockets, no clock): the ICE responder (`ice.py`) drives it.
"""

from __future__ import annotations

import hmac
import ipaddress
import struct
import zlib
from dataclasses import dataclass, field
from enum import IntEnum

__all__ = [
    "MAGIC_COOKIE",
    "Attr",
    "StunClass",
    "StunMessage",
    "StunMethod",
    "StunParseError",
    "build",
    "decode_error_code",
    "decode_xor_address",
    "encode_error_code",
    "encode_xor_address",
    "looks_like_stun",
    "parse",
    "verify_fingerprint",
    "verify_integrity",
]

MAGIC_COOKIE = 0x2112A442
_HEADER = struct.Struct("!HHI12s")
_ATTR = struct.Struct("!HH")
_FINGERPRINT_XOR = 0x5354554E
_INTEGRITY_LEN = 20  # HMAC-SHA1


class StunParseError(ValueError):
    """The bytes are not a well-formed STUN message (reason in the text)."""


class StunClass(IntEnum):
    """RFC 8489 §5: the two class bits C1 C0."""

    REQUEST = 0b00
    INDICATION = 0b01
    SUCCESS = 0b10
    ERROR = 0b11


class StunMethod(IntEnum):
    BINDING = 0x001


class Attr(IntEnum):
    """Attribute types used here (RFC 8489 §18.3, RFC 8445 §16.1)."""

    MAPPED_ADDRESS = 0x0001
    USERNAME = 0x0006
    MESSAGE_INTEGRITY = 0x0008
    ERROR_CODE = 0x0009
    UNKNOWN_ATTRIBUTES = 0x000A
    XOR_MAPPED_ADDRESS = 0x0020
    PRIORITY = 0x0024
    USE_CANDIDATE = 0x0025
    SOFTWARE = 0x8022
    FINGERPRINT = 0x8028
    ICE_CONTROLLED = 0x8029
    ICE_CONTROLLING = 0x802A


@dataclass(frozen=True, slots=True)
class StunMessage:
    """A parsed message. `attributes` keeps wire order and unknown types; `raw` is the datagram.

    `integrity_at`/`fingerprint_at` are byte offsets of those attributes in `raw` (None: absent).
    """

    method: int
    cls: StunClass
    transaction_id: bytes
    attributes: tuple[tuple[int, bytes], ...]
    raw: bytes = field(repr=False, default=b"")
    integrity_at: int | None = None
    fingerprint_at: int | None = None

    def get(self, attr: int) -> bytes | None:
        """The first attribute of that type (RFC 8489 §14: later duplicates are ignored)."""
        for kind, value in self.attributes:
            if kind == attr:
                return value
        return None

    def has(self, attr: int) -> bool:
        return any(kind == attr for kind, _ in self.attributes)


def looks_like_stun(data: bytes) -> bool:
    """RFC 7983 §7: first byte 0..3, plus the magic cookie (RFC 8489 §6) to be sure."""
    return len(data) >= 20 and data[0] < 4 and data[4:8] == b"\x21\x12\xa4\x42"


def _split_type(msg_type: int) -> tuple[int, StunClass]:
    # RFC 8489 §5 figure 3: M11..M7 C1 M6..M4 C0 M3..M0
    cls = ((msg_type >> 7) & 0b10) | ((msg_type >> 4) & 0b01)
    method = (msg_type & 0x000F) | ((msg_type >> 1) & 0x0070) | ((msg_type >> 2) & 0x0F80)
    return method, StunClass(cls)


def _join_type(method: int, cls: StunClass) -> int:
    return (
        (method & 0x000F)
        | ((method & 0x0070) << 1)
        | ((method & 0x0F80) << 2)
        | ((cls & 0b01) << 4)
        | ((cls & 0b10) << 7)
    )


def _parse_header(data: bytes) -> tuple[int, bytes]:
    if len(data) < 20:
        raise StunParseError(f"STUN message shorter than its 20-byte header ({len(data)} bytes)")
    msg_type, length, cookie, txid = _HEADER.unpack_from(data)
    if msg_type & 0xC000:
        raise StunParseError("the two leading bits of a STUN message must be zero")
    if cookie != MAGIC_COOKIE:
        raise StunParseError(f"bad magic cookie 0x{cookie:08x}")
    if length % 4:
        raise StunParseError(f"STUN length {length} is not a multiple of 4")
    if 20 + length != len(data):
        raise StunParseError(f"STUN length {length} does not match the datagram ({len(data)})")
    return int(msg_type), bytes(txid)


def parse(data: bytes) -> StunMessage:
    """Parse one datagram; raises `StunParseError` saying what is wrong."""
    msg_type, txid = _parse_header(data)
    method, cls = _split_type(msg_type)
    attributes: list[tuple[int, bytes]] = []
    integrity_at: int | None = None
    fingerprint_at: int | None = None
    offset = 20
    while offset < len(data):
        if offset + 4 > len(data):
            raise StunParseError("truncated attribute header")
        kind, size = _ATTR.unpack_from(data, offset)
        end = offset + 4 + size
        if end > len(data):
            raise StunParseError(f"attribute 0x{kind:04x} runs past the message end")
        value = bytes(data[offset + 4 : end])
        if fingerprint_at is not None:
            raise StunParseError("an attribute follows FINGERPRINT (RFC 8489 §14.7)")
        if kind == Attr.FINGERPRINT:
            if size != 4:
                raise StunParseError("FINGERPRINT must be 4 bytes")
            fingerprint_at = offset
            attributes.append((kind, value))
        elif integrity_at is None:
            if kind == Attr.MESSAGE_INTEGRITY:
                if size != _INTEGRITY_LEN:
                    raise StunParseError("MESSAGE-INTEGRITY must be 20 bytes")
                integrity_at = offset
            attributes.append((kind, value))
        # else: after MESSAGE-INTEGRITY, ignored (RFC 8489 §14.5)
        offset = end + (-size % 4)
    if offset != len(data):
        raise StunParseError("attribute padding runs past the message end")
    return StunMessage(
        method=method,
        cls=cls,
        transaction_id=bytes(txid),
        attributes=tuple(attributes),
        raw=bytes(data),
        integrity_at=integrity_at,
        fingerprint_at=fingerprint_at,
    )


def _with_length(data: bytes, end: int) -> bytes:
    """The message prefix up to `end`, its header length set as if the message ended there."""
    return data[:2] + struct.pack("!H", end - 20) + data[4:]


def _hmac(prefix: bytes, key: bytes, attr_offset: int) -> bytes:
    adjusted = _with_length(prefix, attr_offset + 4 + _INTEGRITY_LEN)
    return hmac.new(key, adjusted[:attr_offset], "sha1").digest()


def _crc(prefix: bytes, attr_offset: int) -> int:
    adjusted = _with_length(prefix, attr_offset + 8)
    return (zlib.crc32(adjusted[:attr_offset]) ^ _FINGERPRINT_XOR) & 0xFFFFFFFF


def verify_integrity(message: StunMessage, key: bytes) -> bool:
    """RFC 8489 §14.5: recompute the HMAC over the received bytes; False when absent."""
    at = message.integrity_at
    if at is None:
        return False
    expected = _hmac(message.raw[:at], key, at)
    return hmac.compare_digest(expected, message.raw[at + 4 : at + 4 + _INTEGRITY_LEN])


def verify_fingerprint(message: StunMessage) -> bool:
    """RFC 8489 §14.7: the CRC-32 check; False when absent."""
    at = message.fingerprint_at
    if at is None:
        return False
    (received,) = struct.unpack_from("!I", message.raw, at + 4)
    return bool(_crc(message.raw[:at], at) == received)


def build(
    method: int,
    cls: StunClass,
    transaction_id: bytes,
    attributes: tuple[tuple[int, bytes], ...] | list[tuple[int, bytes]] = (),
    *,
    integrity_key: bytes | None = None,
    fingerprint: bool = True,
) -> bytes:
    """Serialize a message; MESSAGE-INTEGRITY (when keyed) then FINGERPRINT come last."""
    if len(transaction_id) != 12:
        raise ValueError("a STUN transaction id is 12 bytes")
    body = bytearray()
    for kind, value in attributes:
        body += _ATTR.pack(kind, len(value)) + value + b"\x00" * (-len(value) % 4)
    head = _HEADER.pack(_join_type(method, cls), len(body), MAGIC_COOKIE, transaction_id)
    data = head + bytes(body)
    if integrity_key is not None:
        at = len(data)
        mac = _hmac(data, integrity_key, at)
        data = _with_length(data, at + 24) + _ATTR.pack(Attr.MESSAGE_INTEGRITY, 20) + mac
    if fingerprint:
        at = len(data)
        crc = _crc(data, at)
        data = _with_length(data, at + 8) + _ATTR.pack(Attr.FINGERPRINT, 4)
        data += struct.pack("!I", crc)
    return data


def encode_xor_address(host: str, port: int, transaction_id: bytes) -> bytes:
    """XOR-MAPPED-ADDRESS value (RFC 8489 §14.2): port and address xor the cookie (+ txid)."""
    ip = ipaddress.ip_address(host)
    xport = port ^ (MAGIC_COOKIE >> 16)
    key = struct.pack("!I", MAGIC_COOKIE) + transaction_id
    packed = ip.packed
    xaddr = bytes(b ^ k for b, k in zip(packed, key, strict=False))
    family = 0x01 if ip.version == 4 else 0x02
    return struct.pack("!BBH", 0, family, xport) + xaddr


def decode_xor_address(value: bytes, transaction_id: bytes) -> tuple[str, int]:
    if len(value) not in (8, 20):
        raise StunParseError("XOR-MAPPED-ADDRESS has a bad length")
    _reserved, family, xport = struct.unpack_from("!BBH", value)
    size = {1: 4, 2: 16}.get(family)
    if size is None or len(value) != 4 + size:
        raise StunParseError(f"XOR-MAPPED-ADDRESS family {family} does not match its length")
    key = struct.pack("!I", MAGIC_COOKIE) + transaction_id
    packed = bytes(b ^ k for b, k in zip(value[4:], key, strict=False))
    return str(ipaddress.ip_address(packed)), xport ^ (MAGIC_COOKIE >> 16)


def encode_error_code(code: int, reason: str) -> bytes:
    """ERROR-CODE value (RFC 8489 §14.8): class = hundreds, number = the rest."""
    return struct.pack("!HBB", 0, code // 100, code % 100) + reason.encode()


def decode_error_code(value: bytes) -> tuple[int, str]:
    if len(value) < 4:
        raise StunParseError("ERROR-CODE shorter than 4 bytes")
    _zero, klass, number = struct.unpack_from("!HBB", value)
    return (klass & 0x07) * 100 + number, value[4:].decode("utf-8", "replace")
