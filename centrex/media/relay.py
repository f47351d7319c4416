"""The bridged-call relay: wires two `MediaLeg`s so RTP from one goes out of the other.

Why so little code: the per-packet work lives in `session._RtpProtocol.datagram_received`, which
reads `leg.route` (a payload-type map or None) and `leg.peer`. A `Bridge` only decides, whenever
something changes, which of the two directions may forward and with which map. Every condition
that stops forwarding is folded into `route = None` here, off the hot path:

* the sender's SDP says it does not send (recvonly/inactive, RFC 3264 §5.1): its packets are
  counted but not forwarded;
* the receiver's SDP says it does not receive (sendonly/inactive: it holds the call, RFC 3264
  §8.4), so nothing may be sent toward it;
* the receiver's outgoing stream belongs to a player (music on hold, an announcement): the
  player's packets replace the relayed ones, and when it detaches the relay resumes on the same
  SSRC with continuous sequence numbers (`OutStream`, RFC 7667 §3.2.1.1);
* the receiver has no address yet (no SDP, nothing latched).

The payload-type maps come from `sdp_rewrite.plan_bridge`: plain relay with payload-type
renumbering when both legs share a codec, G.711 µ-law <-> A-law table translation when they do
not, and RFC 4733 telephone-events mapped between the legs' negotiated payload types.
"""

from __future__ import annotations

from centrex.media.sdp_rewrite import BridgePlan, plan_bridge
from centrex.media.session import MediaLeg

__all__ = ["Bridge", "BridgeError"]


class BridgeError(RuntimeError):
    """A leg is already bridged, released, or has no remote description yet."""


class Bridge:
    """Two legs relaying to each other. Build through `MediaEngine.bridge`."""

    __slots__ = ("a", "active", "b", "plan")

    def __init__(self, a: MediaLeg, b: MediaLeg, plan: BridgePlan | None = None) -> None:
        if a is b:
            raise BridgeError("cannot bridge a leg to itself")
        for leg in (a, b):
            if leg.peer is not None:
                raise BridgeError(f"leg {leg.leg_id} is already bridged")
            if leg.closed:
                raise BridgeError(f"leg {leg.leg_id} is released")
            if leg.remote is None:
                raise BridgeError(f"leg {leg.leg_id} has no remote description")
        self.a = a
        self.b = b
        self.plan = plan or plan_bridge(a.remote, b.remote)  # type: ignore[arg-type]
        self.active = False

    def start(self) -> None:
        """Connect the legs and start forwarding where the SDPs allow it."""
        self.a.peer = self.b
        self.b.peer = self.a
        self.a.on_change = self.refresh
        self.b.on_change = self.refresh
        self.active = True
        self.refresh()

    def replan(self) -> None:
        """Recompute the payload-type maps after a re-INVITE changed a leg's codecs."""
        if self.a.remote is not None and self.b.remote is not None:
            self.plan = plan_bridge(self.a.remote, self.b.remote)
        self.refresh()

    @staticmethod
    def _forwards(src: MediaLeg, dst: MediaLeg) -> bool:
        return (
            src.sends
            and dst.receives
            and dst.source is None
            and dst.send_addr is not None
            and not dst.closed
        )

    def refresh(self) -> None:
        """Re-derive both directions' routes (called on every SDP, latch or player change)."""
        if not self.active:
            return
        a, b = self.a, self.b
        a.route = self.plan.a_to_b if self._forwards(a, b) else None
        b.route = self.plan.b_to_a if self._forwards(b, a) else None

    def stop(self) -> None:
        """Disconnect; both legs stay allocated and can be bridged elsewhere or played to."""
        self.active = False
        for leg in (self.a, self.b):
            leg.route = None
            leg.peer = None
            leg.on_change = None

    def other(self, leg: MediaLeg) -> MediaLeg:
        return self.b if leg is self.a else self.a

    @property
    def forwarding(self) -> tuple[bool, bool]:
        """(A->B, B->A) forwarding state, for tests and monitoring."""
        return self.a.route is not None, self.b.route is not None
