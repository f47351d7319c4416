"""What the media engine asks about WebRTC: is this SDP a browser's, and the browser-side SDP.

The engine stays the call layer's only media interface (a later issue swaps in rtpengine, the
same five calls: `plain`, `take_remote`, `take_offer`, `decorate_answer`, `decorate_offer`). It
works on *plain* SDP throughout (codecs, directions, relay plans); this gateway converts at the
edge: a browser's SDP in (`take_*` returns its plain view and arms the leg's `WebRtcEdge`), our
SDP out (`decorate_*` adds ICE-lite, DTLS and BUNDLE attributes, `sdp.py`).

One self-signed certificate serves the whole process (RFC 8827 §6.5 allows it; the
fingerprint in each SDP is what the peer checks); it is made on first use.
"""

from __future__ import annotations

from centrex.media.session import MediaLeg
from centrex.media.webrtc.dtls import DtlsCertificate, DtlsState
from centrex.media.webrtc.ice import host_candidate
from centrex.media.webrtc.leg import Schedule, WebRtcEdge
from centrex.media.webrtc.sdp import (
    LocalWebRtc,
    decorate,
    plain_view,
    remote_webrtc,
    role_for_answer,
    role_from_answer,
)
from centrex.sip.sdp import SessionDescription, parse_sdp

__all__ = ["WebRtcGateway"]

SdpInput = SessionDescription | bytes | str


class WebRtcGateway:
    """One per engine. Browser legs get an edge; plain legs are never touched."""

    def __init__(self, schedule: Schedule, address: str) -> None:
        self.schedule = schedule
        self.address = address
        self._certificate: DtlsCertificate | None = None
        self._answer_setup: dict[str, tuple[str, str | None]] = {}

    @property
    def certificate(self) -> DtlsCertificate:
        if self._certificate is None:
            self._certificate = DtlsCertificate()
        return self._certificate

    def edge(self, leg: MediaLeg) -> WebRtcEdge:
        """The leg's edge, installed in front of its socket on first use."""
        if leg.webrtc is None:
            leg.webrtc = WebRtcEdge(leg, self.certificate, self.schedule)
            leg.webrtc.install()
        return leg.webrtc

    def plain(self, sdp: SdpInput) -> SessionDescription:
        """A browser's SDP as plain RTP/AVP (towards a phone or trunk); others unchanged."""
        parsed = sdp if isinstance(sdp, SessionDescription) else parse_sdp(sdp)
        return plain_view(parsed) if remote_webrtc(parsed) is not None else parsed

    def take_remote(self, leg: MediaLeg, sdp: SdpInput) -> SessionDescription:
        """`engine.set_remote`: the answer to our offer when one is outstanding, else an offer."""
        edge = leg.webrtc
        if edge is not None and edge.offered:
            return self.take_answer(leg, sdp)
        return self.take_offer(leg, sdp)

    def take_offer(self, leg: MediaLeg, sdp: SdpInput) -> SessionDescription:
        """A browser's offer: arm the edge, choose our a=setup (RFC 5763 §5); plain view back.

        Raises `WebRtcSdpError` (a `NoCommonCodecError`: 488) without fingerprint or ICE."""
        parsed = sdp if isinstance(sdp, SessionDescription) else parse_sdp(sdp)
        remote = remote_webrtc(parsed)
        if remote is None:
            return parsed
        edge = self.edge(leg)
        setup, client = role_for_answer(remote.setup)
        dtls = edge.dtls
        if (
            remote.setup == "actpass"
            and edge.client is not None
            and dtls is not None
            and dtls.state is not DtlsState.FAILED
        ):
            client = edge.client  # a re-offer: keep the association's roles (RFC 8842 §5.2)
            setup = edge.setup
        self._answer_setup[leg.leg_id] = (setup, remote.mid)
        edge.set_remote(remote.ufrag, remote.fingerprint, client=client)
        return plain_view(parsed)

    def take_answer(self, leg: MediaLeg, sdp: SdpInput) -> SessionDescription:
        """The browser's answer to our offer: its a=setup fixes our role."""
        parsed = sdp if isinstance(sdp, SessionDescription) else parse_sdp(sdp)
        remote = remote_webrtc(parsed)
        edge = self.edge(leg)
        edge.offered = False
        if remote is None:
            return parsed
        # A first offer said actpass: the answer decides. A re-offer said our established role
        # (active/passive), which the answer can only complement: the role stays.
        client = role_from_answer(remote.setup) if edge.client is None else edge.client
        edge.set_remote(remote.ufrag, remote.fingerprint, client=client)
        return plain_view(parsed)

    def decorate_answer(self, leg: MediaLeg, answer: SessionDescription) -> SessionDescription:
        """Our plain answer to a browser leg's offer, as WebRTC SDP; plain legs unchanged."""
        if leg.webrtc is None:
            return answer
        setup, mid = self._answer_setup.get(leg.leg_id, (leg.webrtc.setup, None))
        return decorate(answer, self._local(leg.webrtc), setup=setup, mid=mid)

    def decorate_offer(self, leg: MediaLeg, offer: SessionDescription) -> SessionDescription:
        """Our plain offer towards a browser leg, as WebRTC SDP (a=setup:actpass at first)."""
        edge = self.edge(leg)
        edge.offered = True
        return decorate(offer, self._local(edge), setup=edge.setup, mid="0")

    def forget(self, leg: MediaLeg) -> None:
        self._answer_setup.pop(leg.leg_id, None)

    def _local(self, edge: WebRtcEdge) -> LocalWebRtc:
        port = edge.leg.rtp_port
        return LocalWebRtc(
            ufrag=edge.credentials.ufrag,
            pwd=edge.credentials.pwd,
            fingerprint=self.certificate.fingerprint,
            address=self.address,
            port=port,
            candidate=host_candidate(self.address, port),
        )
