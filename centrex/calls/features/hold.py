"""Music on hold for a bridged call (RFC 3264 §8.4 hold, RFC 7667 §3.2.1.1 stream switching).

When one party's re-INVITE/UPDATE puts the call on hold (a=sendonly, a=inactive or the old
c=0.0.0.0 of RFC 2543), the B2BUA relays a sendonly offer to the other party and this module
plays the tenant's music to that held party: `engine.play` takes over the leg's outgoing stream
(the relay stops toward it) with the same SSRC and continuous numbering, so the phone sees one
stream. On resume the player stops and the relay takes the stream back.

The music is looked up asynchronously (a database query): a resume can arrive before the
lookup ends, so a leg is marked as "wanted" first and the music only starts if it still is.
"""

from __future__ import annotations

import logging

from centrex.calls.call_media import CallMediaHost
from centrex.media.audio import AudioFormatError
from centrex.media.engine import MediaEngine, NoCommonCodecError
from centrex.media.player import Player
from centrex.media.sdp_rewrite import stream_params
from centrex.media.session import MediaLeg

log = logging.getLogger(__name__)

HOLD_OFFER_DIRECTION = "sendonly"  # we send music, the held party need not send


def is_hold(sdp: bytes) -> bool:
    """The SDP puts its sender's party on hold (RFC 3264 §8.4). Raises on unparsable SDP."""
    params = stream_params(sdp)
    return params is not None and params.on_hold


class HoldMusic:
    """Plays MOH to held legs; one instance per B2BUA."""

    def __init__(self, engine: MediaEngine, host: CallMediaHost) -> None:
        self._engine = engine
        self._host = host
        self._wanted: set[str] = set()
        self._players: dict[str, Player] = {}

    def playing(self, leg: MediaLeg) -> bool:
        player = self._players.get(leg.leg_id)
        return player is not None and player.playing

    async def start(self, tenant_id: int, leg: MediaLeg) -> None:
        """Play the tenant's MOH to `leg` in a loop until `stop`."""
        self._wanted.add(leg.leg_id)
        path = await self._host.hold_music(tenant_id)
        if path is None or leg.leg_id not in self._wanted or leg.closed:
            return
        old = self._players.pop(leg.leg_id, None)
        if old is not None:
            old.stop()
        try:
            self._players[leg.leg_id] = self._engine.play(leg, path, loop=True)
        except (NoCommonCodecError, AudioFormatError, OSError) as exc:
            log.warning("music on hold for leg %s not played: %s", leg.leg_id, exc)

    def stop(self, leg: MediaLeg) -> None:
        """Stop the music (resume, hang-up); the relay takes the stream back. Idempotent."""
        self._wanted.discard(leg.leg_id)
        player = self._players.pop(leg.leg_id, None)
        if player is not None:
            player.stop()
