"""The WebRTC edge of one media leg: one UDP port carrying STUN, DTLS and SRTP (RFC 7983).

Theory of operation
-------------------
A browser leg keeps its `MediaLeg` (statistics, latching, out stream, relay routes) and gains
an edge in front of its socket. `install` swaps the socket's protocol for `_EdgeProtocol`,
which sorts every datagram by its first byte (RFC 7983 §7):

* 0..3 STUN: the ICE-lite responder answers it (`ice.py`); a valid check from an address the
  browser nominated (or the first valid one) becomes the leg's remote: media, DTLS and RTCP go
  there (`MediaLeg.latch`).
* 20..63 DTLS: fed to the handshake (`dtls.py`), only from the ICE-selected address; anything
  else is counted `foreign` on the leg and dropped (nobody else can start a handshake).
* 128..191 RTP/RTCP: SRTP/SRTCP (rtcp-mux, RFC 5761 §4: byte 1 in 192..223 is RTCP) is
  decrypted and handed, as plain RTP, to the leg's own protocol: the relay path is unchanged.

On the way out the leg's `rtp_transport` (and, rtcp-mux, its `rtcp_transport`) is a
`_SecureTransport` that protects before `sendto`. Plain-RTP legs have neither wrapper and pay
nothing. Before the DTLS keys exist, outgoing media is dropped and counted (`srtp_unsent`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from centrex.media.webrtc.counters import WebRtcCounters
from centrex.media.webrtc.doctor import ENDED, codes, diagnose
from centrex.media.webrtc.dtls import DtlsCertificate, DtlsSession, DtlsState
from centrex.media.webrtc.ice import IceCredentials, IceLiteResponder
from centrex.media.webrtc.srtp import SrtpContext

if TYPE_CHECKING:
    from centrex.media.session import MediaLeg

__all__ = ["Timer", "WebRtcEdge"]

log = logging.getLogger(__name__)

Address = tuple[str, int]
_PENDING_DTLS = 8  # ClientHello retransmissions kept while our answer's role is unknown


class Timer(Protocol):
    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], Timer]


class WebRtcEdge:
    """ICE-lite + DTLS-SRTP for one leg. Built by `gateway.WebRtcGateway`."""

    def __init__(
        self,
        leg: MediaLeg,
        certificate: DtlsCertificate,
        schedule: Schedule,
        credentials: IceCredentials | None = None,
    ) -> None:
        self.leg = leg
        self.certificate = certificate
        self.schedule = schedule
        self.credentials = credentials or IceCredentials.generate()
        self.ice = IceLiteResponder(self.credentials)
        self.dtls: DtlsSession | None = None
        self.client: bool | None = None  # our DTLS role, once the offer/answer fixed it
        self.remote_fingerprint: tuple[str, str] | None = None
        self.offered = False  # an offer of ours awaits its answer
        self.srtp: SrtpContext | None = None
        self.dtls_failures = 0
        self.unsent = 0
        self._pending: list[bytes] = []
        self._timer: Timer | None = None
        self._socket: asyncio.DatagramTransport | None = None
        self._logged_bad = False

    # --- wiring ----------------------------------------------------------------------------------

    def install(self) -> None:
        """Put the edge in front of the leg's socket (idempotent)."""
        leg = self.leg
        real = leg.rtp_transport
        if real is None or isinstance(real, _SecureTransport):
            return
        inner = real.get_protocol()
        real.set_protocol(_EdgeProtocol(self, inner))
        secure = _SecureTransport(self, real, leg.rtcp_transport)
        self._socket = real
        leg.rtp_transport = secure  # type: ignore[assignment]
        leg.rtcp_transport = secure  # type: ignore[assignment]  # rtcp-mux

    def set_remote(self, ufrag: str, fingerprint: tuple[str, str], *, client: bool) -> None:
        """The browser's ICE ufrag and certificate fingerprint, and our DTLS role."""
        self.ice.remote_ufrag = ufrag
        if (
            self.dtls is not None
            and self.dtls.state is not DtlsState.FAILED
            and (fingerprint, client) == (self.remote_fingerprint, self.client)
        ):
            return  # a re-INVITE keeps the association (RFC 8842 §5)
        self.remote_fingerprint = fingerprint
        self.client = client
        self.dtls = DtlsSession(self.certificate, client=client, remote_fingerprint=fingerprint)
        self.srtp = None
        if client and self.ice.selected is not None:
            self._send(self.dtls.start())
        pending, self._pending = self._pending, []
        for data in pending:
            self._on_dtls(data)

    @property
    def setup(self) -> str:
        """Our `a=setup` for a re-offer: the role we hold, actpass before any."""
        if self.client is None:
            return "actpass"
        return "active" if self.client else "passive"

    def close(self) -> None:
        """Stop the DTLS timer; one summary line per browser leg (the per-packet path never
        logs, so this is where a refused handshake or forged SRTP shows in the server log),
        ending with the doctor's codes: an ended call's diagnosis stays findable there."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        c = self.counters()
        log.info(
            "leg %s webrtc: stun_binding_requests=%d stun_bad=%d dtls_state=%s "
            "dtls_failures=%d srtp_packets_in=%d srtp_packets_out=%d srtp_auth_failures=%d "
            "srtp_replay_failures=%d srtp_unsent=%d diagnosis=%s",
            self.leg.leg_id, c.stun_binding_requests, c.stun_bad, c.dtls_state,
            c.dtls_failures, c.srtp_packets_in, c.srtp_packets_out, c.srtp_auth_failures,
            c.srtp_replay_failures, c.srtp_unsent, codes(diagnose(c, ENDED)),
        )  # fmt: skip

    # --- receive side ----------------------------------------------------------------------------

    def on_stun(self, data: bytes, addr: Address) -> None:
        ice = self.ice
        first = ice.selected is None
        outcome = ice.handle(data, addr)
        if outcome.reply is not None and self._socket is not None:
            self._socket.sendto(outcome.reply, addr)
        if not outcome.valid:
            if not self._logged_bad:
                self._logged_bad = True
                log.info("leg %s: refused a STUN message from %s", self.leg.leg_id, addr)
            return
        if outcome.nominate or first:
            ice.selected = addr
            if self.leg.latched != addr:
                self.leg.latch(addr)
        dtls = self.dtls
        if first and dtls is not None and self.client and dtls.state is DtlsState.NEW:
            self._send(dtls.start())

    def on_dtls(self, data: bytes, addr: Address) -> None:
        if addr != self.ice.selected:
            self.leg.foreign += 1  # RFC 8842 §4: DTLS only on the ICE-selected pair
            return
        self._on_dtls(data)

    def _on_dtls(self, data: bytes) -> None:
        dtls = self.dtls
        if dtls is None:
            if len(self._pending) < _PENDING_DTLS:
                self._pending.append(data)
            return
        was = dtls.state
        self._send(dtls.receive(data))
        if dtls.state is not was:
            self._state_changed(dtls)

    def _state_changed(self, dtls: DtlsSession) -> None:
        if dtls.state is DtlsState.CONNECTED:
            self.srtp = dtls.srtp
            log.info(
                "leg %s: DTLS-SRTP up (%s, %s)",
                self.leg.leg_id,
                "client" if dtls.client else "server",
                dtls.srtp.profile.name if dtls.srtp else "-",
            )
        elif dtls.state is DtlsState.FAILED:
            self.dtls_failures += 1
            self.srtp = None
            log.warning("leg %s: %s; no media", self.leg.leg_id, dtls.failure)

    # --- send side -------------------------------------------------------------------------------

    def _send(self, datagrams: list[bytes]) -> None:
        target = self.ice.selected
        if target is not None and self._socket is not None and not self.leg.closed:
            for datagram in datagrams:
                self._socket.sendto(datagram, target)
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        dtls = self.dtls
        delay = dtls.timeout() if dtls is not None else None
        if delay is not None and not self.leg.closed:
            self._timer = self.schedule(max(delay, 0.01), self._fire)

    def _fire(self) -> None:
        self._timer = None
        dtls = self.dtls
        if dtls is None or self.leg.closed:
            return
        was = dtls.state
        self._send(dtls.on_timeout())
        if dtls.state is not was:
            self._state_changed(dtls)

    # --- counters --------------------------------------------------------------------------------

    def counters(self) -> WebRtcCounters:
        srtp = self.srtp
        dtls = self.dtls
        return WebRtcCounters(
            stun_binding_requests=self.ice.binding_requests,
            stun_bad=self.ice.bad,
            ice_selected=self.ice.selected,
            dtls_state=dtls.state.value if dtls is not None else DtlsState.NEW.value,
            dtls_failures=self.dtls_failures,
            dtls_failure=dtls.failure if dtls is not None else None,
            srtp_profile=srtp.profile.name if srtp else None,
            srtp_packets_in=srtp.packets_in if srtp else 0,
            srtp_packets_out=srtp.packets_out if srtp else 0,
            srtp_auth_failures=srtp.auth_failures if srtp else 0,
            srtp_replay_failures=srtp.replay_failures if srtp else 0,
            srtp_unsent=self.unsent,
        )


class _EdgeProtocol(asyncio.DatagramProtocol):
    """Demultiplexes the leg's port (RFC 7983); decrypted RTP goes to the leg's protocol."""

    __slots__ = ("edge", "inner")

    def __init__(self, edge: WebRtcEdge, inner: asyncio.BaseProtocol) -> None:
        self.edge = edge
        self.inner: asyncio.DatagramProtocol = inner  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        edge = self.edge
        try:
            first = data[0] if data else 255
            if 127 < first < 192:
                srtp = edge.srtp
                if srtp is None or addr != edge.ice.selected:
                    edge.leg.foreign += 1
                    return
                if len(data) > 1 and 191 < data[1] < 224:
                    plain = srtp.unprotect_rtcp(data)
                else:
                    plain = srtp.unprotect(data)
                if plain is not None:
                    self.inner.datagram_received(plain, addr)
            elif first < 4:
                edge.on_stun(data, addr)
            elif 19 < first < 64:
                edge.on_dtls(data, addr)
            else:
                edge.leg.garbage += 1
        except Exception:  # noqa: BLE001 - one packet never kills the socket (habit 5)
            edge.leg._internal_error()

    def error_received(self, exc: Exception) -> None:
        self.inner.error_received(exc)


class _SecureTransport:
    """What the leg sends through: SRTP/SRTCP-protects, then the real socket's `sendto`."""

    __slots__ = ("closed", "edge", "real", "real_rtcp")

    def __init__(
        self,
        edge: WebRtcEdge,
        real: asyncio.DatagramTransport,
        real_rtcp: asyncio.DatagramTransport | None,
    ) -> None:
        self.edge = edge
        self.real = real
        self.real_rtcp = real_rtcp
        self.closed = False

    def sendto(self, data: bytes | bytearray, addr: Address | None = None) -> None:
        srtp = self.edge.srtp
        if srtp is None or addr is None:
            self.edge.unsent += 1
            return
        out = srtp.protect_rtcp(data) if 191 < data[1] < 224 else srtp.protect(data)
        if out is not None:
            self.real.sendto(out, addr)

    def close(self) -> None:
        if self.closed:  # the leg closes it as its RTP and as its (muxed) RTCP transport
            return
        self.closed = True
        self.edge.close()
        self.real.close()
        if self.real_rtcp is not None:
            self.real_rtcp.close()

    def is_closing(self) -> bool:
        return self.real.is_closing()
