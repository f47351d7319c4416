"""SrtpContext: round trip, replay and authentication failures counted, never raised."""

from __future__ import annotations

import struct

import pytest

from centrex.media.webrtc.srtp import SrtpContext, SrtpProfile

KEY_A = bytes(range(30))
KEY_B = bytes(range(100, 130))


def rtp(seq: int, payload: bytes = b"\xff" * 160, ssrc: int = 0x1234) -> bytes:
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc) + payload


def rtcp_rr(ssrc: int = 0x1234) -> bytes:
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


def pair(
    profile: SrtpProfile = SrtpProfile.AES_CM_128_HMAC_SHA1_80,
) -> tuple[SrtpContext, SrtpContext]:
    n = profile.key_length + profile.salt_length
    a, b = KEY_A[:n].ljust(n, b"a"), KEY_B[:n].ljust(n, b"b")
    return SrtpContext(profile, tx_key=a, rx_key=b), SrtpContext(profile, tx_key=b, rx_key=a)


@pytest.mark.parametrize("profile", list(SrtpProfile))
def test_round_trip_rtp_and_rtcp(profile: SrtpProfile) -> None:
    alice, bob = pair(profile)
    packet = rtp(7)
    protected = alice.protect(bytearray(packet))
    assert protected is not None
    assert protected != packet
    assert protected[:12] == packet[:12]  # the header stays in the clear (RFC 3711 §3.1)
    assert bob.unprotect(protected) == packet
    srtcp = alice.protect_rtcp(rtcp_rr())
    assert srtcp is not None
    assert bob.unprotect_rtcp(srtcp) == rtcp_rr()
    assert (alice.packets_out, bob.packets_in) == (2, 2)


def test_sha1_80_adds_a_ten_byte_tag() -> None:
    alice, _ = pair()
    protected = alice.protect(rtp(1))
    assert protected is not None
    assert len(protected) == len(rtp(1)) + 10


def test_replay_is_refused_and_counted() -> None:
    alice, bob = pair()
    protected = alice.protect(rtp(1))
    assert protected is not None
    assert bob.unprotect(protected) is not None
    assert bob.unprotect(protected) is None
    counters = bob.counters()
    assert (counters.replay_failures, counters.auth_failures, counters.packets_in) == (1, 0, 1)


def test_tampered_packet_fails_authentication() -> None:
    alice, bob = pair()
    protected = bytearray(alice.protect(rtp(1)) or b"")
    protected[20] ^= 0x01
    assert bob.unprotect(bytes(protected)) is None
    assert bob.auth_failures == 1
    assert bob.packets_in == 0


def test_wrong_key_fails_authentication_for_rtcp_too() -> None:
    alice, _ = pair()
    stranger = SrtpContext(SrtpProfile.AES_CM_128_HMAC_SHA1_80, tx_key=KEY_B, rx_key=KEY_B)
    srtcp = alice.protect_rtcp(rtcp_rr())
    assert srtcp is not None
    assert stranger.unprotect_rtcp(srtcp) is None
    assert stranger.auth_failures == 1


def test_junk_is_counted_as_an_error_not_raised() -> None:
    _, bob = pair()
    assert bob.unprotect(b"\x80") is None
    assert bob.unprotect_rtcp(b"") is None
    assert bob.errors + bob.auth_failures == 2


def test_repeated_outbound_index_is_still_sent() -> None:
    alice, _ = pair()
    assert alice.protect(rtp(5)) is not None
    assert alice.protect(rtp(5)) is not None  # OutStream may repeat one seq at a switch


def test_key_length_is_checked() -> None:
    with pytest.raises(ValueError, match="must be 30 bytes"):
        SrtpContext(SrtpProfile.AES_CM_128_HMAC_SHA1_80, tx_key=b"x" * 16, rx_key=KEY_A)


def test_profile_names() -> None:
    assert (
        SrtpProfile.from_dtls_name("SRTP_AES128_CM_SHA1_80") is SrtpProfile.AES_CM_128_HMAC_SHA1_80
    )
    assert SrtpProfile.from_sdes_name("AEAD_AES_256_GCM").key_length == 32
    with pytest.raises(ValueError, match="unknown"):
        SrtpProfile.from_dtls_name("SRTP_NULL")
    with pytest.raises(ValueError, match="unknown"):
        SrtpProfile.from_sdes_name("F8_128_HMAC_SHA1_80")
