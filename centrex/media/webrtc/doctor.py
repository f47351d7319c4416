"""The WebRTC doctor: which step of a browser leg's media path failed, from its counters.

Theory of operation
-------------------
Media reaches a browser leg through three steps, each of which needs the one before it:

1. **ICE** (RFC 8445 §2.5, ICE-lite on our side): the browser sends STUN binding requests to
   the media port of our answer; a valid one (MESSAGE-INTEGRITY with our ice-pwd, RFC 8489
   §14.5) selects the pair. None at all means the browser's UDP never reached the port.
2. **DTLS** (RFC 5763 §5, RFC 5764): one handshake on the selected pair; the peer's
   certificate must match the `a=fingerprint` of its SDP, and ours the one of our SDP.
3. **SRTP** (RFC 3711): packets from the browser are authenticated and replay-checked; we
   send only once keys exist (before that media is dropped and counted `srtp_unsent`).

`diagnose` walks the steps in that order and stops at the first one that failed (a later
step cannot have happened): that finding comes first. A step that has simply not happened
*yet* is reported as `pending` while the leg is younger than `grace` seconds (a browser
starts its checks a moment after it got the answer), and as the failure once older. Counters
that show trouble without blocking media (refused STUN, forged or replayed SRTP) follow as
warnings; a healthy path starts with `ok`.

Pure: counters and an age in, findings out. The call layer reads it for the live API and the
portal's call page; the leg's release log line carries the codes of the last diagnosis.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from centrex.media.webrtc.counters import WebRtcCounters

__all__ = ["GRACE_SECONDS", "Code", "Finding", "codes", "diagnose"]

GRACE_SECONDS = 5.0  # how long a browser may take to start ICE / DTLS / media before we worry


class Code(enum.StrEnum):
    """Stable codes: the API, the portal and log searches key on them (never rename)."""

    OK = "ok"
    PENDING = "pending"
    NO_ICE_BINDING = "no-ice-binding"
    DTLS_NOT_STARTED = "dtls-not-started"
    DTLS_INCOMPLETE = "dtls-incomplete"
    DTLS_FAILED = "dtls-failed"
    SRTP_AUTH_FAILURES = "srtp-auth-failures"
    NO_SRTP_IN = "no-srtp-in"
    NO_SRTP_OUT = "no-srtp-out"
    STUN_REFUSED = "stun-refused"
    SRTP_REPLAY = "srtp-replay"


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the diagnosis: a stable `code` and a sentence saying what to check."""

    code: Code
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}


def _dtls_failed(reason: str | None) -> Finding:
    why = reason or "DTLS handshake failed"
    if "fingerprint" in why:
        hint = (
            "the certificate the browser used is not the one its SDP's a=fingerprint names: "
            "check that the SDP reached Centrex unaltered (a proxy or SBC rewriting it) and "
            "that the browser did not restart its connection with a new certificate"
        )
    elif "certificate" in why:
        hint = "the browser sent no certificate: it must offer one with its a=fingerprint"
    elif "SRTP" in why:
        hint = "no common SRTP profile: the browser must offer AES_CM_128_HMAC_SHA1_80 or AEAD-GCM"
    else:
        hint = (
            "check that the browser accepted our certificate (its console shows a fingerprint "
            "or DTLS error) and that both sides agree on a=setup (one active, one passive)"
        )
    return Finding(Code.DTLS_FAILED, f"DTLS handshake failed ({why}): {hint}; no media flows.")


def _pending(step: str, age: float) -> Finding:
    return Finding(Code.PENDING, f"Waiting for {step} ({age:.0f} s since the answer).")


def _blocking(c: WebRtcCounters, age: float, grace: float) -> Finding | None:
    """The first failed (or not yet reached) step, or None if media flows both ways."""
    late = age >= grace
    if c.stun_binding_requests == 0 or c.ice_selected is None:
        if not late:
            return _pending("the browser's ICE connectivity checks", age)
        refused = (
            f" {c.stun_bad} STUN message(s) were refused: wrong ICE credentials (the browser "
            "uses another call's ice-ufrag/ice-pwd?) or malformed."
            if c.stun_bad
            else ""
        )
        return Finding(
            Code.NO_ICE_BINDING,
            "No valid ICE binding request reached the media port: check that UDP from the "
            "browser to Centrex's media port range is open (firewall, NAT, VPN) and that the "
            "answer's a=candidate address is reachable from the browser." + refused,
        )
    if c.dtls_state == "failed" or (c.dtls_failures and c.dtls_state != "connected"):
        return _dtls_failed(c.dtls_failure)
    if c.dtls_state == "new":
        if not late:
            return _pending("the DTLS handshake", age)
        return Finding(
            Code.DTLS_NOT_STARTED,
            "ICE works but no DTLS handshake started: check the a=setup roles (the active "
            "side must send the ClientHello; both passive means nobody starts).",
        )
    if c.dtls_state != "connected":
        if not late:
            return _pending("the DTLS handshake to finish", age)
        return Finding(
            Code.DTLS_INCOMPLETE,
            "The DTLS handshake started but never finished: check that the browser accepted "
            "our certificate (fingerprint error in its console) and that large UDP packets "
            "are not dropped on the way (MTU, firewall).",
        )
    if c.srtp_packets_in == 0 and c.srtp_auth_failures:
        return Finding(
            Code.SRTP_AUTH_FAILURES,
            f"Every SRTP packet from the browser failed authentication "
            f"({c.srtp_auth_failures}): its keys are not the ones of this DTLS session (a "
            "second connection on the same port?) or packets are altered on the way.",
        )
    if c.srtp_packets_in == 0 and late:
        return Finding(
            Code.NO_SRTP_IN,
            "Keys are agreed but the browser sends no audio: check its microphone permission "
            "and mute, and that the call is not on hold (sendonly/inactive).",
        )
    if c.srtp_packets_out == 0 and late:
        return Finding(
            Code.NO_SRTP_OUT,
            f"Nothing was sent to the browser ({c.srtp_unsent} packet(s) dropped before "
            "keys): the other party of the call sends no RTP; check its leg.",
        )
    if c.srtp_packets_in == 0 or c.srtp_packets_out == 0:
        return _pending("the first audio packets", age)
    return None


def _warnings(c: WebRtcCounters, blocking: Finding | None) -> list[Finding]:
    found = []
    if c.stun_bad and (blocking is None or blocking.code is not Code.NO_ICE_BINDING):
        found.append(
            Finding(
                Code.STUN_REFUSED,
                f"{c.stun_bad} STUN message(s) refused (bad ICE credentials, malformed, or "
                "from a stranger): harmless unless they keep coming.",
            )
        )
    if c.srtp_auth_failures and (blocking is None or blocking.code is not Code.SRTP_AUTH_FAILURES):
        found.append(
            Finding(
                Code.SRTP_AUTH_FAILURES,
                f"{c.srtp_auth_failures} SRTP packet(s) failed authentication and were "
                "dropped (forged, corrupted, or keyed for another session).",
            )
        )
    if c.srtp_replay_failures:
        found.append(
            Finding(
                Code.SRTP_REPLAY,
                f"{c.srtp_replay_failures} SRTP packet(s) refused as replays (duplicated on "
                "the network path, or replayed by someone): audio is unaffected if few.",
            )
        )
    return found


def diagnose(
    counters: WebRtcCounters | None, age: float, *, grace: float = GRACE_SECONDS
) -> list[Finding]:
    """The findings of one browser leg, the blocking one (or `ok`) first; [] for a leg that
    is not a browser's. `age` is the seconds since the call was answered (0 before;
    `ENDED` once it ended: what has not happened by then never will)."""
    if counters is None:
        return []
    blocking = _blocking(counters, age, grace)
    head = blocking or Finding(
        Code.OK,
        f"ICE, DTLS and SRTP work: {counters.srtp_packets_in} packet(s) in, "
        f"{counters.srtp_packets_out} out.",
    )
    return [head, *_warnings(counters, blocking)]


def codes(findings: list[Finding]) -> str:
    """`dtls-failed,stun-refused`: the findings' codes for a log line ("-" when none)."""
    return ",".join(f.code.value for f in findings) or "-"


ENDED = math.inf  # the age to pass for a leg being released
