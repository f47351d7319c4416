"""What counts as hold in an SDP (RFC 3264 §8.4, and RFC 2543's c=0.0.0.0)."""

from __future__ import annotations

import pytest

from centrex.calls.features.hold import is_hold

SDP = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n{direction}"
)


@pytest.mark.parametrize(
    ("address", "direction", "held"),
    [
        ("127.0.0.1", "a=sendonly\r\n", True),
        ("127.0.0.1", "a=inactive\r\n", True),
        ("0.0.0.0", "", True),
        ("127.0.0.1", "a=sendrecv\r\n", False),
        ("127.0.0.1", "", False),
        ("127.0.0.1", "a=recvonly\r\n", False),
    ],
)
def test_hold_is_sendonly_inactive_or_null_address(
    address: str, direction: str, held: bool
) -> None:
    assert is_hold(SDP.format(address=address, direction=direction).encode()) is held
