"""WebRTC SDP on a leg (pure): recognise a browser's SDP, pick DTLS roles, add our attributes.

Why here and not in `sdp_rewrite.py`: a browser leg differs from a phone leg only in transport
(ICE, DTLS-SRTP, rtcp-mux, BUNDLE, RFC 8829 §5); the codecs, directions and payload-type
routes are the same. So the engine answers or rewrites a *plain* view of the browser's SDP
(`plain_view`: proto RTP/AVP), and `decorate` turns our plain SDP into the WebRTC one:
proto UDP/TLS/RTP/SAVPF (RFC 5764 §8), `a=ice-lite` + `a=ice-ufrag`/`a=ice-pwd` + one host
candidate (RFC 8839), `a=fingerprint` + `a=setup` (RFC 8122, RFC 5763 §5), `a=rtcp-mux`
(RFC 5761), `a=mid` and `a=group:BUNDLE` (RFC 8843) for the single audio m-line. G.711 and
telephone-event pass through unchanged, so a bridge to a plain RTP phone needs no transcoding.

DTLS roles (RFC 5763 §5, RFC 8842 §5): the offerer says `actpass`, the answerer picks.
Centrex answering a browser (which offers actpass) says `active` and becomes the DTLS client
(the browser is ready as soon as its ICE check succeeds). Centrex offering says `actpass` in a
first offer and keeps its established role in re-offers; the browser's answer decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from centrex.media.sdp_rewrite import NoCommonCodecError
from centrex.sip.sdp import MediaDescription, SessionDescription, parse_sdp

__all__ = [
    "WEBRTC_PROTO",
    "LocalWebRtc",
    "RemoteWebRtc",
    "WebRtcSdpError",
    "decorate",
    "plain_view",
    "remote_webrtc",
    "role_for_answer",
    "role_from_answer",
]

WEBRTC_PROTO = "UDP/TLS/RTP/SAVPF"

# Transport attributes of the browser's SDP that mean nothing once we terminate them; they are
# removed from the plain view (and never reach a phone's leg).
_TRANSPORT_ATTRIBUTES = frozenset(
    {
        "ice-ufrag",
        "ice-pwd",
        "ice-options",
        "ice-lite",
        "candidate",
        "end-of-candidates",
        "remote-candidates",
        "fingerprint",
        "setup",
        "rtcp-mux",
        "rtcp-rsize",
        "rtcp",
        "mid",
        "group",
        "msid",
        "msid-semantic",
        "ssrc",
        "ssrc-group",
        "extmap",
        "extmap-allow-mixed",
        "rtcp-fb",
        "crypto",
        "tls-id",
    }
)


class WebRtcSdpError(NoCommonCodecError):
    """A browser SDP Centrex cannot serve (no fingerprint, bad setup): answered 488."""


@dataclass(frozen=True, slots=True)
class RemoteWebRtc:
    """What the browser's SDP says about its transport (first active audio m-line)."""

    ufrag: str
    pwd: str
    fingerprint: tuple[str, str]  # (hash algorithm, hex with colons)
    setup: str  # actpass / active / passive (absent: RFC 4145 default)
    mid: str | None
    bundle: bool


@dataclass(frozen=True, slots=True)
class LocalWebRtc:
    """Our side: ICE credentials, certificate fingerprint, candidate address and port."""

    ufrag: str
    pwd: str
    fingerprint: str  # sha-256
    address: str
    port: int
    candidate: str


def _audio(sdp: SessionDescription) -> MediaDescription | None:
    return next((m for m in sdp.media if m.media == "audio" and m.port != 0), None)


def _attr(sdp: SessionDescription, media: MediaDescription, name: str) -> str | None:
    """Media-level value, else session-level (RFC 8839 §5.4, RFC 8122 §5 allow both)."""
    value = media.attribute(name)
    if value is not None:
        return value
    return next(((v or "") for k, v in sdp.attributes if k == name), None)


def is_webrtc(sdp: SessionDescription) -> bool:
    """The first active audio m-line uses a SAVPF/DTLS profile and carries no SDES keys."""
    media = _audio(sdp)
    if media is None:
        return False
    if media.proto.startswith("UDP/TLS/"):
        return True
    return "SAVPF" in media.proto and media.attribute("crypto") is None


def remote_webrtc(sdp: SessionDescription | bytes | str) -> RemoteWebRtc | None:
    """The browser's transport parameters; None for a plain (or SDES) SDP.

    Raises `WebRtcSdpError` for a DTLS-SRTP SDP without what DTLS-SRTP needs: a fingerprint
    (RFC 5763 §5) and ICE credentials (RFC 8839 §5.4).
    """
    if not isinstance(sdp, SessionDescription):
        sdp = parse_sdp(sdp)
    media = _audio(sdp)
    if media is None or not is_webrtc(sdp):
        return None
    fingerprint = _attr(sdp, media, "fingerprint")
    if not fingerprint:
        raise WebRtcSdpError("WebRTC SDP without a=fingerprint (RFC 5763 §5)")
    algorithm, _, value = fingerprint.strip().partition(" ")
    if not value:
        raise WebRtcSdpError(f"malformed a=fingerprint {fingerprint!r}")
    ufrag = _attr(sdp, media, "ice-ufrag")
    pwd = _attr(sdp, media, "ice-pwd")
    if not ufrag or not pwd:
        raise WebRtcSdpError("WebRTC SDP without a=ice-ufrag/a=ice-pwd (RFC 8839 §5.4)")
    setup = (_attr(sdp, media, "setup") or "").strip().lower()
    groups = [v or "" for k, v in sdp.attributes if k == "group"]
    mid = media.attribute("mid")
    bundle = any(g.split()[:1] == ["BUNDLE"] and mid in g.split()[1:] for g in groups)
    return RemoteWebRtc(
        ufrag=ufrag.strip(),
        pwd=pwd.strip(),
        fingerprint=(algorithm.lower(), value.strip().upper()),
        setup=setup,
        mid=mid,
        bundle=bundle,
    )


def role_for_answer(offered: str) -> tuple[str, bool]:
    """Our `a=setup` in an answer and whether we are the DTLS client (RFC 5763 §5).

    actpass -> active (we connect); active -> passive; passive -> active. An offer without
    a=setup is `active` by default (RFC 4145 §4), so we are passive. holdconn has no media.
    """
    table = {"actpass": ("active", True), "active": ("passive", False),
             "passive": ("active", True), "": ("passive", False)}  # fmt: skip
    try:
        return table[offered]
    except KeyError:
        raise WebRtcSdpError(f"cannot answer a=setup:{offered}") from None


def role_from_answer(answered: str) -> bool:
    """Whether we are the DTLS client after offering actpass, from the answer's a=setup.

    active -> we are the server; passive -> we connect. An answer must not say actpass
    (RFC 5763 §5); a missing a=setup means active (RFC 4145 §4 default).
    """
    table = {"active": False, "": False, "passive": True}
    try:
        return table[answered]
    except KeyError:
        raise WebRtcSdpError(f"an answer cannot say a=setup:{answered}") from None


def plain_view(sdp: SessionDescription | bytes | str) -> SessionDescription:
    """A copy of a browser's SDP as a plain RTP/AVP one (transport attributes removed)."""
    source = sdp if isinstance(sdp, SessionDescription) else parse_sdp(sdp)
    out = parse_sdp(source.serialize())
    out.attributes = [(k, v) for k, v in out.attributes if k not in _TRANSPORT_ATTRIBUTES]
    for media in out.media:
        if media.proto.startswith("UDP/TLS/") or "SAVP" in media.proto:
            media.proto = "RTP/AVP"  # RTCP feedback is terminated by us, never relayed
        media.attributes = [(k, v) for k, v in media.attributes if k not in _TRANSPORT_ATTRIBUTES]
    return out


def decorate(
    sdp: SessionDescription, local: LocalWebRtc, *, setup: str, mid: str | None = None
) -> SessionDescription:
    """Our plain SDP for a browser leg turned into a WebRTC one (module docstring).

    `mid` is the browser's mid in an answer (RFC 8843 §7.3 echoes it), "0" in our offers.
    Only the one anchored audio m-line is bundled; rejected m-lines stay out of the group.
    """
    out = parse_sdp(sdp.serialize())
    tag = mid or "0"
    out.attributes = [(k, v) for k, v in out.attributes if k not in _TRANSPORT_ATTRIBUTES]
    out.attributes[:0] = [("ice-lite", None), ("group", f"BUNDLE {tag}")]
    anchored = False
    for media in out.media:
        media.attributes = [(k, v) for k, v in media.attributes if k not in _TRANSPORT_ATTRIBUTES]
        if anchored or media.media != "audio" or media.port == 0:
            continue
        anchored = True
        media.proto = WEBRTC_PROTO
        media.port = local.port
        media.attributes[:0] = [
            ("mid", tag),
            ("ice-ufrag", local.ufrag),
            ("ice-pwd", local.pwd),
            ("fingerprint", f"sha-256 {local.fingerprint}"),
            ("setup", setup),
            ("rtcp-mux", None),
            ("rtcp", f"{local.port} IN {'IP6' if ':' in local.address else 'IP4'} {local.address}"),
        ]
        media.attributes.append(("candidate", local.candidate))
        media.attributes.append(("end-of-candidates", None))
    return out
