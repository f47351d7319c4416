"""ICE-lite responder (RFC 8445 §2.5, §7.3): Centrex answers connectivity checks, never sends them.

Theory of operation
-------------------
Centrex has public addresses, so it takes the lite role: one host candidate per leg (the media
port, RTP and RTCP muxed on it, RFC 5761), `a=ice-lite` in its SDP, and no checks of its own.
The browser, a full agent, is then always the controlling side (RFC 8445 §6.1.1): it sends
STUN Binding requests to our candidate and nominates a pair with USE-CANDIDATE (regular
nomination, §8.1.1). Every request is checked (§7.3):

* USERNAME is "<our ufrag>:<their ufrag>" (short-term credential, RFC 8489 §9.1). Their ufrag
  is only known once their SDP arrived; until then (an offer we sent, the answer still in
  flight) our half must match.
* MESSAGE-INTEGRITY is HMAC-SHA1 keyed with *our* ice-pwd; FINGERPRINT, when present, is right.

A good request is answered with a success response carrying XOR-MAPPED-ADDRESS (the source we
saw), MESSAGE-INTEGRITY and FINGERPRINT. A request that fails the credentials gets a 401 error
response (RFC 8445 §7.3, RFC 8489 §9.1.3), a malformed one nothing; both are counted `bad`.
A nominated request makes its source the leg's remote address (`IceOutcome.nominate`): media,
DTLS and RTCP go there, and a later nomination from another address moves the leg (a network
change or a better pair). Requests keep arriving every few seconds as consent freshness
(RFC 7675) and are answered the same way.

Pure: the leg transport (`leg.py`) feeds datagrams in and sends what comes out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from centrex.media.webrtc.stun import (
    Attr,
    StunClass,
    StunMethod,
    StunParseError,
    build,
    encode_error_code,
    encode_xor_address,
    parse,
    verify_fingerprint,
    verify_integrity,
)

__all__ = ["IceCredentials", "IceLiteResponder", "IceOutcome", "host_candidate"]

Address = tuple[str, int]

# RFC 8445 §5.1.2.1 with type preference 126 (host), local preference 65535, component 1.
_HOST_PRIORITY = (126 << 24) | (65535 << 8) | 255


@dataclass(frozen=True, slots=True)
class IceCredentials:
    """ice-ufrag / ice-pwd (RFC 8839 §5.4: 4..256 / 22..256 ice-chars)."""

    ufrag: str
    pwd: str

    @classmethod
    def generate(cls) -> IceCredentials:
        # token_hex gives [0-9a-f], a subset of ice-char; 8 and 32 chars, above the minimums.
        return cls(secrets.token_hex(4), secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class IceOutcome:
    """What to do with one datagram: send `reply` (if any) to the source; latch if `nominate`."""

    reply: bytes | None
    nominate: bool = False
    valid: bool = False


def host_candidate(address: str, port: int) -> str:
    """The `a=candidate` value of our only candidate (RFC 8839 §5.1): UDP, component 1."""
    return f"1 1 udp {_HOST_PRIORITY} {address} {port} typ host"


class IceLiteResponder:
    """Answers a leg's Binding requests; counts them (`binding_requests`) and the bad (`bad`)."""

    __slots__ = ("_key", "bad", "binding_requests", "local", "remote_ufrag", "selected")

    def __init__(self, local: IceCredentials, remote_ufrag: str | None = None) -> None:
        self.local = local
        self.remote_ufrag = remote_ufrag
        self._key = local.pwd.encode()
        self.binding_requests = 0
        self.bad = 0
        self.selected: Address | None = None

    def handle(self, data: bytes, source: Address) -> IceOutcome:
        """One datagram that looked like STUN (first byte 0..3)."""
        try:
            msg = parse(data)
        except StunParseError:
            self.bad += 1
            return IceOutcome(None)
        if msg.method != StunMethod.BINDING or msg.cls is not StunClass.REQUEST:
            # Indications need no answer; responses cannot be ours (a lite agent never asks).
            if msg.cls is not StunClass.INDICATION:
                self.bad += 1
            return IceOutcome(None)
        self.binding_requests += 1
        if msg.fingerprint_at is not None and not verify_fingerprint(msg):
            self.bad += 1  # RFC 8489 §7.3: a wrong FINGERPRINT means "not STUN": drop silently
            return IceOutcome(None)
        if not self._username_ok(msg.get(Attr.USERNAME)) or not verify_integrity(msg, self._key):
            self.bad += 1
            error = build(
                StunMethod.BINDING,
                StunClass.ERROR,
                msg.transaction_id,
                [(Attr.ERROR_CODE, encode_error_code(401, "Unauthorized"))],
            )
            return IceOutcome(error)
        reply = build(
            StunMethod.BINDING,
            StunClass.SUCCESS,
            msg.transaction_id,
            [
                (
                    Attr.XOR_MAPPED_ADDRESS,
                    encode_xor_address(source[0], source[1], msg.transaction_id),
                )
            ],
            integrity_key=self._key,
        )
        nominate = msg.has(Attr.USE_CANDIDATE)
        if nominate:
            self.selected = source
        return IceOutcome(reply, nominate=nominate, valid=True)

    def _username_ok(self, username: bytes | None) -> bool:
        if username is None:
            return False
        ours, sep, theirs = username.decode("utf-8", "replace").partition(":")
        if not sep or ours != self.local.ufrag or not theirs:
            return False
        return self.remote_ufrag is None or theirs == self.remote_ufrag
