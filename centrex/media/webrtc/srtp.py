"""SRTP/SRTCP for one media leg: a thin, counted wrapper over libsrtp (pylibsrtp).

Why a wrapper: the call layer and the relay must never see an exception per packet (habit 5),
and the "doctor" page wants to know *why* packets were refused. libsrtp reports failures as
error codes (pylibsrtp raises `Error` with libsrtp's message); this class turns them into
`None` plus a counter: authentication failures (RFC 3711 §3.3 step 5, a wrong key or a
tampered packet) and replay failures (RFC 3711 §3.3.2, a packet index seen before or outside
the window) are counted apart, anything else as `errors`.

The keys come from DTLS-SRTP (RFC 5764 §4.2, `dtls.py`) or from SDES `a=crypto` (RFC 4568, the
desk-phone path); each direction has its own master key and salt, concatenated key || salt as
libsrtp expects. The cipher work runs in C; per packet Python pays one call and a copy.

Outbound streams allow a repeated index (`allow_repeat_tx`): the relay's `OutStream` may reuse
a sequence number once when a reordered packet arrives just before a source switch (see
`session.OutStream`), and libsrtp would otherwise refuse to send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pylibsrtp

__all__ = ["SrtpContext", "SrtpCounters", "SrtpProfile"]


class SrtpProfile(Enum):
    """Crypto suites: value = (libsrtp profile, master key length, master salt length).

    Names: `dtls_name` is the RFC 5764 §4.1.2 / RFC 7714 §14.2 DTLS-SRTP protection profile,
    `sdes_name` the RFC 4568 §6.2 / RFC 7714 §14.2 crypto-suite of an `a=crypto` line.
    """

    AES_CM_128_HMAC_SHA1_80 = (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 16, 14)
    AES_CM_128_HMAC_SHA1_32 = (pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32, 16, 14)
    AEAD_AES_128_GCM = (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 16, 12)
    AEAD_AES_256_GCM = (pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 32, 12)

    @property
    def libsrtp_profile(self) -> int:
        return int(self.value[0])

    @property
    def key_length(self) -> int:
        return int(self.value[1])

    @property
    def salt_length(self) -> int:
        return int(self.value[2])

    @property
    def sdes_name(self) -> str:
        return self.name

    @property
    def dtls_name(self) -> str:
        return _DTLS_NAMES[self]

    @classmethod
    def from_dtls_name(cls, name: str) -> SrtpProfile:
        for profile, dtls_name in _DTLS_NAMES.items():
            if dtls_name == name:
                return profile
        raise ValueError(f"unknown DTLS-SRTP protection profile {name!r}")

    @classmethod
    def from_sdes_name(cls, name: str) -> SrtpProfile:
        try:
            return cls[name]
        except KeyError:
            raise ValueError(f"unknown SDES crypto-suite {name!r}") from None


_DTLS_NAMES = {
    SrtpProfile.AES_CM_128_HMAC_SHA1_80: "SRTP_AES128_CM_SHA1_80",
    SrtpProfile.AES_CM_128_HMAC_SHA1_32: "SRTP_AES128_CM_SHA1_32",
    SrtpProfile.AEAD_AES_128_GCM: "SRTP_AEAD_AES_128_GCM",
    SrtpProfile.AEAD_AES_256_GCM: "SRTP_AEAD_AES_256_GCM",
}

_AUTH_FAIL = pylibsrtp.ERRORS[7]  # srtp_err_status_auth_fail
_REPLAY_FAIL = frozenset(pylibsrtp.ERRORS[i] for i in (9, 10, 26))  # bad index, too old


@dataclass(frozen=True, slots=True)
class SrtpCounters:
    """Counters of one context at one instant."""

    packets_in: int
    packets_out: int
    auth_failures: int
    replay_failures: int
    errors: int


class SrtpContext:
    """Both directions of one leg's SRTP: `protect*` with `tx_key`, `unprotect*` with `rx_key`.

    Each key is master key || master salt of `profile`'s lengths. Every method takes bytes or a
    bytearray and returns the transformed bytes, or `None` when libsrtp refused the packet
    (counted; the caller drops it). RTP and RTCP share the counters of packets in and out.
    """

    __slots__ = (
        "_rx",
        "_tx",
        "auth_failures",
        "errors",
        "packets_in",
        "packets_out",
        "profile",
        "replay_failures",
    )

    def __init__(self, profile: SrtpProfile, *, tx_key: bytes, rx_key: bytes) -> None:
        expected = profile.key_length + profile.salt_length
        for what, key in (("tx_key", tx_key), ("rx_key", rx_key)):
            if len(key) != expected:
                raise ValueError(
                    f"{what} must be {expected} bytes (key || salt) for {profile.name}, "
                    f"got {len(key)}"
                )
        self.profile = profile
        tx_policy = pylibsrtp.Policy(
            key=bytes(tx_key),
            ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
            srtp_profile=profile.libsrtp_profile,
        )
        tx_policy.allow_repeat_tx = True
        rx_policy = pylibsrtp.Policy(
            key=bytes(rx_key),
            ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
            srtp_profile=profile.libsrtp_profile,
        )
        self._tx = pylibsrtp.Session(tx_policy)
        self._rx = pylibsrtp.Session(rx_policy)
        self.packets_in = 0
        self.packets_out = 0
        self.auth_failures = 0
        self.replay_failures = 0
        self.errors = 0

    def protect(self, packet: bytes | bytearray) -> bytes | None:
        """RTP -> SRTP (RFC 3711 §3.3)."""
        try:
            out = self._tx.protect(bytes(packet))
        except (pylibsrtp.Error, ValueError):
            self.errors += 1
            return None
        self.packets_out += 1
        return out

    def protect_rtcp(self, packet: bytes | bytearray) -> bytes | None:
        """RTCP -> SRTCP (RFC 3711 §3.4)."""
        try:
            out = self._tx.protect_rtcp(bytes(packet))
        except (pylibsrtp.Error, ValueError):
            self.errors += 1
            return None
        self.packets_out += 1
        return out

    def unprotect(self, packet: bytes | bytearray) -> bytes | None:
        """SRTP -> RTP, or `None` (auth/replay failure counted)."""
        try:
            out = self._rx.unprotect(bytes(packet))
        except pylibsrtp.Error as exc:
            self._count(exc)
            return None
        except ValueError:
            self.errors += 1
            return None
        self.packets_in += 1
        return out

    def unprotect_rtcp(self, packet: bytes | bytearray) -> bytes | None:
        """SRTCP -> RTCP, or `None` (auth/replay failure counted)."""
        try:
            out = self._rx.unprotect_rtcp(bytes(packet))
        except pylibsrtp.Error as exc:
            self._count(exc)
            return None
        except ValueError:
            self.errors += 1
            return None
        self.packets_in += 1
        return out

    def _count(self, exc: pylibsrtp.Error) -> None:
        message = str(exc)
        if message == _AUTH_FAIL:
            self.auth_failures += 1
        elif message in _REPLAY_FAIL:
            self.replay_failures += 1
        else:
            self.errors += 1

    def counters(self) -> SrtpCounters:
        return SrtpCounters(
            packets_in=self.packets_in,
            packets_out=self.packets_out,
            auth_failures=self.auth_failures,
            replay_failures=self.replay_failures,
            errors=self.errors,
        )
