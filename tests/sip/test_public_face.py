"""The SIP core's public face: what `centrex.sip` exports (its purity is in tests/test_architecture.py)."""

from __future__ import annotations


def test_public_face() -> None:
    import centrex.sip as sip

    for name in (
        "parse_message",
        "SipParseError",
        "SipError",
        "Request",
        "Response",
        "parse_uri",
        "parse_sdp",
        "compute_ha1",
        "SipEndpoint",
        "TimerConfig",
        "build_response",
        "validate_request",
    ):
        assert hasattr(sip, name), name
    assert issubclass(sip.SipParseError, ValueError)
    assert issubclass(sip.SdpParseError, ValueError)
