"""An app hands its answered caller on: an IVR flow's "transfer to 102" or to an outside number.

Theory of operation (RFC 3261 §13 and §9, RFC 3264 §6, RFC 7667 §3.2.1.1):

1. The caller's side A is already answered by the app (a 200 carrying
   `engine.answer_for(a, offer)`). The app calls `CallControl.transfer(kind, value)`; the target
   is resolved against the tenant's plan (`resolve_target`, pure) and rung the way a new call's
   outbound sides are: every registered contact of an extension in parallel, or the trunks of
   the tenant's outbound route one after the other with failover. Each outbound side is offered
   A's original offer rewritten to its own media leg (`engine.offer_for(b, a_offer)`).
2. Nothing is signalled to A meanwhile: its dialog is confirmed and a 180/183 cannot follow a
   200, so the target's provisional responses are not relayed. A hears a ringback tone of the
   tenant's country (ITU-T E.180) played into its leg (`play_ringback`); the player owns A's
   outgoing stream until it stops, then the relay takes the stream over on the same SSRC.
3. The first 2xx wins: the other forks get CANCEL (§9.1), the winner its ACK, and A's leg is
   bridged with the winner's. A keeps the codec the app answered with; when the target chose
   the other G.711 law the bridge transcodes (`sdp_rewrite.plan_bridge`), so A needs no
   re-INVITE. From then on it is an ordinary bridged call: BYE from either side ends both.
4. Nobody answers (ring timeout, every fork refused, nothing registered, no trunk took it): the
   app gets the outcome and keeps its channel (the launcher takes a voicemail message or says
   goodbye). The caller hanging up while the target rings ends the call, which CANCELs the forks.
5. CDR: the row keeps the time the app answered (the caller was connected, and billed, from
   then on); its callee becomes the party the call was finally connected to, and that party's
   leg row carries its own answer time. A call connected through a trunk becomes `outbound`
   with that trunk, so billing rates the leg the tenant pays for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.calls.router import (
    CallRequest,
    OutboundRoutePlan,
    Reject,
    TenantPlan,
    ToApp,
    ToExtension,
    ToFeature,
    ToTrunks,
    TrunkRef,
    route,
)
from centrex.media.engine import MediaEngine, NoCommonCodecError
from centrex.media.player import Player
from centrex.media.session import MediaLeg
from centrex.media.tones import ToneKind, tone_plan

__all__ = [
    "AppTransfer",
    "TransferControl",
    "failure_outcome",
    "play_ringback",
    "resolve_target",
]

log = logging.getLogger(__name__)

DEFAULT_TONE_COUNTRY = "CH"  # the tenant default; E.180's 425 Hz is what most of Europe hears
RING_GROUP_FEATURE = "ring-group"  # the feature ringing ring groups (features/ring_group.py)


def resolve_target(
    plan: TenantPlan,
    kind: TransferKind,
    value: str,
    caller: str,
    now: datetime,
    routes: Sequence[OutboundRoutePlan] = (),
    trunks: Sequence[TrunkRef] = (),
) -> ToExtension | ToTrunks | ToFeature | Reject:
    """Where a transfer goes. Pure. An extension must exist in the tenant and must not run a
    flow itself (one flow handing to another is not supported: it could loop); an external
    number takes the tenant's normal outbound routing (caller ID, trunks, emergency); a ring
    group goes to the feature ringing ring groups, which looks the group up in the tenant."""
    if kind is TransferKind.RING_GROUP:
        return ToFeature(RING_GROUP_FEATURE, value)
    if kind is TransferKind.EXTENSION:
        if value not in plan.extensions:
            return Reject(404, f"extension {value} does not exist")
        if value in plan.flow_extensions:
            return Reject(482, f"extension {value} runs a call flow itself")
        return ToExtension(value)
    destination = route(plan, CallRequest(value, caller, now), routes, trunks)
    if isinstance(destination, ToApp):
        return Reject(482, f"{value} leads to an application, not a party")
    if isinstance(destination, ToFeature):
        return Reject(482, f"{value} leads to {destination.feature}, not a party")
    if isinstance(destination, ToExtension):
        return resolve_target(plan, TransferKind.EXTENSION, destination.number, caller, now)
    return destination


def failure_outcome(statuses: Sequence[int]) -> TransferOutcome:
    """Every fork of an extension ended without answer: busy when a phone said so (486, 600),
    else no answer (declined, timed out)."""
    if any(status in (486, 600) for status in statuses):
        return TransferOutcome.BUSY
    return TransferOutcome.NO_ANSWER


def play_ringback(engine: MediaEngine, leg: MediaLeg, country: str) -> Player | None:
    """Play the country's ringback cadence to `leg` until stopped (None when it cannot be
    encoded for the leg: the caller then hears silence, the transfer goes on)."""
    try:
        plan = tone_plan(country, ToneKind.RINGBACK)
    except KeyError:
        plan = tone_plan(DEFAULT_TONE_COUNTRY, ToneKind.RINGBACK)
    try:
        return engine.play(leg, plan)
    except NoCommonCodecError as exc:
        log.warning("no ringback on leg %s: %s", leg.leg_id, exc)
        return None


@dataclass(eq=False)
class AppTransfer:
    """One transfer of an app's caller: what is rung, and how it ended (`done`)."""

    kind: TransferKind
    callee: str  # the extension or E.164 number rung: the CDR's callee once connected
    done: asyncio.Future[TransferOutcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    ringing: bool = True
    ringback: Player | None = None
    members: dict[str, str] = field(default_factory=dict)  # side label → agent (queue offers)

    def finish(self, outcome: TransferOutcome) -> None:
        """Stop ringing and the ringback tone, and tell the app; idempotent (first one wins)."""
        self.ringing = False
        if self.ringback is not None:
            self.ringback.stop()
            self.ringback = None
        if not self.done.done():
            self.done.set_result(outcome)

    @property
    def connected(self) -> bool:
        """The target answered: the call is a bridged call, the app's hang-up ends nothing."""
        return (
            self.done.done()
            and not self.done.cancelled()
            and self.done.result() is TransferOutcome.CONNECTED
        )


class TransferControl:
    """The `CallControl` of one call: the B2BUA's transfer bound to that call."""

    def __init__(self, transfer: Callable[[TransferKind, str], Awaitable[TransferOutcome]]) -> None:
        self._transfer = transfer

    async def transfer(self, kind: TransferKind, value: str) -> TransferOutcome:
        return await self._transfer(kind, value)
