"""DTLS-SRTP between two in-memory sessions: keys agree, a wrong fingerprint fails the leg."""

from __future__ import annotations

import struct

import pytest

from centrex.media.webrtc.dtls import DtlsCertificate, DtlsSession, DtlsState, fingerprint_of


@pytest.fixture(scope="module")
def certs() -> tuple[DtlsCertificate, DtlsCertificate]:
    return DtlsCertificate(), DtlsCertificate()


def pump(client: DtlsSession, server: DtlsSession) -> None:
    to_server = client.start()
    server.start()
    for _ in range(20):
        to_client = [out for data in to_server for out in server.receive(data)]
        to_server = [out for data in to_client for out in client.receive(data)]
        if not to_server and not to_client:
            break


def rtp(seq: int) -> bytes:
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 99) + b"\x55" * 160


def test_handshake_agrees_srtp_keys_both_ways(
    certs: tuple[DtlsCertificate, DtlsCertificate],
) -> None:
    ours, theirs = certs
    client = DtlsSession(ours, client=True, remote_fingerprint=("sha-256", theirs.fingerprint))
    server = DtlsSession(theirs, client=False, remote_fingerprint=("sha-256", ours.fingerprint))
    assert client.state is DtlsState.NEW
    pump(client, server)
    assert (client.state, server.state) == (DtlsState.CONNECTED, DtlsState.CONNECTED)
    assert client.srtp is not None
    assert server.srtp is not None
    assert client.srtp.profile is server.srtp.profile
    assert server.srtp.unprotect(client.srtp.protect(rtp(1)) or b"") == rtp(1)
    assert client.srtp.unprotect(server.srtp.protect(rtp(2)) or b"") == rtp(2)
    assert client.timeout() is None


def test_wrong_fingerprint_fails_and_gives_no_keys(
    certs: tuple[DtlsCertificate, DtlsCertificate],
) -> None:
    ours, theirs = certs
    stranger = DtlsCertificate()
    client = DtlsSession(ours, client=True, remote_fingerprint=("sha-256", stranger.fingerprint))
    server = DtlsSession(theirs, client=False, remote_fingerprint=("sha-256", ours.fingerprint))
    pump(client, server)
    assert client.state is DtlsState.FAILED
    assert client.srtp is None
    assert "fingerprint" in (client.failure or "")
    assert client.receive(b"\x16\xfe\xfd") == []  # FAILED is final


def test_garbage_datagram_fails_the_handshake_without_raising(
    certs: tuple[DtlsCertificate, DtlsCertificate],
) -> None:
    ours, theirs = certs
    server = DtlsSession(theirs, client=False, remote_fingerprint=("sha-256", ours.fingerprint))
    assert server.receive(b"\x16\xfe\xfd" + b"\x00" * 40) == []
    assert server.state in (DtlsState.FAILED, DtlsState.CONNECTING)


def test_client_retransmits_on_timeout(certs: tuple[DtlsCertificate, DtlsCertificate]) -> None:
    ours, theirs = certs
    client = DtlsSession(ours, client=True, remote_fingerprint=("sha-256", theirs.fingerprint))
    first = client.start()
    assert first
    assert first[0][0] == 22  # handshake record (RFC 7983 range 20..63)
    timeout = client.timeout()
    assert timeout is not None
    assert timeout > 0


def test_fingerprint_format() -> None:
    value = fingerprint_of(b"abc")
    assert value.startswith("BA:78:16:BF:")
    assert len(value.split(":")) == 32
    assert len(fingerprint_of(b"abc", "SHA-1").split(":")) == 20
    with pytest.raises(ValueError, match="unsupported"):
        fingerprint_of(b"abc", "md5")
