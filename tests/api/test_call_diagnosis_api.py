"""`GET /api/v1/calls` and `GET /api/v1/calls/{id}` keep a browser leg's WebRTC counters and the
doctor's findings (issue 14 item 7); plain legs get `webrtc: null, diagnosis: []`; another
tenant's call is 404. The fake's media legs are built with the call layer's own
`webrtc_view`, as `LiveCallView` builds them from a real leg."""

from __future__ import annotations

from typing import Any

from centrex.calls.live import webrtc_view
from centrex.media.webrtc.counters import WebRtcCounters
from tests.api.conftest import World

FAILED = WebRtcCounters(
    stun_binding_requests=7,
    stun_bad=1,
    ice_selected=("127.0.0.71", 50000),
    dtls_state="failed",
    dtls_failures=1,
    dtls_failure="the peer's certificate does not match the SDP fingerprint",
    srtp_profile=None,
    srtp_packets_in=0,
    srtp_packets_out=0,
    srtp_auth_failures=0,
    srtp_replay_failures=0,
    srtp_unsent=312,
)
RTP = {"codec": "PCMU", "direction": "sendrecv", "latched": True, "packets_in": 0,
       "bytes_in": 0, "packets_out": 0, "bytes_out": 0, "lost": 0, "loss_ratio": 0.0,
       "jitter_ms": 0.0, "last_packet": None}  # fmt: skip


def _call() -> dict[str, Any]:
    return {
        "call_id": "call-a",
        "caller": "101",
        "callee": "102",
        "state": "answered",
        "media": [
            {"side": "a", **RTP, **webrtc_view(FAILED, 12.0)},
            {"side": "b", **RTP, "packets_in": 600, **webrtc_view(None, 12.0)},
        ],
    }


async def test_the_browser_leg_carries_counters_and_findings(world: World) -> None:
    world.calls.calls[world.ids["a"]] = [_call()]
    admin = world.auth("admin_a")
    listed = (await world.client.get("/api/v1/calls", headers=admin)).json()
    assert listed["total"] == 1
    one = await world.client.get("/api/v1/calls/call-a", headers=admin)
    assert one.status_code == 200
    for call in (listed["items"][0], one.json()):
        browser, phone = call["media"]
        assert browser["webrtc"] == {
            "stun_binding_requests": 7, "stun_bad": 1, "ice_selected": "127.0.0.71:50000",
            "dtls_state": "failed", "dtls_failures": 1,
            "dtls_failure": "the peer's certificate does not match the SDP fingerprint",
            "srtp_profile": None, "srtp_packets_in": 0, "srtp_packets_out": 0,
            "srtp_auth_failures": 0, "srtp_replay_failures": 0, "srtp_unsent": 312,
        }  # fmt: skip
        assert [f["code"] for f in browser["diagnosis"]] == ["dtls-failed", "stun-refused"]
        assert "a=fingerprint" in browser["diagnosis"][0]["message"]
        assert (browser["codec"], browser["latched"], browser["packets_in"]) == ("PCMU", True, 0)
        assert (phone["webrtc"], phone["diagnosis"], phone["packets_in"]) == (None, [], 600)


async def test_a_leg_without_webrtc_keys_still_validates(world: World) -> None:
    """Sources that predate the doctor (or other media edges) send plain legs only."""
    world.calls.calls[world.ids["a"]] = [{**_call(), "media": [{"side": "a", **RTP}]}]
    call = (await world.client.get("/api/v1/calls/call-a", headers=world.auth("admin_a"))).json()
    assert (call["media"][0]["webrtc"], call["media"][0]["diagnosis"]) == (None, [])


async def test_another_tenant_never_sees_the_call(world: World) -> None:
    world.calls.calls[world.ids["a"]] = [_call()]
    for who in ("admin_b", "user_a"):  # B's admin; A's user who is no party of the call
        answer = await world.client.get("/api/v1/calls/call-a", headers=world.auth(who))
        assert answer.status_code == 404, who
        assert answer.json()["error_id"] == "call-not-found"
    b = world.auth("admin_b")
    assert (await world.client.get("/api/v1/calls", headers=b)).json()["total"] == 0
    missing = await world.client.get("/api/v1/calls/nope", headers=world.auth("admin_a"))
    assert missing.status_code == 404
