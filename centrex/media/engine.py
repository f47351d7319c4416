"""MediaEngine: the facade the call layer (B2BUA) uses for RTP.

Life of a bridged call (DESIGN.md §2 step 4), with the SDP handed through the engine:

1. INVITE from A with offer `OA`: `a = await engine.allocate()`,
   `engine.set_remote(a, OA, signalling_host=<A's source IP>)`.
2. Outbound leg: `b = await engine.allocate()`; the INVITE to B carries
   `engine.offer_for(b, OA)`: A's offer rewritten to Centrex's address and B's port (codecs kept,
   the other G.711 law added so B may pick either).
3. B answers `AB`: `engine.set_remote(b, AB)`.
4. The 200 to A carries `engine.answer_for(a, OA, peer=b)`: A's offer answered with B's codec
   when A offered it, else with one we transcode to (RFC 3264 §6).
5. `engine.bridge(a, b)`; on hang-up `engine.release(a)`, `engine.release(b)`.

An app call (IVR, voicemail) answers with `engine.answer_for(a, OA)` (codecs of the registry)
and gets a `Channel` (`channel.py`). A re-INVITE is another `set_remote`; hold toward a party is
`offer_for(leg, direction="sendonly")`, and `engine.play(leg, source)` plays music on hold to
the held party (the relay stops toward it while the player owns its stream).
`engine.mixing_room()` makes a conference/three-way/monitoring room (`room.py`): a leg that
joins it leaves its bridge, and is mixed with the other members on the shared ticker.

The engine owns the port pool, the sockets and one RTCP report timer per leg on the shared
ticker (RFC 3550 §6.2: 5 s minimum interval, randomised by 0.5..1.5 to avoid synchronisation),
plus a 1 s inactivity check: a leg whose party should send but has been silent for
`inactivity_timeout` is reported once to `on_inactive` so the call layer can hang up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
from collections.abc import Callable
from pathlib import Path

from centrex.clock import Clock
from centrex.media.codecs import Codec, CodecRegistry
from centrex.media.digits import DigitListener
from centrex.media.listen import FrameListener
from centrex.media.player import AudioSource, Player, frame_source
from centrex.media.ports import PortPair, PortPool, PortPoolExhausted
from centrex.media.recorder import Recorder
from centrex.media.relay import Bridge
from centrex.media.room import MixingRoom
from centrex.media.sdes import SdesNegotiator
from centrex.media.sdp_rewrite import (
    NoCommonCodecError,
    StreamParams,
    answer_for_offer,
    rewrite_sdp,
    stream_params,
)
from centrex.media.session import LatchPolicy, LegSnapshot, MediaLeg
from centrex.media.ticker import Ticker, TickerTimer
from centrex.media.webrtc.gateway import WebRtcGateway
from centrex.sip.offer_answer import Codec as SdpCodec
from centrex.sip.offer_answer import build_answer, build_offer
from centrex.sip.sdp import Origin, SessionDescription, parse_sdp

__all__ = ["MediaEngine", "MediaTotals", "NoCommonCodecError", "PortPoolExhausted"]

_BIND_ATTEMPTS = 16
SdpInput = SessionDescription | bytes | str


@dataclasses.dataclass(slots=True)
class MediaTotals:
    """RTP counters summed over every leg since start (monitoring): released legs' final
    counts plus the live legs' current ones. `lost` is RFC 3550 §A.3 cumulative loss."""

    live_legs: int = 0
    packets_in: int = 0
    packets_out: int = 0
    lost: int = 0
    dropped: int = 0

    def add(self, snap: LegSnapshot) -> None:
        self.packets_in += snap.packets_in
        self.packets_out += snap.packets_out
        self.lost += snap.lost
        self.dropped += snap.dropped + snap.garbage


def _keep_negotiated(params: StreamParams, current: StreamParams | None) -> StreamParams:
    """A re-offer that still lists the codec in use keeps it first until its answer.

    The relay sends a party its first listed codec; a browser's re-offer (hold, resume) lists
    Opus first again although the call runs G.711 with a phone: the relay would start
    transcoding (or, toward an app, encoding Opus) before `answer_for` narrows the list.
    RFC 3264 §8.3.2: codecs stay what they were unless the answer changes them, so the one in
    use goes first while it is still offered."""
    used = current.codec if current is not None else None
    if used is None or not params.codecs or params.codecs[0] == used:
        return params
    same = [c for c in params.codecs if c.encoding.upper() == used.encoding.upper()
            and c.clock_rate == used.clock_rate]  # fmt: skip
    if not same:
        return params
    rest = tuple(c for c in params.codecs if c is not same[0])
    return dataclasses.replace(params, codecs=(same[0], *rest))


class MediaEngine:
    """Allocates legs, rewrites SDP, bridges, plays and records. One per process (server.py)."""

    def __init__(
        self,
        *,
        clock: Clock,
        ticker: Ticker,
        ports: PortPool,
        codecs: CodecRegistry,
        bind_address: str = "127.0.0.1",
        media_address: str | None = None,
        latch_policy: LatchPolicy = LatchPolicy.EXPECTED_HOSTS,
        rtcp_interval: float = 5.0,
        inactivity_timeout: float | None = None,
        on_inactive: Callable[[MediaLeg], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """`media_address` is what SDPs advertise (public address); defaults to the bind one."""
        self.clock = clock
        self.ticker = ticker
        self.ports = ports
        self.codecs = codecs
        self.bind_address = bind_address
        self.media_address = media_address or bind_address
        self.latch_policy = latch_policy
        self.rtcp_interval = rtcp_interval
        self.inactivity_timeout = inactivity_timeout
        self.on_inactive = on_inactive
        # Not cryptographic: SSRC and initial seq/ts only need to be unpredictable enough to
        # avoid collisions (RFC 3550 §8.1); SRTP would bring its own keys.
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self.legs: dict[str, MediaLeg] = {}
        self.bridges: dict[str, Bridge] = {}
        self._rtcp_timers: dict[str, TickerTimer] = {}
        self._inactive_reported: set[str] = set()
        self._created: dict[str, float] = {}
        self._check_timer: TickerTimer | None = None
        self._released = MediaTotals()
        self.rooms: dict[str, MixingRoom] = {}
        self.webrtc = WebRtcGateway(self.ticker.call_later, self.media_address)
        self.sdes = SdesNegotiator()  # SDES-SRTP of desk phones' legs (sdes.py)

    # --- legs ------------------------------------------------------------------------------------

    async def allocate(
        self,
        leg_id: str | None = None,
        *,
        latch_policy: LatchPolicy | None = None,
        srtp_policy: str | None = None,
    ) -> MediaLeg:
        """Bind a new RTP/RTCP port pair; raises `PortPoolExhausted` when the range is used up.

        `srtp_policy` is the party's `sdes.SrtpPolicy` (an extension's setting; default
        optional: SRTP offers accepted, plain RTP offered)."""
        loop = asyncio.get_running_loop()
        leg_id = leg_id or f"leg-{next(self._ids)}"
        if leg_id in self.legs:
            raise ValueError(f"leg id {leg_id} is in use")
        for _ in range(_BIND_ATTEMPTS):
            pair = self.ports.allocate()
            leg = MediaLeg(
                leg_id,
                self.bind_address,
                pair.rtp,
                monotonic=self.clock.monotonic,
                ssrc=self._rng.getrandbits(32),
                initial_seq=self._rng.getrandbits(16),
                initial_ts=self._rng.getrandbits(32),
                latch_policy=latch_policy or self.latch_policy,
            )
            rtp_proto, rtcp_proto = leg.protocols()
            try:
                rtp, _ = await loop.create_datagram_endpoint(
                    lambda p=rtp_proto: p,  # type: ignore[misc]
                    local_addr=(self.bind_address, pair.rtp),
                )
            except OSError:
                # Held by another process, or our own socket whose close is still pending:
                # back to the end of the queue, try the next pair.
                self.ports.release(pair)
                continue
            try:
                rtcp, _ = await loop.create_datagram_endpoint(
                    lambda p=rtcp_proto: p,  # type: ignore[misc]
                    local_addr=(self.bind_address, pair.rtcp),
                )
            except OSError:
                rtp.close()
                self.ports.release(pair)
                continue
            leg.rtp_transport = rtp
            leg.rtcp_transport = rtcp
            if srtp_policy is not None:
                leg.srtp_policy = srtp_policy
            self.legs[leg_id] = leg
            self._created[leg_id] = self.clock.monotonic()
            self._schedule_rtcp(leg, first=True)
            self._ensure_checks()
            return leg
        raise PortPoolExhausted("could not bind an RTP port pair (ports held by other processes)")

    def release(self, leg: MediaLeg) -> None:
        """Unbridge, leave its mixing room, stop players/recorders (their taps go), close
        sockets, return the ports."""
        self.unbridge(leg)
        for room in list(self.rooms.values()):
            room.discard(leg)
        if leg.leg_id not in self.legs:
            return
        del self.legs[leg.leg_id]
        self.webrtc.forget(leg)
        self.sdes.release(leg)
        self._created.pop(leg.leg_id, None)
        self._inactive_reported.discard(leg.leg_id)
        timer = self._rtcp_timers.pop(leg.leg_id, None)
        if timer is not None:
            timer.cancel()
        source = leg.source
        if isinstance(source, Player):
            source.stop()
        self._released.add(leg.snapshot())  # counters of a closed leg live on in the totals
        leg.close()
        self.ports.release(PortPair(leg.rtp_port))

    async def close(self) -> None:
        """Close every mixing room and release every leg (server shutdown)."""
        for room in list(self.rooms.values()):
            room.close()
        for leg in list(self.legs.values()):
            self.release(leg)
        if self._check_timer is not None:
            self._check_timer.cancel()
            self._check_timer = None

    # --- SDP -------------------------------------------------------------------------------------

    def _origin(self, leg: MediaLeg) -> Origin:
        leg.sdp_version += 1
        return Origin(
            username="centrex",
            session_id=leg.sdp_session_id,
            session_version=str(leg.sdp_version),
            addrtype="IP6" if ":" in self.media_address else "IP4",
            address=self.media_address,
        )

    def set_remote(
        self, leg: MediaLeg, sdp: SdpInput, *, signalling_host: str | None = None
    ) -> StreamParams:
        """Apply the party's SDP (offer or answer): address, codecs, direction (hold).

        `signalling_host` is where the party's SIP came from: a NATed phone's RTP comes from
        that public IP, so latching accepts it (see `session.LatchPolicy`). Raises
        `NoCommonCodecError` when the SDP has no usable audio stream.
        """
        remote = self.webrtc.take_remote(leg, sdp)  # a browser's: plain view
        if leg.webrtc is None:
            self.sdes.on_remote(leg, remote)  # a=crypto keys; policy refusals raise (488)
        params = stream_params(remote)
        if params is None:
            raise NoCommonCodecError("SDP has no active audio stream")
        params = _keep_negotiated(params, leg.remote)
        hosts = (signalling_host,) if signalling_host else ()
        leg.set_remote(params, extra_hosts=hosts)
        bridge = self.bridges.get(leg.leg_id)
        if bridge is not None:
            bridge.replan()
        return params

    def offer_for(
        self,
        leg: MediaLeg,
        source: SdpInput | None = None,
        *,
        direction: str | None = None,
        webrtc: bool = False,
    ) -> SessionDescription:
        """Our offer to `leg`'s party: `source` (the other party's offer) rewritten to point at
        this leg, or a fresh offer with the registry's codecs and telephone-event 101.

        `webrtc` (the party registered over WS/WSS, a browser) makes it a DTLS-SRTP offer; a
        leg that is already a browser's stays one (re-INVITE, hold)."""
        offer = self._plain_offer(leg, source, direction)
        if webrtc or leg.webrtc is not None:
            return self.webrtc.decorate_offer(leg, offer)
        self.sdes.decorate_offer(leg, offer)  # RTP/SAVP + a=crypto when the leg needs it
        return offer

    def _plain_offer(
        self, leg: MediaLeg, source: SdpInput | None, direction: str | None
    ) -> SessionDescription:
        origin = self._origin(leg)
        if source is not None:
            return rewrite_sdp(
                self.webrtc.plain(source),
                address=self.media_address,
                port=leg.rtp_port,
                origin=origin,
                direction=direction,
            )
        codecs = [
            SdpCodec(c.name, c.clock_rate, static_payload=c.payload_type)
            for c in self.codecs.offered()  # never Opus: apps and 3pcc start at 8 kHz
        ]
        return build_offer(
            codecs,
            address=self.media_address,
            port=leg.rtp_port,
            origin=origin,
            direction=direction or "sendrecv",
        )

    def answer_for(
        self,
        leg: MediaLeg,
        offer: SdpInput,
        *,
        peer: MediaLeg | None = None,
        direction: str | None = None,
    ) -> SessionDescription:
        """Answer the party's `offer` for `leg` (RFC 3264 §6) and apply it as the leg's remote.

        With `peer` (a bridged call) the codec follows the peer's negotiated one; without (an
        app call) the first offered codec of the registry is used. Raises `NoCommonCodecError`.
        """
        source = offer if isinstance(offer, SessionDescription) else parse_sdp(offer)
        source = self.webrtc.take_offer(leg, source)  # a browser's offer: its plain view
        audio = [m for m in source.media if m.media == "audio" and m.port != 0]
        sdes = leg.webrtc is None and self.sdes.on_offer(leg, source)  # policy: may raise 488
        if not sdes and audio and all("SAVP" in m.proto for m in audio):
            # No keys to answer with: RTP/SAVP without a=crypto would be invalid (RFC 4568
            # §5.1). The call layer answers 488 and the phone may retry with RTP/AVP.
            raise NoCommonCodecError("SRTP-only offer without usable keys")
        origin = self._origin(leg)
        if peer is not None and peer.remote is not None:
            peer_params = peer.remote
            if direction is not None:
                peer_params = dataclasses.replace(peer_params, direction=direction)
            answer = answer_for_offer(
                source,
                peer_params,
                address=self.media_address,
                port=leg.rtp_port,
                origin=origin,
            )
        else:
            # An app answers with what it offers itself (never Opus: apps work at 8 kHz).
            codecs = [SdpCodec(c.name, c.clock_rate) for c in self.codecs.offered()]
            answer = build_answer(
                source,
                codecs,
                address=self.media_address,
                port=leg.rtp_port,
                origin=origin,
                local_direction=direction or "sendrecv",
            )
        answered = stream_params(answer)
        offered = stream_params(source)
        if answered is None or offered is None:
            raise NoCommonCodecError("no codec in common with the offer")
        leg.set_remote(
            dataclasses.replace(
                offered, codecs=answered.codecs, telephone_event=answered.telephone_event
            )
        )
        bridge = self.bridges.get(leg.leg_id)
        if bridge is not None:
            bridge.replan()
        if leg.webrtc is None:
            self.sdes.decorate_answer(leg, answer)  # our a=crypto key, or plain RTP/AVP
        return self.webrtc.decorate_answer(leg, answer)

    # --- bridging --------------------------------------------------------------------------------

    def bridge(self, a: MediaLeg, b: MediaLeg) -> Bridge:
        """Relay A <-> B (plain, renumbered or transcoded per `plan_bridge`).

        Idempotent for the same pair (the plan is refreshed); a leg bridged elsewhere is moved
        (early media from one fork, then the 200 OK from another; a transfer).
        """
        existing = self.bridges.get(a.leg_id)
        if existing is not None and existing.other(a) is b:
            existing.replan()
            return existing
        for room in list(self.rooms.values()):  # a bridged leg is in no room (it would be
            room.discard(a)  # mixed and relayed at once)
            room.discard(b)
        self.unbridge(a)
        self.unbridge(b)
        bridge = Bridge(a, b)
        bridge.start()
        self.bridges[a.leg_id] = bridge
        self.bridges[b.leg_id] = bridge
        return bridge

    def unbridge(self, leg: MediaLeg) -> None:
        bridge = self.bridges.pop(leg.leg_id, None)
        if bridge is None:
            return
        self.bridges.pop(bridge.other(leg).leg_id, None)
        bridge.stop()

    # --- mixing rooms (conference, three-way, supervisor monitoring) ----------------------------

    def mixing_room(self, room_id: str | None = None, *, drop_quiet: bool = True) -> MixingRoom:
        """A new, empty mixing room on the shared ticker (`room.py`); `room.close()` ends it.

        `drop_quiet`: frames below -42 dBFS (every sample in [-256, 255]) are left out of the
        mix, so an idle phone that keeps sending G.711 silence costs nearly nothing.
        """
        room_id = room_id or f"room-{next(self._ids)}"
        if room_id in self.rooms:
            raise ValueError(f"room id {room_id} is in use")
        room = MixingRoom(
            room_id,
            self.ticker,
            self.codecs,
            codec_for=self.codec_for,
            take_leg=self._free_for_room,
            new_stream=self._new_stream,
            on_close=self._room_closed,
            drop_quiet=drop_quiet,
        )
        self.rooms[room_id] = room
        return room

    def _free_for_room(self, leg: MediaLeg) -> None:
        """Before a leg joins a room: no bridge, no other room, no prompt still playing."""
        self.unbridge(leg)
        for room in list(self.rooms.values()):
            room.discard(leg)
        if isinstance(leg.source, Player):
            leg.source.stop()

    def _new_stream(self) -> tuple[int, int, int]:
        return self._rng.getrandbits(32), self._rng.getrandbits(16), self._rng.getrandbits(32)

    def _room_closed(self, room: MixingRoom) -> None:
        if self.rooms.get(room.room_id) is room:
            del self.rooms[room.room_id]

    # --- media sources and sinks -----------------------------------------------------------------

    def codec_for(self, leg: MediaLeg) -> tuple[Codec, int]:
        """The registry codec and payload type the leg's party negotiated."""
        remote = leg.remote
        if remote is None:
            raise NoCommonCodecError(f"leg {leg.leg_id} has no remote description")
        for rtpmap in remote.codecs:
            codec = self.codecs.get(rtpmap.encoding)
            if codec is not None:
                return codec, rtpmap.payload_type
        raise NoCommonCodecError(f"leg {leg.leg_id} negotiated no codec Centrex can encode")

    def play(
        self,
        leg: MediaLeg,
        source: AudioSource,
        *,
        max_seconds: float | None = None,
        loop: bool = False,
    ) -> Player:
        """Play to `leg` from the next tick (takes over its outgoing stream until done).

        `loop` repeats the source until the player is stopped (music on hold).
        """
        codec, pt = self.codec_for(leg)
        old = leg.source
        if isinstance(old, Player):
            old.stop()
        player = Player(
            leg,
            self.ticker,
            frame_source(source, max_seconds=max_seconds, loop=loop),
            codec,
            pt,
            ssrc=self._rng.getrandbits(32),
            initial_seq=self._rng.getrandbits(16),
            initial_ts=self._rng.getrandbits(32),
        )
        return player.start()

    def record(
        self, leg: MediaLeg, path: str | Path, *, max_seconds: float | None = None
    ) -> Recorder:
        """Record what `leg`'s party sends, one frame per tick (silence when nothing came)."""
        decoders: dict[int, Codec] = {}
        if leg.remote is not None:
            for rtpmap in leg.remote.codecs:
                codec = self.codecs.get(rtpmap.encoding)
                if codec is not None:
                    decoders[rtpmap.payload_type] = codec
        return Recorder(leg, self.ticker, path, decoders, max_seconds=max_seconds).start()

    def listen(self, leg: MediaLeg, on_frame: Callable[[bytes], None]) -> FrameListener:
        """Hand each audio packet `leg`'s party sends to `on_frame` as PCM (answering-machine
        detection); `close()` the listener when done."""
        return FrameListener(leg, self.codecs, on_frame)

    def watch_digits(
        self, leg: MediaLeg, on_digit: Callable[[str], None], *, inband: bool | None = None
    ) -> DigitListener:
        """Report the party's key presses (RFC 4733, or in-band) on any leg, bridged or not:
        in-call feature codes. `close()` the listener when done; release closes it too."""
        return DigitListener(leg, self.codecs, on_digit, inband=inband)

    # --- counters --------------------------------------------------------------------------------

    def snapshot(self, leg: MediaLeg | str) -> LegSnapshot:
        target = self.legs[leg] if isinstance(leg, str) else leg
        return target.snapshot()

    def snapshots(self) -> dict[str, LegSnapshot]:
        """Counters of every live leg, frozen."""
        return {leg_id: leg.snapshot() for leg_id, leg in self.legs.items()}

    def totals(self) -> MediaTotals:
        """Counters since start, read when asked (a scrape), never per packet."""
        total = dataclasses.replace(self._released)
        for leg in self.legs.values():
            total.add(leg.snapshot())
        total.live_legs = len(self.legs)
        return total

    # --- timers on the shared ticker -------------------------------------------------------------

    def _schedule_rtcp(self, leg: MediaLeg, *, first: bool = False) -> None:
        # RFC 3550 §6.2: randomise to 0.5..1.5 x the interval; §6.2 allows half the minimum
        # interval for the first report so a new participant is seen quickly.
        base = self.rtcp_interval / 2 if first else self.rtcp_interval
        delay = base * (0.5 + self._rng.random())

        def fire() -> None:
            if leg.leg_id not in self.legs:
                return
            leg.send_rtcp_report(self.ticker.now, self.clock.utcnow().timestamp())
            self._schedule_rtcp(leg)

        self._rtcp_timers[leg.leg_id] = self.ticker.call_later(delay, fire)

    def _ensure_checks(self) -> None:
        if self.inactivity_timeout is None or self._check_timer is not None:
            return
        self._check_timer = self.ticker.call_later(1.0, self._check_inactive)

    def _check_inactive(self) -> None:
        self._check_timer = None
        timeout = self.inactivity_timeout
        if timeout is None or not self.legs:
            return
        now = self.ticker.now
        for leg_id, leg in list(self.legs.items()):
            if leg_id in self._inactive_reported or not leg.sends:
                continue
            last = leg.last_packet if leg.last_packet is not None else self._created[leg_id]
            if now - last >= timeout:
                self._inactive_reported.add(leg_id)
                if self.on_inactive is not None:
                    self.on_inactive(leg)
        self._ensure_checks()
