"""The WebRTC doctor as a literal table: counters and an age in, the codes out (in order)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from centrex.media.webrtc.counters import WebRtcCounters
from centrex.media.webrtc.doctor import ENDED, GRACE_SECONDS, Code, codes, diagnose

BROWSER = ("127.0.0.71", 50000)
FINGERPRINT = "the peer's certificate does not match the SDP fingerprint"

HEALTHY = WebRtcCounters(
    stun_binding_requests=12,
    stun_bad=0,
    ice_selected=BROWSER,
    dtls_state="connected",
    dtls_failures=0,
    dtls_failure=None,
    srtp_profile="AES_CM_128_HMAC_SHA1_80",
    srtp_packets_in=500,
    srtp_packets_out=498,
    srtp_auth_failures=0,
    srtp_replay_failures=0,
    srtp_unsent=3,
)
NOTHING = dataclasses.replace(
    HEALTHY, stun_binding_requests=0, ice_selected=None, dtls_state="new", srtp_profile=None,
    srtp_packets_in=0, srtp_packets_out=0, srtp_unsent=0,
)  # fmt: skip
ICE_ONLY = dataclasses.replace(
    NOTHING, stun_binding_requests=3, ice_selected=BROWSER, srtp_unsent=40
)
FAILED = dataclasses.replace(
    ICE_ONLY, dtls_state="failed", dtls_failures=1, dtls_failure=FINGERPRINT, srtp_unsent=250
)
KEYED = dataclasses.replace(HEALTHY, srtp_packets_in=0, srtp_packets_out=0, srtp_unsent=0)
LATE = GRACE_SECONDS + 1.0
EARLY = GRACE_SECONDS - 1.0


def c(base: WebRtcCounters, **changes: Any) -> WebRtcCounters:
    return dataclasses.replace(base, **changes)


TABLE: list[tuple[str, WebRtcCounters | None, float, list[str]]] = [
    # (case, counters, age in s, codes in order)
    ("plain leg", None, LATE, []),
    ("healthy", HEALTHY, LATE, ["ok"]),
    ("healthy, ended", HEALTHY, ENDED, ["ok"]),
    ("just answered", NOTHING, EARLY, ["pending"]),
    ("no STUN ever", NOTHING, LATE, ["no-ice-binding"]),
    ("no STUN, call ended", NOTHING, ENDED, ["no-ice-binding"]),
    ("only bad STUN", c(NOTHING, stun_binding_requests=4, stun_bad=4), LATE, ["no-ice-binding"]),
    ("ICE, DTLS not yet", ICE_ONLY, EARLY, ["pending"]),
    ("ICE, no DTLS", ICE_ONLY, LATE, ["dtls-not-started"]),
    ("DTLS stuck", c(ICE_ONLY, dtls_state="connecting"), LATE, ["dtls-incomplete"]),
    ("DTLS connecting", c(ICE_ONLY, dtls_state="connecting"), EARLY, ["pending"]),
    ("wrong fingerprint", FAILED, EARLY, ["dtls-failed"]),
    ("wrong fingerprint, late", FAILED, LATE, ["dtls-failed"]),
    ("failed + junk STUN", c(FAILED, stun_bad=2), LATE, ["dtls-failed", "stun-refused"]),
    ("keys, no packets yet", KEYED, EARLY, ["pending"]),
    ("keys, browser silent", c(KEYED, srtp_packets_out=300), LATE, ["no-srtp-in"]),
    ("keys, other side silent", c(KEYED, srtp_packets_in=300, srtp_unsent=0), LATE,
     ["no-srtp-out"]),
    ("all SRTP forged", c(KEYED, srtp_auth_failures=200), EARLY, ["srtp-auth-failures"]),
    ("some SRTP forged", c(HEALTHY, srtp_auth_failures=1), LATE, ["ok", "srtp-auth-failures"]),
    ("replays", c(HEALTHY, srtp_replay_failures=5), LATE, ["ok", "srtp-replay"]),
    ("stranger's STUN", c(HEALTHY, stun_bad=1), LATE, ["ok", "stun-refused"]),
    ("everything at once", c(HEALTHY, stun_bad=1, srtp_auth_failures=2, srtp_replay_failures=3),
     LATE, ["ok", "stun-refused", "srtp-auth-failures", "srtp-replay"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "counters", "age", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_diagnosis_table(
    case: str, counters: WebRtcCounters | None, age: float, expected: list[str]
) -> None:
    assert [f.code.value for f in diagnose(counters, age)] == expected, case


def test_every_code_is_reached_by_the_table() -> None:
    reached = {code for _, counters, age, _ in TABLE for code in
               (f.code for f in diagnose(counters, age))}  # fmt: skip
    assert reached == set(Code)


def test_messages_say_what_to_check() -> None:
    (no_ice,) = diagnose(NOTHING, LATE)
    assert "UDP" in no_ice.message
    assert "firewall" in no_ice.message
    (failed,) = diagnose(FAILED, LATE)
    assert FINGERPRINT in failed.message
    assert "a=fingerprint" in failed.message
    (other,) = diagnose(c(FAILED, dtls_failure="DTLS handshake failed: timeout"), LATE)
    assert "accepted our certificate" in other.message
    refused = diagnose(c(NOTHING, stun_binding_requests=4, stun_bad=4), LATE)[0]
    assert "4 STUN message(s) were refused" in refused.message
    assert (
        diagnose(HEALTHY, LATE)[0].message == "ICE, DTLS and SRTP work: 500 packet(s) in, 498 out."
    )


def test_the_grace_is_an_argument_and_codes_join_for_a_log_line() -> None:
    assert codes(diagnose(NOTHING, 2.0, grace=1.0)) == "no-ice-binding"
    assert codes(diagnose(NOTHING, 2.0, grace=3.0)) == "pending"
    assert codes(diagnose(c(FAILED, stun_bad=1), ENDED)) == "dtls-failed,stun-refused"
    assert codes([]) == "-"
    assert diagnose(FAILED, LATE)[0].as_dict()["code"] == "dtls-failed"
