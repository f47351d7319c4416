"""The offer/answer model (RFC 3264) for an audio PBX.

`build_answer` answers an offer with our codecs:
- one m= line per offered m= line, in the same order (§6);
- an offered m= line with port 0, a media type or transport we do not do, or no codec in
  common is rejected with port 0 (§6, §8.2);
- payload type numbers are those of the offer (§6.1: "the answerer MUST use the same payload
  type numbers"); formats are listed in the offer's order;
- telephone-event (RFC 4733) is kept when offered and wanted, with the offer's fmtp;
- direction: the offerer's sendonly becomes our recvonly and vice versa, inactive stays
  inactive (§6.1), intersected with our own wish (we put the call on hold with `sendonly`).

`build_offer` makes our own offer (outbound legs, re-INVITE for hold with `direction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from centrex.sip.sdp import (
    Connection,
    MediaDescription,
    Origin,
    RtpMap,
    SessionDescription,
)

RTP_PROFILES = frozenset({"RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF"})
_SENDS = {"sendrecv": True, "sendonly": True, "recvonly": False, "inactive": False}
_RECEIVES = {"sendrecv": True, "sendonly": False, "recvonly": True, "inactive": False}


@dataclass(frozen=True, slots=True)
class Codec:
    """A codec we support, identified by encoding name, clock rate and channels."""

    name: str
    clock_rate: int = 8000
    channels: int = 1
    fmtp: str | None = None
    static_payload: int | None = None

    def matches(self, rtpmap: RtpMap) -> bool:
        """Same encoding (case-insensitive), rate and channel count (RFC 3264 §6.1)."""
        return (
            rtpmap.encoding.lower() == self.name.lower()
            and rtpmap.clock_rate == self.clock_rate
            and (rtpmap.channels or 1) == self.channels
        )


PCMU = Codec("PCMU", 8000, static_payload=0)
PCMA = Codec("PCMA", 8000, static_payload=8)
G722 = Codec("G722", 8000, static_payload=9)
TELEPHONE_EVENT = Codec("telephone-event", 8000, fmtp="0-16")


def direction_from(flags_send: bool, flags_recv: bool) -> str:
    """Direction attribute for (we send, we receive)."""
    if flags_send and flags_recv:
        return "sendrecv"
    if flags_send:
        return "sendonly"
    if flags_recv:
        return "recvonly"
    return "inactive"


def answer_direction(offered: str, local: str = "sendrecv") -> str:
    """Our answer's direction for an offered direction and our own wish (RFC 3264 §6.1).

    We may send only if the offerer receives, and receive only if the offerer sends.
    """
    send = _RECEIVES.get(offered, True) and _SENDS.get(local, True)
    recv = _SENDS.get(offered, True) and _RECEIVES.get(local, True)
    return direction_from(send, recv)


def _rejected(offered: MediaDescription) -> MediaDescription:
    # §6: a rejected stream keeps media type, transport and at least one format, with port 0
    return MediaDescription(offered.media, 0, offered.proto, offered.formats[:1] or ["0"])


def build_answer(
    offer: SessionDescription,
    codecs: Sequence[Codec],
    *,
    address: str,
    port: int,
    origin: Origin,
    local_direction: str = "sendrecv",
    telephone_event: bool = True,
    ptime: int | None = None,
) -> SessionDescription:
    """Answer `offer` (RFC 3264 §6). Only the first acceptable audio stream gets `port`;
    further audio streams are rejected (one RTP endpoint per leg)."""
    answer = SessionDescription(
        origin=origin,
        session_name="-",
        connection=Connection.for_address(address),
    )
    used = False
    for offered in offer.media:
        if (
            used
            or offered.port == 0
            or offered.media != "audio"
            or offered.proto not in RTP_PROFILES
        ):
            answer.media.append(_rejected(offered))
            continue
        rtpmaps = offered.rtpmaps()
        formats: list[str] = []
        attributes: list[tuple[str, str | None]] = []
        for fmt in offered.formats:
            if not fmt.isdigit() or int(fmt) not in rtpmaps:
                continue
            pt = int(fmt)
            rtpmap = rtpmaps[pt]
            if rtpmap.encoding.lower() == "telephone-event":
                continue
            if any(codec.matches(rtpmap) for codec in codecs):
                formats.append(fmt)
                attributes.append(("rtpmap", str(rtpmap)))
                fmtp = offered.fmtp(pt)
                if fmtp is not None:
                    attributes.append(("fmtp", f"{pt} {fmtp}"))
        if not formats:
            answer.media.append(_rejected(offered))
            continue
        event_pt = offered.telephone_event
        if telephone_event and event_pt is not None and rtpmaps[event_pt].clock_rate == 8000:
            formats.append(str(event_pt))
            attributes.append(("rtpmap", str(rtpmaps[event_pt])))
            attributes.append(("fmtp", f"{event_pt} {offered.fmtp(event_pt) or '0-16'}"))
        chosen_ptime = ptime or offered.ptime
        if chosen_ptime:
            attributes.append(("ptime", str(chosen_ptime)))
        attributes.append(
            (answer_direction(offer.effective_direction(offered), local_direction), None)
        )
        answer.media.append(
            MediaDescription("audio", port, offered.proto, formats, attributes=attributes)
        )
        used = True
    return answer


def build_offer(
    codecs: Sequence[Codec],
    *,
    address: str,
    port: int,
    origin: Origin,
    direction: str = "sendrecv",
    telephone_event_pt: int | None = 101,
    ptime: int = 20,
) -> SessionDescription:
    """Our offer: static payload types where the codec has one, dynamic ones from 96 up."""
    formats: list[str] = []
    attributes: list[tuple[str, str | None]] = []
    dynamic = 96
    for codec in codecs:
        if codec.static_payload is not None:
            pt = codec.static_payload
        else:
            while dynamic == telephone_event_pt:
                dynamic += 1
            pt = dynamic
            dynamic += 1
        formats.append(str(pt))
        channels = codec.channels if codec.channels != 1 else None
        attributes.append(("rtpmap", str(RtpMap(pt, codec.name, codec.clock_rate, channels))))
        if codec.fmtp:
            attributes.append(("fmtp", f"{pt} {codec.fmtp}"))
    if telephone_event_pt is not None:
        formats.append(str(telephone_event_pt))
        attributes.append(("rtpmap", f"{telephone_event_pt} telephone-event/8000"))
        attributes.append(("fmtp", f"{telephone_event_pt} 0-16"))
    attributes.append(("ptime", str(ptime)))
    attributes.append((direction, None))
    return SessionDescription(
        origin=origin,
        connection=Connection.for_address(address),
        media=[MediaDescription("audio", port, "RTP/AVP", formats, attributes=attributes)],
    )


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What an answer settled for the first audio stream: remote address/port, codec, DTMF."""

    address: str | None
    port: int
    codec: RtpMap | None
    telephone_event: int | None
    direction: str


def negotiated(answer: SessionDescription) -> Negotiated | None:
    """Read the result of an answer (ours or the far end's) for the first accepted audio line."""
    for media in answer.media:
        if media.media != "audio" or media.port == 0:
            continue
        rtpmaps = media.rtpmaps()
        codec = next(
            (
                rtpmaps[int(f)]
                for f in media.formats
                if f.isdigit()
                and int(f) in rtpmaps
                and rtpmaps[int(f)].encoding.lower() != "telephone-event"
            ),
            None,
        )
        connection = answer.connection_for(media)
        return Negotiated(
            address=connection.address if connection else None,
            port=media.port,
            codec=codec,
            telephone_event=media.telephone_event,
            direction=answer.effective_direction(media),
        )
    return None


def is_rejected(answer: SessionDescription) -> bool:
    """True if every stream of the answer is rejected (the UAS should send 488 instead)."""
    return all(media.port == 0 for media in answer.media)
