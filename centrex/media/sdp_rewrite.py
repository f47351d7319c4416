"""SDP rewriting for a media-anchoring B2BUA and the codec plan of a bridge (pure).

Why: Centrex anchors media (DESIGN.md §2 step 4). Each leg talks RTP to Centrex, so the SDP a
leg receives must point its `c=` and audio `m=` port at Centrex's media address and the leg's own
port pair (RFC 3264 §5: the address and port in an SDP are where the *sender of that SDP* wants
to receive), while the codec list stays what the other party offered, so both phones can agree
on the same codec and the relay forwards without decoding (DESIGN.md habit 11).

* `stream_params` reads what the relay needs from an SDP: remote address and RTP/RTCP ports,
  codecs in order, the telephone-event payload type (RFC 4733 §7.1.1), the direction (RFC 3264
  §5.1, hold per RFC 3264 §8.4) and rtcp-mux (RFC 5761).
* `rewrite_sdp` turns a party's offer into the offer for the other leg: our address and port,
  `a=rtcp` dropped (RFC 3605: our RTCP port is RTP + 1, the default), ICE candidates dropped
  (they name the party's addresses, not ours), non-audio streams disabled with port 0 (we anchor
  exactly one audio stream per leg). Optionally codecs we can transcode to are appended
  (G.711 µ-law <-> A-law), so the callee may pick either law.
* `answer_for_offer` answers the caller once the callee's codec is known: the same codec when the
  caller offered it (plain relay), else the caller's first codec we can transcode to it.
* `plan_bridge` computes, for each direction, a payload-type map `pt_in -> (pt_out, table)`: the
  relay's whole per-packet codec logic is then one dict lookup (RFC 3264 §6.1: payload type
  numbers are per direction and per leg, so even a shared codec may need renumbering).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from centrex.media.codecs import EventRetimer, RtpClock, Transcoder, can_transcode, transcoder
from centrex.sip.offer_answer import Codec as SdpCodec
from centrex.sip.offer_answer import build_answer
from centrex.sip.sdp import (
    Connection,
    MediaDescription,
    Origin,
    RtpMap,
    SessionDescription,
    parse_sdp,
    set_direction,
)

__all__ = [
    "BridgePlan",
    "NoCommonCodecError",
    "PtRoute",
    "StreamParams",
    "answer_for_offer",
    "event_clock",
    "plan_bridge",
    "rewrite_sdp",
    "stream_params",
]

# (output payload type, bytes.translate table, a stateful Transcoder (G.722 <-> G.711) or None)
PtRoute = tuple[int, bytes | Transcoder | None]

_DROPPED_ATTRIBUTES = frozenset(
    {
        "rtcp",
        "candidate",
        "remote-candidates",
        "ice-ufrag",
        "ice-pwd",
        "ice-options",
        "rtcp-mux",
        # SRTP keys (RFC 4568) belong to one leg: SRTP ends on each leg (`sdes.py`, the
        # relay rewrites SSRC and sequence numbers, which end-to-end SRTP would not survive).
        # The other leg gets a plain RTP/AVP offer, plus its own keys if its policy wants.
        "crypto",
        "fingerprint",
        "setup",
    }
)
_TE = "telephone-event"


class NoCommonCodecError(ValueError):
    """The two legs share no codec and none can be transcoded: the call layer answers 488."""


@dataclass(frozen=True, slots=True)
class StreamParams:
    """The first active audio stream of an SDP, as the relay sees it."""

    address: str | None
    port: int
    rtcp_port: int
    codecs: tuple[RtpMap, ...]  # audio codecs in SDP order, telephone-event excluded
    telephone_event: int | None
    direction: str = "sendrecv"
    ptime: int | None = None
    rtcp_mux: bool = False
    extra: tuple[RtpMap, ...] = field(default=())  # telephone-event and others, for reference

    @property
    def codec(self) -> RtpMap | None:
        """The codec this party sends and expects: the first one listed (RFC 3264 §6.1)."""
        return self.codecs[0] if self.codecs else None

    @property
    def sends(self) -> bool:
        """The party sends media (sendrecv or sendonly): forward what arrives from it."""
        return self.direction in ("sendrecv", "sendonly")

    @property
    def receives(self) -> bool:
        """The party wants media (sendrecv or recvonly): the relay may send toward it."""
        return self.direction in ("sendrecv", "recvonly")

    @property
    def on_hold(self) -> bool:
        """RFC 3264 §8.4: a=sendonly or a=inactive (or the old c=0.0.0.0, RFC 2543)."""
        return not self.receives or self.address in ("0.0.0.0", "::")  # noqa: S104 - hold marker


def _audio(sdp: SessionDescription) -> MediaDescription | None:
    for media in sdp.media:
        if media.media == "audio" and media.port != 0:
            return media
    return None


def stream_params(sdp: SessionDescription | bytes | str) -> StreamParams | None:
    """Params of the first accepted audio stream, or None when there is none."""
    if not isinstance(sdp, SessionDescription):
        sdp = parse_sdp(sdp)
    media = _audio(sdp)
    if media is None:
        return None
    rtpmaps = media.rtpmaps()
    codecs: list[RtpMap] = []
    extra: list[RtpMap] = []
    for fmt in media.formats:
        if not fmt.isdigit() or int(fmt) not in rtpmaps:
            continue
        rtpmap = rtpmaps[int(fmt)]
        (extra if rtpmap.encoding.lower() in (_TE, "cn") else codecs).append(rtpmap)
    connection = sdp.connection_for(media)
    rtcp_mux = media.attribute("rtcp-mux") is not None
    rtcp_port = media.rtcp_port or (media.port if rtcp_mux else media.port + 1)
    return StreamParams(
        address=connection.address if connection else None,
        port=media.port,
        rtcp_port=rtcp_port,
        codecs=tuple(codecs),
        telephone_event=media.telephone_event,
        direction=sdp.effective_direction(media),
        ptime=media.ptime,
        rtcp_mux=rtcp_mux,
        extra=tuple(extra),
    )


def _copy(sdp: SessionDescription) -> SessionDescription:
    return parse_sdp(sdp.serialize())


def rewrite_sdp(
    sdp: SessionDescription | bytes | str,
    *,
    address: str,
    port: int,
    origin: Origin | None = None,
    add_transcodable: bool = True,
    direction: str | None = None,
) -> SessionDescription:
    """A copy of `sdp` that points at Centrex (`address`, `port`) with the codecs kept.

    `origin` replaces o= (RFC 8866 §5.2: the origin names the session's creator, which on this
    leg is Centrex; the caller bumps its version on every change, RFC 3264 §8). `direction`
    overrides the audio stream's direction (hold handled by Centrex itself).
    """
    source = sdp if isinstance(sdp, SessionDescription) else parse_sdp(sdp)
    out = _copy(source)
    if origin is not None:
        out.origin = origin
    out.connection = Connection.for_address(address)
    out.attributes = [(k, v) for k, v in out.attributes if k not in _DROPPED_ATTRIBUTES]
    used = False
    for media in out.media:
        media.connection = None
        if used or media.media != "audio" or media.port == 0:
            if media.port != 0:
                media.port = 0  # RFC 3264 §8.2: disable streams we do not anchor
            media.attributes = [(k, v) for k, v in media.attributes if k not in _DROPPED_ATTRIBUTES]
            continue
        used = True
        media.port = port
        media.port_count = None
        if media.proto in ("RTP/SAVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"):
            media.proto = "RTP/AVP"
        media.attributes = [(k, v) for k, v in media.attributes if k not in _DROPPED_ATTRIBUTES]
        if add_transcodable:
            _add_transcodable(media)
        if direction is not None:
            set_direction(media.attributes, direction)
    return out


def _add_transcodable(media: MediaDescription) -> None:
    """Append the other G.711 law when one is offered and the other is not (static PT 0/8)."""
    names = {r.encoding.upper() for r in media.rtpmaps().values()}
    for name, pt in (("PCMA", 8), ("PCMU", 0)):
        if name in names or str(pt) in media.formats:
            continue
        if any(can_transcode(have, name) for have in names):
            # Insert before telephone-event so audio codecs stay together.
            position = len(media.formats)
            for i, fmt in enumerate(media.formats):
                rtpmap = media.rtpmaps().get(int(fmt)) if fmt.isdigit() else None
                if rtpmap is not None and rtpmap.encoding.lower() == _TE:
                    position = i
                    break
            media.formats.insert(position, str(pt))
            media.attributes.insert(0, ("rtpmap", f"{pt} {name}/8000"))
            names.add(name)
            _add_narrow_events(media)


def _add_narrow_events(media: MediaDescription) -> None:
    """G.711 added to an offer whose only telephone-event runs another clock (an Opus-only
    browser's telephone-event/48000): add telephone-event/8000 too (RFC 4733 §7.1.1, the event
    clock is the audio codec's), so a G.711 phone can still answer RFC 4733 events."""
    events = [r for pt, r in media.rtpmaps().items()
              if r.encoding.lower() == _TE and str(pt) in media.formats]  # fmt: skip
    if not events or any(e.clock_rate == 8000 for e in events):
        return
    used = {int(f) for f in media.formats if f.isdigit()} | set(media.rtpmaps())
    pt = next(n for n in (101, *range(96, 128)) if n not in used)
    media.formats.append(str(pt))
    media.attributes.insert(0, ("fmtp", f"{pt} 0-16"))
    media.attributes.insert(0, ("rtpmap", f"{pt} telephone-event/8000"))


def _same(a: RtpMap, b: RtpMap) -> bool:
    return a.encoding.upper() == b.encoding.upper() and a.clock_rate == b.clock_rate


def _convertible(source: RtpMap, target: RtpMap) -> bool:
    """Same codec, or one the relay transcodes to: G.711 laws and G.722 on the same 8 kHz RTP
    clock, Opus (48 kHz) with any of them (`pcm_bridge`: timestamps rescaled)."""
    if _same(source, target):
        return True
    if source.encoding.upper() == target.encoding.upper():
        return False  # same name at another rate: nothing converts between those
    return can_transcode(source.encoding, target.encoding)


def _convert(
    source: RtpMap, target: RtpMap, clocks: dict[int, RtpClock]
) -> tuple[bool, bytes | Transcoder | None]:
    """(possible, how): nothing for a plain relay, a translate table or a fresh transcoder.
    A transcoder across RTP clocks gets the direction's `RtpClock` for the sender's rate."""
    if _same(source, target):
        return True, None
    if not _convertible(source, target):
        return False, None
    clock = None
    if source.clock_rate != target.clock_rate:
        clock = _clock(clocks, source.clock_rate, target.clock_rate)
    how = transcoder(source.encoding, target.encoding, clock)
    return how is not None, how


def _clock(clocks: dict[int, RtpClock], in_rate: int, out_rate: int) -> RtpClock:
    clock = clocks.get(in_rate)
    if clock is None:
        clock = clocks[in_rate] = RtpClock(in_rate, out_rate)
    return clock


def answer_for_offer(
    offer: SessionDescription | bytes | str,
    peer: StreamParams,
    *,
    address: str,
    port: int,
    origin: Origin,
    telephone_event: bool = True,
) -> SessionDescription:
    """Answer the caller's `offer` (RFC 3264 §6) given the callee's negotiated stream `peer`.

    Codec choice: the callee's codec when the caller offered it (no transcoding: two browsers
    that chose Opus relay it untouched; a browser calling a G.711 phone gets G.711), else the
    caller's first offered codec the relay converts to it on the same RTP clock (a G.711
    translate table, G.722), else any it converts to (Opus <-> G.711 through pcm, for a
    browser that offers Opus only). The direction mirrors the callee's (a callee that only
    receives makes us only receive from the caller), intersected with the offer by
    `build_answer`. Raises `NoCommonCodecError` when nothing fits.
    """
    source = offer if isinstance(offer, SessionDescription) else parse_sdp(offer)
    mine = stream_params(source)
    target = peer.codec
    if mine is None or target is None:
        raise NoCommonCodecError("no audio stream to answer")
    chosen = next((c for c in mine.codecs if _same(c, target)), None)
    if chosen is None:
        chosen = next((c for c in mine.codecs if c.clock_rate == target.clock_rate
                       and _convertible(c, target)), None)  # fmt: skip
    if chosen is None:
        chosen = next((c for c in mine.codecs if _convertible(c, target)), None)
    if chosen is None:
        raise NoCommonCodecError(f"caller offers nothing usable with {target.encoding}")
    codec = SdpCodec(chosen.encoding, chosen.clock_rate, chosen.channels or 1)
    answer = build_answer(
        source,
        [codec],
        address=address,
        port=port,
        origin=origin,
        local_direction=peer.direction if peer.direction in _DIRECTIONS else "sendrecv",
        telephone_event=telephone_event and peer.telephone_event is not None,
        ptime=mine.ptime,
    )
    if telephone_event and peer.telephone_event is not None:
        _answer_events(source, answer, (event_clock(peer), chosen.clock_rate))
    return answer


def _answer_events(
    offer: SessionDescription, answer: SessionDescription, rates: tuple[int, ...]
) -> None:
    """The telephone-event of our answer: `build_answer` answers the 8 kHz one only. The first
    offered of `rates` wins: the peer's event clock (the relay then forwards events untouched,
    two browsers), else the chosen codec's (RFC 4733 §7.1.1: telephone-event/48000 with
    Opus), else what `build_answer` chose (8 kHz, or none)."""
    offered, answered = _audio(offer), _audio(answer)
    if offered is None or answered is None:
        return
    events = {pt: r for pt, r in offered.rtpmaps().items()
              if r.encoding.lower() == _TE and str(pt) in offered.formats}  # fmt: skip
    same = next((pt for rate in rates for pt, r in events.items() if r.clock_rate == rate), None)
    if same is None or str(same) in answered.formats:
        return
    old = {str(pt) for pt in events}
    answered.formats = [f for f in answered.formats if f not in old] + [str(same)]
    kept = [(k, v) for k, v in answered.attributes
            if not (k in ("rtpmap", "fmtp") and (v or "").split(" ", 1)[0] in old)]  # fmt: skip
    position = next((i for i, (k, _v) in enumerate(kept) if k not in ("rtpmap", "fmtp")), len(kept))
    kept[position:position] = [
        ("rtpmap", str(events[same])),
        ("fmtp", f"{same} {offered.fmtp(same) or '0-16'}"),
    ]
    answered.attributes = kept


_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


@dataclass(frozen=True, slots=True)
class BridgePlan:
    """Per-direction payload-type maps for a bridge of legs A and B."""

    a_to_b: dict[int, PtRoute]
    b_to_a: dict[int, PtRoute]

    @property
    def transcoding(self) -> bool:
        return any(t is not None for _pt, t in (*self.a_to_b.values(), *self.b_to_a.values()))


def _routes(sender: StreamParams, receiver: StreamParams) -> dict[int, PtRoute]:
    target = receiver.codec
    routes: dict[int, PtRoute] = {}
    if target is None:
        return routes
    clocks: dict[int, RtpClock] = {}  # sender clock rate -> the direction's shared rescaler
    for codec in sender.codecs:
        possible, table = _convert(codec, target, clocks)
        if possible:
            routes[codec.payload_type] = (target.payload_type, table)
    # RFC 4733 events pass through with the receiver's negotiated payload type; when the
    # receiver did not negotiate telephone-event they are dropped (counted by the relay).
    # Across RTP clocks (Opus <-> G.711) they are retimed on the audio's clock, and their
    # duration rescaled when the legs' event clocks differ (`pcm_bridge.EventRetimer`).
    if sender.telephone_event is not None and receiver.telephone_event is not None:
        retimer = _events(sender, receiver, clocks)
        routes[sender.telephone_event] = (receiver.telephone_event, retimer)
    # RFC 3389 comfort noise passes when both sides negotiated CN/8000; otherwise it is
    # dropped (counted) and the receiver plays its own silence.
    sender_cn = _comfort_noise(sender)
    receiver_cn = _comfort_noise(receiver)
    if sender_cn is not None and receiver_cn is not None and not clocks:
        routes[sender_cn] = (receiver_cn, None)
    return routes


def event_clock(params: StreamParams) -> int:
    """Clock rate of the party's negotiated telephone-event (RFC 4733 §7.1.1), 8000 if unknown."""
    for rtpmap in params.extra:
        if rtpmap.payload_type == params.telephone_event:
            return rtpmap.clock_rate
    return 8000


def _events(
    sender: StreamParams, receiver: StreamParams, clocks: dict[int, RtpClock]
) -> EventRetimer | None:
    source, target = sender.codec, receiver.codec
    clock = None
    if source is not None and target is not None and source.clock_rate != target.clock_rate:
        clock = _clock(clocks, source.clock_rate, target.clock_rate)
    event_in, event_out = event_clock(sender), event_clock(receiver)
    if clock is None and event_in == event_out:
        return None  # the plain relay: forwarded as it came
    return EventRetimer(clock, event_in, event_out)


def _comfort_noise(params: StreamParams) -> int | None:
    for rtpmap in params.extra:
        if rtpmap.encoding.upper() == "CN" and rtpmap.clock_rate == 8000:
            return rtpmap.payload_type
    return None


def plan_bridge(a: StreamParams, b: StreamParams) -> BridgePlan:
    """Payload-type routes both ways; raises `NoCommonCodecError` if a direction has none."""
    a_to_b = _routes(a, b)
    b_to_a = _routes(b, a)
    if (a.codecs and b.codec and not _has_audio(a_to_b, a)) or (
        b.codecs and a.codec and not _has_audio(b_to_a, b)
    ):
        raise NoCommonCodecError("the legs share no codec and none can be transcoded")
    return BridgePlan(a_to_b, b_to_a)


def _has_audio(routes: dict[int, PtRoute], sender: StreamParams) -> bool:
    return any(c.payload_type in routes for c in sender.codecs)


def codec_names(params: Iterable[RtpMap]) -> tuple[str, ...]:
    """Encoding names, upper case, for logs and snapshots."""
    return tuple(p.encoding.upper() for p in params)
