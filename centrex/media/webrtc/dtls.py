"""DTLS-SRTP key agreement for one leg (RFC 5763, RFC 5764) through pyOpenSSL memory BIOs.

Theory of operation
-------------------
A WebRTC leg runs one DTLS handshake on its media port (demultiplexed by `leg.py`, RFC 7983)
to agree SRTP keys. No certificate authority is involved: each side sends a self-signed
certificate and the SDP carries its hash (`a=fingerprint`, RFC 8122 §5). The signalling is
the trust anchor, so after the handshake the peer's certificate is hashed and compared with
the fingerprint of its SDP; a mismatch fails the leg (RFC 5763 §5: "MUST ... tear down").

Roles come from `a=setup` (`sdp.py`): the `active` side is the DTLS client and speaks first.
Then the `use_srtp` extension (RFC 5764 §4.1) picks a protection profile, and keying material
is exported with the label "EXTRACTOR-dtls_srtp" (§4.2) as client key | server key |
client salt | server salt; the client protects with the client half.

The session is sans-socket: `start`, `receive` and `on_timeout` return the datagrams to send,
`timeout()` says when OpenSSL wants its retransmission timer (RFC 6347 §4.2.4.1). OpenSSL
reads the wall clock for that timer itself; the leg only schedules the call on the ticker.

States: NEW -> CONNECTING (start) -> CONNECTED (handshake done, fingerprint good) or FAILED
(handshake error, bad fingerprint, no profile). FAILED is final: no keys, no media.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL

from centrex.media.webrtc.srtp import SrtpContext, SrtpProfile

__all__ = ["DtlsCertificate", "DtlsSession", "DtlsState", "fingerprint_of"]

# Offered in this order; browsers pick GCM when they can (RFC 7714), aiortc the same.
_PROFILES = (
    SrtpProfile.AEAD_AES_128_GCM,
    SrtpProfile.AES_CM_128_HMAC_SHA1_80,
)
_LABEL = b"EXTRACTOR-dtls_srtp"
_HASHES = {"sha-1": "sha1", "sha-224": "sha224", "sha-256": "sha256", "sha-384": "sha384",
           "sha-512": "sha512"}  # fmt: skip


def fingerprint_of(der: bytes, algorithm: str = "sha-256") -> str:
    """RFC 8122 §5: upper-case hex pairs joined by colons."""
    name = _HASHES.get(algorithm.lower())
    if name is None:
        raise ValueError(f"unsupported fingerprint hash {algorithm!r}")
    return ":".join(f"{b:02X}" for b in hashlib.new(name, der).digest())


class DtlsCertificate:
    """A self-signed ECDSA P-256 certificate (one per process is enough, RFC 8827 §6.5)."""

    def __init__(self, *, common_name: str = "centrex") -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(secrets.randbits(63) + 1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        self.key = key
        self.certificate = cert
        self.der = cert.public_bytes(serialization.Encoding.DER)
        self.fingerprint = fingerprint_of(self.der)

    def context(self) -> SSL.Context:
        """A DTLS context with our certificate, use_srtp and peer certificates required."""
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.set_options(SSL.OP_NO_TICKET)
        ctx.use_certificate(self.certificate)
        ctx.use_privatekey(self.key)
        # Any certificate is accepted by OpenSSL: the check is the SDP fingerprint, made after
        # the handshake (module docstring); VERIFY_FAIL_IF_NO_PEER_CERT makes one mandatory.
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *_: True)
        ctx.set_tlsext_use_srtp(b":".join(p.dtls_name.encode() for p in _PROFILES))
        return ctx


class DtlsState(Enum):
    NEW = "new"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RemoteFingerprint:
    algorithm: str
    value: str

    def matches(self, der: bytes) -> bool:
        try:
            return fingerprint_of(der, self.algorithm) == self.value.upper()
        except ValueError:
            return False


class DtlsSession:
    """One DTLS association. `client`: we are `a=setup:active` and send the ClientHello."""

    def __init__(
        self, certificate: DtlsCertificate, *, client: bool, remote_fingerprint: tuple[str, str]
    ) -> None:
        self.client = client
        self.remote_fingerprint = RemoteFingerprint(*remote_fingerprint)
        self.state = DtlsState.NEW
        self.failure: str | None = None
        self.srtp: SrtpContext | None = None
        self._ssl = SSL.Connection(certificate.context(), None)
        if client:
            self._ssl.set_connect_state()
        else:
            self._ssl.set_accept_state()

    def start(self) -> list[bytes]:
        """Begin the handshake (the client's first flight; nothing for a server)."""
        if self.state is not DtlsState.NEW:
            return []
        self.state = DtlsState.CONNECTING
        return self._step()

    def receive(self, data: bytes) -> list[bytes]:
        """Feed one DTLS datagram; returns what to send back."""
        if self.state is DtlsState.FAILED:
            return []
        if self.state is DtlsState.NEW:
            self.state = DtlsState.CONNECTING
        try:
            self._ssl.bio_write(data)
        except SSL.Error as exc:
            return self._fail(f"DTLS input refused: {exc}")
        if self.state is DtlsState.CONNECTED:
            self._drain_application_data()
            return self._outgoing()
        return self._step()

    def timeout(self) -> float | None:
        """Seconds until OpenSSL wants `on_timeout` (None: no timer needed)."""
        if self.state is not DtlsState.CONNECTING:
            return None
        value = self._ssl.DTLSv1_get_timeout()
        return None if value is None else float(value)

    def on_timeout(self) -> list[bytes]:
        """Retransmit the last flight when its timer ran out (RFC 6347 §4.2.4)."""
        if self.state is not DtlsState.CONNECTING:
            return []
        self._ssl.DTLSv1_handle_timeout()
        return self._outgoing()

    # --- internals --------------------------------------------------------------------------

    def _step(self) -> list[bytes]:
        try:
            self._ssl.do_handshake()
        except SSL.WantReadError:
            return self._outgoing()
        except SSL.Error as exc:
            out = self._outgoing()  # an alert, when OpenSSL wrote one
            return out + self._fail(f"DTLS handshake failed: {exc}")
        out = self._outgoing()
        self._connected()
        return out

    def _connected(self) -> None:
        cert = self._ssl.get_peer_certificate(as_cryptography=True)
        if cert is None:
            self._fail("the peer sent no certificate")
            return
        der = cert.public_bytes(serialization.Encoding.DER)
        if not self.remote_fingerprint.matches(der):
            self._fail("the peer's certificate does not match the SDP fingerprint")
            return
        selected = self._ssl.get_selected_srtp_profile()
        try:
            profile = SrtpProfile.from_dtls_name(selected.decode())
        except ValueError:
            self._fail(f"no SRTP protection profile agreed ({selected!r})")
            return
        key_len, salt_len = profile.key_length, profile.salt_length
        material = self._ssl.export_keying_material(_LABEL, 2 * (key_len + salt_len))
        client_key = material[:key_len]
        server_key = material[key_len : 2 * key_len]
        client_salt = material[2 * key_len : 2 * key_len + salt_len]
        server_salt = material[2 * key_len + salt_len :]
        client = client_key + client_salt
        server = server_key + server_salt
        tx, rx = (client, server) if self.client else (server, client)
        self.srtp = SrtpContext(profile, tx_key=tx, rx_key=rx)
        self.state = DtlsState.CONNECTED

    def _drain_application_data(self) -> None:
        # WebRTC audio carries no DTLS application data; read to let OpenSSL process
        # retransmitted handshake records and alerts (a close_notify ends nothing here: the
        # SRTP keys stay valid until the call ends).
        try:
            self._ssl.recv(1500)
        except (SSL.WantReadError, SSL.ZeroReturnError):
            pass
        except SSL.Error:
            pass

    def _outgoing(self) -> list[bytes]:
        out: list[bytes] = []
        while True:
            try:
                chunk = self._ssl.bio_read(1500)
            except SSL.WantReadError:
                break
            if not chunk:
                break
            out.append(chunk)
        return out

    def _fail(self, reason: str) -> list[bytes]:
        self.state = DtlsState.FAILED
        self.failure = reason
        self.srtp = None
        return []
