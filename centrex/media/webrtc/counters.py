"""Counters of one WebRTC leg, frozen for `LegSnapshot` (the "doctor" page reads them).

Separate from `leg.py` so `session.py` can name the type without importing the WebRTC edge.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WebRtcCounters"]


@dataclass(frozen=True, slots=True)
class WebRtcCounters:
    """`dtls_state` is new/connecting/connected/failed; `dtls_failure` the reason of a failure.

    `srtp_unsent` counts media we had to drop because no SRTP keys existed yet (before the
    handshake, or after it failed): the relay never sends a browser plain RTP.
    """

    stun_binding_requests: int
    stun_bad: int
    ice_selected: tuple[str, int] | None
    dtls_state: str
    dtls_failures: int
    dtls_failure: str | None
    srtp_profile: str | None
    srtp_packets_in: int
    srtp_packets_out: int
    srtp_auth_failures: int
    srtp_replay_failures: int
    srtp_unsent: int
