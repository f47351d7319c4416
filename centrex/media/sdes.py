"""SDES-SRTP for desk phones (RFC 4568): `a=crypto` keys in SDP, SRTP terminated per leg.

Theory of operation
-------------------
A phone that wants SRTP puts its own master key in its SDP (RFC 4568 §4):

    m=audio 4000 RTP/SAVP 0 101
    a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<base64 of 16-byte key || 14-byte salt>

and the answerer accepts one line by echoing its tag and suite with a key of *its own* (§5.1.2):
each direction is protected with its sender's key. Centrex anchors media, so SRTP ends on each
leg: packets from the phone are unprotected with the phone's key, relayed as plain RTP (the
relay renumbers SSRC and sequence, which end-to-end SRTP would not survive), and protected
again with Centrex's key toward an SRTP phone. An SRTP phone and a plain one talk through the
same relay path as two plain ones. The cipher work is libsrtp's, through the counted wrapper
`webrtc/srtp.py` that the DTLS-SRTP path shares; counters land in the leg's snapshot
(`srtp_packets_in`, `srtp_packets_out`, `srtp_auth_failures`).

Per-extension policy (`SrtpPolicy`) decides, for each kind of offer, what happens. The kinds:
`PLAIN` (RTP/AVP, no usable crypto), `SAVP` (RTP/SAVP or RTP/SAVPF with a usable crypto
line), `BEST_EFFORT` (RTP/AVP with crypto lines, RFC 4568 §3.1.4's "best effort" of many
phones) and `SAVP_NO_KEY` (a secure profile without any usable key: nothing to answer). The
table `POLICY` maps (policy, kind) to `Decision`: answer plain, answer SRTP, or refuse with 488
(`SrtpRefused`, a `NoCommonCodecError` so the call layer's existing 488 path answers it).
Offers carrying DTLS fingerprints are not SDES: `classify` says so and the engine leaves them
to the DTLS-SRTP path.

When Centrex offers (a call to an extension, a hold re-INVITE), a `required` leg gets
RTP/SAVP with a fresh key; a leg already running SRTP gets its current key again (RFC 4568
§7.1.4: a re-offer may keep the key); others get plain RTP/AVP. The phone's answer then
installs the context (`SdesNegotiator.on_remote` sees a pending offer and treats the SDP as
its answer).

Installing a context wraps the leg's transports instead of touching the relay's hot path: the
receiving protocol is swapped for one that unprotects first (`set_protocol`), and the sending
transport for one that protects in `sendto`. One extra Python call per packet each way; the
plain relay of non-SRTP legs costs nothing more. A context is replaced only when a key changes
(a new libsrtp session restarts its rollover counter, harmless below 65536 packets, ~22 min).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from centrex.media.sdp_rewrite import NoCommonCodecError
from centrex.media.session import MediaLeg
from centrex.media.webrtc.srtp import SrtpContext, SrtpProfile
from centrex.sip.sdp import MediaDescription, SessionDescription

__all__ = [
    "POLICY",
    "SUPPORTED_SUITES",
    "CryptoAttribute",
    "CryptoError",
    "Decision",
    "OfferKind",
    "SdesNegotiator",
    "SrtpPolicy",
    "SrtpRefused",
    "classify",
    "parse_crypto",
]

log = logging.getLogger(__name__)

Address = tuple[str, int]
SECURE_PROFILES = frozenset({"RTP/SAVP", "RTP/SAVPF"})
DTLS_PROFILES = frozenset({"UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"})
# Suites Centrex accepts, in its order of preference when it offers (RFC 4568 §6.2).
SUPPORTED_SUITES = (SrtpProfile.AES_CM_128_HMAC_SHA1_80, SrtpProfile.AES_CM_128_HMAC_SHA1_32)


class SrtpPolicy(StrEnum):
    """An extension's SRTP policy (the `extensions.srtp` column stores the same values)."""

    OPTIONAL = "optional"  # accept SRTP offers; offer plain RTP
    REQUIRED = "required"  # refuse plain offers (488); offer RTP/SAVP only
    OFF = "off"  # refuse SAVP-only offers (488); strip crypto from best-effort offers


class OfferKind(Enum):
    PLAIN = "plain"
    SAVP = "savp"
    BEST_EFFORT = "best-effort"
    SAVP_NO_KEY = "savp-without-usable-key"


class Decision(Enum):
    PLAIN = "plain"
    SRTP = "srtp"
    REFUSE = "refuse"


# (policy, kind of offer) -> decision: the whole policy, one literal table (habit 4).
POLICY: dict[tuple[SrtpPolicy, OfferKind], Decision] = {
    (SrtpPolicy.OPTIONAL, OfferKind.PLAIN): Decision.PLAIN,
    (SrtpPolicy.OPTIONAL, OfferKind.SAVP): Decision.SRTP,
    (SrtpPolicy.OPTIONAL, OfferKind.BEST_EFFORT): Decision.SRTP,
    (SrtpPolicy.OPTIONAL, OfferKind.SAVP_NO_KEY): Decision.REFUSE,
    (SrtpPolicy.REQUIRED, OfferKind.PLAIN): Decision.REFUSE,
    (SrtpPolicy.REQUIRED, OfferKind.SAVP): Decision.SRTP,
    (SrtpPolicy.REQUIRED, OfferKind.BEST_EFFORT): Decision.SRTP,
    (SrtpPolicy.REQUIRED, OfferKind.SAVP_NO_KEY): Decision.REFUSE,
    (SrtpPolicy.OFF, OfferKind.PLAIN): Decision.PLAIN,
    (SrtpPolicy.OFF, OfferKind.SAVP): Decision.REFUSE,
    (SrtpPolicy.OFF, OfferKind.BEST_EFFORT): Decision.PLAIN,
    (SrtpPolicy.OFF, OfferKind.SAVP_NO_KEY): Decision.REFUSE,
}


class CryptoError(ValueError):
    """An `a=crypto` line Centrex cannot use (the reason is logged; other lines may fit)."""


class SrtpRefused(NoCommonCodecError):
    """The offer or answer does not meet the leg's SRTP policy: 488 Not Acceptable Here."""

    status = 488


@dataclass(frozen=True, slots=True)
class CryptoAttribute:
    """One `a=crypto` line (RFC 4568 §9.1), reduced to what Centrex supports: one inline key
    without MKI, an optional lifetime, no session parameters."""

    tag: int
    profile: SrtpProfile
    key_salt: bytes
    lifetime: str | None = None

    def serialize(self) -> str:
        """The attribute value (after `a=crypto:`)."""
        key = base64.b64encode(self.key_salt).decode("ascii")
        suffix = f"|{self.lifetime}" if self.lifetime else ""
        return f"{self.tag} {self.profile.sdes_name} inline:{key}{suffix}"


def parse_crypto(value: str) -> CryptoAttribute:
    """Parse one `a=crypto` value; raises `CryptoError` naming what is wrong.

    RFC 4568 §9.1: `tag 1*9DIGIT`, `crypto-suite`, `key-params` (`inline:` key-salt
    [`|` lifetime] [`|` MKI:length], several separated by `;`), then session parameters.
    Refused here (the line is skipped, §6.1 lets the answerer pick another): unknown suites,
    several keys or an MKI (libsrtp's MKI mode is not wired), session parameters such as
    UNENCRYPTED_SRTP (§6.3.1: an unknown parameter makes the line unusable), a key of the
    wrong length or not base64.
    """
    parts = value.split()
    if len(parts) < 3:
        raise CryptoError(f"a=crypto needs a tag, a suite and key parameters: {value!r}")
    tag_text, suite, key_params, *session_params = parts
    if not tag_text.isdigit() or len(tag_text) > 9:
        raise CryptoError(f"a=crypto tag must be 1-9 digits: {tag_text!r}")
    try:
        profile = SrtpProfile.from_sdes_name(suite)
    except ValueError:
        raise CryptoError(f"unsupported crypto-suite {suite!r}") from None
    if profile not in SUPPORTED_SUITES:
        raise CryptoError(f"unsupported crypto-suite {suite!r}")
    if session_params:
        raise CryptoError(f"unsupported session parameters {' '.join(session_params)!r}")
    if ";" in key_params:
        raise CryptoError("several master keys in one a=crypto line are not supported")
    key_text, lifetime = _key_info(key_params)
    try:
        key_salt = base64.b64decode(key_text, validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError(f"key is not base64: {key_text!r}") from None
    wanted = profile.key_length + profile.salt_length
    if len(key_salt) != wanted:
        raise CryptoError(f"{suite} needs a {wanted}-byte key||salt, got {len(key_salt)}")
    return CryptoAttribute(int(tag_text), profile, key_salt, lifetime)


def _key_info(key_params: str) -> tuple[str, str | None]:
    """`inline:` key-salt [`|` lifetime] [`|` MKI] -> (base64 key-salt, lifetime or None)."""
    method, _, info = key_params.partition(":")
    if method != "inline" or not info:
        raise CryptoError(f"key method must be inline: {key_params!r}")
    key_text, *extras = info.split("|")
    lifetime: str | None = None
    for extra in extras:
        if ":" in extra:
            raise CryptoError("MKI is not supported")
        if not extra.removeprefix("2^").isdigit():
            raise CryptoError(f"bad key lifetime {extra!r}")
        lifetime = extra
    return key_text, lifetime


def _audio(sdp: SessionDescription) -> MediaDescription | None:
    for media in sdp.media:
        if media.media == "audio" and media.port != 0:
            return media
    return None


def usable_crypto(media: MediaDescription) -> tuple[CryptoAttribute | None, int]:
    """The first usable crypto line and how many lines there were (the rest logged)."""
    lines = [v or "" for k, v in media.attributes if k == "crypto"]
    for line in lines:
        try:
            return parse_crypto(line), len(lines)
        except CryptoError as exc:
            log.info("a=crypto line skipped: %s", exc)
    return None, len(lines)


def classify(sdp: SessionDescription) -> tuple[OfferKind, CryptoAttribute | None] | None:
    """What kind of offer this is for SDES, with its chosen key; None: DTLS-SRTP (not ours)
    or no active audio stream."""
    media = _audio(sdp)
    if media is None or media.proto in DTLS_PROFILES:
        return None
    if media.attribute("fingerprint") is not None or any(
        k == "fingerprint" for k, _v in sdp.attributes
    ):
        return None
    crypto, _lines = usable_crypto(media)
    if media.proto in SECURE_PROFILES:
        return (OfferKind.SAVP, crypto) if crypto else (OfferKind.SAVP_NO_KEY, None)
    if crypto is not None:
        return OfferKind.BEST_EFFORT, crypto
    return OfferKind.PLAIN, None


@dataclass(slots=True)
class _LegState:
    """SDES state of one leg: the keys in use and what Centrex offered last."""

    tx: CryptoAttribute | None = None  # our key (tag and suite as agreed)
    rx_key: bytes | None = None
    proto: str = "RTP/SAVP"
    pending: tuple[CryptoAttribute, ...] | None = None  # our offer awaiting an answer
    context: SrtpContext | None = None


class SdesNegotiator:
    """SDES for every leg of one engine; the engine calls it at each SDP step (module doc)."""

    def __init__(self, keygen: Callable[[int], bytes] = secrets.token_bytes) -> None:
        self._keygen = keygen
        self._legs: dict[str, _LegState] = {}

    def _state(self, leg: MediaLeg) -> _LegState:
        state = self._legs.get(leg.leg_id)
        if state is None:
            state = self._legs[leg.leg_id] = _LegState()
        return state

    @staticmethod
    def policy(leg: MediaLeg) -> SrtpPolicy:
        try:
            return SrtpPolicy(getattr(leg, "srtp_policy", SrtpPolicy.OPTIONAL))
        except ValueError:
            return SrtpPolicy.OPTIONAL

    # --- the party's SDP ---------------------------------------------------------------------

    def on_remote(self, leg: MediaLeg, sdp: SessionDescription) -> bool:
        """The party's SDP: the answer to our pending offer, or an offer. True: SRTP is on.

        Raises `SrtpRefused` when the policy refuses it (the call layer answers 488).
        """
        state = self._legs.get(leg.leg_id)
        if state is not None and state.pending is not None:
            return self._on_answer(leg, state, sdp)
        return self.on_offer(leg, sdp)

    def on_offer(self, leg: MediaLeg, sdp: SessionDescription) -> bool:
        """Apply the policy to an offer; with SRTP, install the context (our key kept or new)."""
        found = classify(sdp)
        if found is None:
            return False
        kind, crypto = found
        decision = POLICY[(self.policy(leg), kind)]
        if decision is Decision.REFUSE:
            reason = _refusal(self.policy(leg), kind)
            log.info("leg %s: 488, %s", leg.leg_id, reason)
            raise SrtpRefused(reason)
        if decision is Decision.PLAIN or crypto is None:
            self._drop(leg)
            return False
        state = self._state(leg)
        media = _audio(sdp)
        state.proto = media.proto if media is not None else "RTP/SAVP"
        tx = state.tx
        if tx is None or tx.profile is not crypto.profile:
            tx = CryptoAttribute(crypto.tag, crypto.profile, self._new_key(crypto.profile))
        elif tx.tag != crypto.tag:
            tx = CryptoAttribute(crypto.tag, tx.profile, tx.key_salt)
        self._install(leg, state, tx, crypto.key_salt)
        return True

    def _on_answer(self, leg: MediaLeg, state: _LegState, sdp: SessionDescription) -> bool:
        offered = state.pending or ()
        state.pending = None
        media = _audio(sdp)
        chosen: CryptoAttribute | None = None
        if media is not None and offered:
            for value in (v or "" for k, v in media.attributes if k == "crypto"):
                try:
                    answer = parse_crypto(value)
                except CryptoError as exc:
                    log.info("leg %s: a=crypto of the answer skipped: %s", leg.leg_id, exc)
                    continue
                ours = next((o for o in offered if o.tag == answer.tag), None)
                if ours is not None and ours.profile is answer.profile:
                    chosen = answer
                    tx = ours
                    break
        if chosen is None:
            if offered and self.policy(leg) is SrtpPolicy.REQUIRED:
                log.info("leg %s: SRTP required, the answer has no usable a=crypto", leg.leg_id)
                raise SrtpRefused("SRTP required: the answer has no usable a=crypto")
            self._drop(leg)
            return False
        state.proto = media.proto if media is not None else state.proto
        self._install(leg, state, tx, chosen.key_salt)
        return True

    # --- our SDP -----------------------------------------------------------------------------

    def decorate_offer(self, leg: MediaLeg, sdp: SessionDescription) -> None:
        """Our offer to the leg's party: SRTP when the leg runs it or requires it."""
        state = self._state(leg)
        media = _audio(sdp)
        if media is None:
            state.pending = ()
            return
        if state.tx is not None and state.context is not None:
            offered: tuple[CryptoAttribute, ...] = (state.tx,)
            media.proto = state.proto
        elif self.policy(leg) is SrtpPolicy.REQUIRED:
            offered = tuple(
                CryptoAttribute(tag, profile, self._new_key(profile))
                for tag, profile in enumerate(SUPPORTED_SUITES, start=1)
            )
            media.proto = "RTP/SAVP"
        else:
            state.pending = ()
            return
        media.attributes = [(k, v) for k, v in media.attributes if k != "crypto"]
        position = next(
            (i for i, (k, _v) in enumerate(media.attributes) if k in _DIRECTIONS),
            len(media.attributes),
        )
        for attribute in reversed(offered):
            media.attributes.insert(position, ("crypto", attribute.serialize()))
        state.pending = offered

    def decorate_answer(self, leg: MediaLeg, sdp: SessionDescription) -> None:
        """Our answer: the offer's profile and our key under the tag we accepted."""
        state = self._legs.get(leg.leg_id)
        media = _audio(sdp)
        if media is None:
            return
        media.attributes = [(k, v) for k, v in media.attributes if k != "crypto"]
        if state is None or state.tx is None or state.context is None:
            if media.proto in SECURE_PROFILES:
                media.proto = "RTP/AVP"
            return
        media.proto = state.proto
        media.attributes.insert(0, ("crypto", state.tx.serialize()))

    # --- life cycle --------------------------------------------------------------------------

    def release(self, leg: MediaLeg) -> None:
        self._legs.pop(leg.leg_id, None)

    def active(self, leg: MediaLeg) -> bool:
        state = self._legs.get(leg.leg_id)
        return state is not None and state.context is not None

    def _new_key(self, profile: SrtpProfile) -> bytes:
        return self._keygen(profile.key_length + profile.salt_length)

    def _install(self, leg: MediaLeg, state: _LegState, tx: CryptoAttribute, rx: bytes) -> None:
        same = (
            state.context is not None
            and state.tx == tx
            and state.rx_key == rx
            and state.context.profile is tx.profile
        )
        state.tx = tx
        state.rx_key = rx
        if same:
            return
        old = state.context
        context = SrtpContext(tx.profile, tx_key=tx.key_salt, rx_key=rx)
        if old is not None:  # counters live on across a re-key
            context.packets_in = old.packets_in
            context.packets_out = old.packets_out
            context.auth_failures = old.auth_failures
            context.replay_failures = old.replay_failures
            context.errors = old.errors
        state.context = context
        wrap(leg, context)

    def _drop(self, leg: MediaLeg) -> None:
        state = self._legs.get(leg.leg_id)
        if state is not None and state.context is not None:
            unwrap(leg)
            state.context = None
            state.tx = None
            state.rx_key = None


_DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})


def _refusal(policy: SrtpPolicy, kind: OfferKind) -> str:
    if kind is OfferKind.SAVP_NO_KEY:
        return "SRTP offer (RTP/SAVP) without a usable a=crypto (suite, key or parameters)"
    if policy is SrtpPolicy.REQUIRED:
        return "SRTP is required for this extension: plain RTP offer refused"
    return "SRTP is off for this extension: RTP/SAVP offer refused"


# --- the transports of a leg with SRTP ---------------------------------------------------------


def _is_rtcp(data: bytes) -> bool:
    return len(data) > 1 and 191 < data[1] < 224  # RFC 5761 §4 (rtcp-mux demultiplexing)


class _Unprotecting(asyncio.DatagramProtocol):
    """Receives SRTP (or SRTCP), hands plain packets to the leg's own protocol."""

    __slots__ = ("context", "inner", "rtcp")

    def __init__(self, inner: Any, context: SrtpContext, *, rtcp: bool) -> None:
        self.inner = inner
        self.context = context
        self.rtcp = rtcp

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if self.rtcp or _is_rtcp(data):
            plain = self.context.unprotect_rtcp(data)
        else:
            plain = self.context.unprotect(data)
        if plain is not None:  # refused packets are counted by the context
            self.inner.datagram_received(plain, addr)

    def error_received(self, exc: Exception) -> None:
        self.inner.error_received(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)


class _Protecting(asyncio.DatagramTransport):
    """The leg's socket with SRTP applied to everything sent."""

    def __init__(self, inner: asyncio.DatagramTransport, context: SrtpContext, *, rtcp: bool):
        super().__init__()
        self.inner = inner
        self.context = context
        self.rtcp = rtcp

    def sendto(self, data: Any, addr: Any = None) -> None:
        packet = bytes(data)
        if self.rtcp or _is_rtcp(packet):
            out = self.context.protect_rtcp(packet)
        else:
            out = self.context.protect(packet)
        if out is not None:
            self.inner.sendto(out, addr)

    def close(self) -> None:
        self.inner.close()

    def is_closing(self) -> bool:
        return self.inner.is_closing()

    def abort(self) -> None:
        self.inner.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.inner.get_extra_info(name, default)


def _plain(transport: asyncio.DatagramTransport | None) -> asyncio.DatagramTransport | None:
    return transport.inner if isinstance(transport, _Protecting) else transport


def wrap(leg: MediaLeg, context: SrtpContext) -> None:
    """Put SRTP on the leg's sockets (replacing an earlier context) and expose its counters."""
    for attr, rtcp in (("rtp_transport", False), ("rtcp_transport", True)):
        transport = _plain(getattr(leg, attr))
        if transport is None:
            continue
        protocol = transport.get_protocol()
        if isinstance(protocol, _Unprotecting):
            protocol = protocol.inner
        transport.set_protocol(_Unprotecting(protocol, context, rtcp=rtcp))
        setattr(leg, attr, _Protecting(transport, context, rtcp=rtcp))
    leg.srtp = context


def unwrap(leg: MediaLeg) -> None:
    """Back to plain RTP on the leg's sockets (a re-INVITE that dropped SRTP)."""
    for attr in ("rtp_transport", "rtcp_transport"):
        transport = _plain(getattr(leg, attr))
        if transport is None:
            continue
        protocol = transport.get_protocol()
        if isinstance(protocol, _Unprotecting):
            transport.set_protocol(protocol.inner)
        setattr(leg, attr, transport)
    leg.srtp = None
