"""Paging: a ring group with strategy `page` — every member's phone answers by itself and
hears the caller; nobody is heard back (issue 12 item 9, what Wazo, 3CX and FusionPBX call a
paging group).

Theory of operation:

* One call per member. A call of the B2BUA connects two parties (first answer wins, RFC 3261
  §9.1 CANCELs the other forks), while a page keeps *every* member that answers. So the
  caller's call only holds the caller, and each member is rung in a call of its own that
  Centrex places (a side A with no INVITE of its own, `SipSide.originated`, as click-to-call
  does): its INVITEs carry the intercom's auto-answer headers (`Call-Info: answer-after=0`,
  `Alert-Info: info=alert-autoanswer`) and ring for the group's `ring_seconds`, then are
  cancelled. A member's answered dialog becomes its call's side A, so a member hanging up
  ends only its own call (`Ending.hang_up` has nobody else to BYE).
* Who is paged: the group's members at once, less the caller itself, members offline, busy
  (in a call) or in DND (presence, then the extension-ring hooks asked with a
  `group_member` probe, as for any ring group). Outside numbers are refused when the group
  is configured (`provisioning/ring_groups.py`); one found here anyway is skipped. Nobody
  left: the caller gets 480.
* Media, one-way: the engine's mixing room (`media/room.py`, the shared 20 ms ticker) does
  the fan-out — the caller joins *deaf* (it hears nobody), each answered member joins
  *muted* (its RTP is received and dropped). No thread or relay of our own; a room of one
  speaker costs one decode and one encode per member codec per tick. The members' SDP
  answers may say anything; their audio is simply never forwarded.
* The caller's call rings (180) until the first member answers, then gets its 200: members
  that answer later join the room as they come. The caller's CDR is its call to the group
  (answered when the first member answered); member calls have no CDR of their own.
* The end: the caller hanging up (or cancelling) ends every member call — CANCEL to those
  still ringing, BYE to those answered. When the last member call has ended on its own
  (all hung up, or none answered), the caller's call ends too (BYE, or 480 unanswered).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, SipSide
from centrex.calls.features.intercom import Availability, auto_answer_headers
from centrex.calls.features.placed import placed_call, take_answer
from centrex.calls.leg import CallAction, CallInput, CallState, TimerKind
from centrex.calls.live_state import Presence
from centrex.calls.outbound import RingFailure
from centrex.data.models import Direction, Disposition, HangupSide
from centrex.media.engine import NoCommonCodecError
from centrex.media.room import MixingRoom
from centrex.sip.errors import SipError, SipParseError
from centrex.sip.message import Response

if TYPE_CHECKING:
    from centrex.calls.features.ring_group import GroupConfig

log = logging.getLogger(__name__)

SKIPPED = frozenset({Presence.BUSY, Presence.OFFLINE, Presence.DND})


@dataclass(eq=False)
class Page:
    """One page in progress: the caller's call, its room, the member calls."""

    call: Call
    group: str
    ring_seconds: int
    room: MixingRoom | None = None
    members: dict[str, str] = field(default_factory=dict)  # member call id → extension
    answered: set[str] = field(default_factory=set)  # member call ids that answered
    ending: bool = False


@dataclass(eq=False)
class MemberRing:
    """The `RingOwner` of one member's call: auto-answer headers, the group's ring time."""

    paging: Paging
    page: Page
    ring_headers: tuple[tuple[str, str], ...]
    ring_timeout: float

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.paging.member_answered(self.page, call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        log.debug("call %s: page member %s not reached: %s", call.call_id, call.callee,
                  failure.reason)  # fmt: skip
        await self.paging.actions.ending.reject(call, failure.status, failure.reason)


class Paging:
    """Pages of every tenant (one per B2BUA, owned by the ring-group feature)."""

    def __init__(self, actions: CallActions) -> None:
        self.actions = actions
        self._pages: dict[str, Page] = {}  # caller call id → page
        self._member_of: dict[str, Page] = {}  # member call id → page

    def page_of(self, call_id: str) -> Page | None:
        """The page whose caller's call (or member call) this is."""
        return self._pages.get(call_id) or self._member_of.get(call_id)

    # ---- starting ---------------------------------------------------------------------------
    async def page(self, call: Call, config: GroupConfig) -> None:
        """Page `config`'s members for the caller of `call` (module docstring)."""
        actions = self.actions
        members = [m for m in config.members if await self._pageable(call, m)]
        if call.state is CallState.ENDED:
            return
        if not members:
            await actions.ending.reject(call, 480, "nobody of the page group can be paged",
                                        Disposition.NO_ANSWER)  # fmt: skip
            return
        core = actions.core
        if core.move(call, CallInput.RING) is not CallAction.RING:
            return
        self._ringing(call)
        page = Page(call, config.number, config.ring_seconds)
        self._pages[call.call_id] = page
        log.info("call %s: page group %s pages %s", call.call_id, config.number, members)
        for member in members:
            if page.ending or _ended(call):
                return
            await self._ring_member(page, member)
        if not page.members and not page.ending:
            await self._finish(page)

    def _ringing(self, call: Call) -> None:
        """180 to the caller while the members' phones are asked to answer."""
        try:
            self.actions.core.reply(call.a.invite, call.a.server_key, 180, tag=call.a.local_tag,
                                    transport=call.a.transport)  # fmt: skip
        except SipError as exc:
            log.info("call %s: 180 not sent: %s", call.call_id, exc)

    async def _pageable(self, call: Call, member: str) -> bool:
        """Whether `member` is paged (module docstring: who is paged)."""
        actions = self.actions
        if member.startswith("+"):
            return False
        if member == call.caller and call.direction is not Direction.INBOUND:
            return False
        registered = actions.registered(call.tenant_id, member)
        presence = await actions.live.presence(call.tenant_id, member, registered=registered)
        if presence in SKIPPED:
            return False
        probe = Availability()
        return await actions.ring_hooks(call, member, probe) is not None and not probe.refused

    async def _ring_member(self, page: Page, member: str) -> None:
        """Place the member's own call (a side A of Centrex's, as click-to-call's)."""
        core = self.actions.core
        caller = page.call
        call = placed_call(
            core, tenant_id=caller.tenant_id, domain=caller.domain, party=member,
            caller=caller.caller, callee=member, shown_name=caller.caller_name,
            sdp=caller.a.invite.body, peer="page",
        )  # fmt: skip
        page.members[call.call_id] = member
        self._member_of[call.call_id] = page
        owner = MemberRing(self, page, auto_answer_headers(caller.domain), page.ring_seconds)
        await self.actions.outbound.ring_extension(call, member, owner)

    # ---- a member answers -------------------------------------------------------------------
    async def member_answered(
        self, page: Page, call: Call, side: SipSide, response: Response
    ) -> None:
        """A member's phone answered: its dialog becomes its call's side A, it joins the room
        muted; the first one connects the caller."""
        actions = self.actions
        core = actions.core
        call.timers.cancel(TimerKind.RING)
        actions.outbound.cancel_forks(call, keep=side)
        core.ack(call, side, response)
        if page.ending:
            core.bye(call, side)
            await actions.ending.reject(call, 480, "the page has ended")
            return
        unusable = take_answer(core, call, side, response)
        if unusable is not None:
            await actions.ending.reject(call, 488, unusable)
            return
        core.event(call, "answered")
        page.answered.add(call.call_id)
        if page.room is None and not await self._connect_caller(page):
            return
        try:
            if page.room is not None and side.media is not None:
                page.room.join(side.media, muted=True)
        except (NoCommonCodecError, RuntimeError) as exc:
            log.warning("call %s: page member cannot join: %s", call.call_id, exc)
            await actions.ending.hang_up(call, cause="page-media", who=HangupSide.SYSTEM)

    async def _connect_caller(self, page: Page) -> bool:
        """Answer the caller (the first member answered) and open the room it speaks into."""
        actions = self.actions
        core = actions.core
        call = page.call
        if call.state is not CallState.RINGING or call.a.media is None:
            return False
        try:
            sdp = core.engine.answer_for(call.a.media, call.a.invite.body).serialize()
            room = core.engine.mixing_room(f"page-{call.call_id}")
            room.join(call.a.media, deaf=True)
        except (NoCommonCodecError, SipParseError, ValueError, RuntimeError) as exc:
            log.warning("call %s: page caller's media unusable: %s", call.call_id, exc)
            await actions.ending.reject(call, 488, "no common codec")
            return False
        page.room = room
        if core.move(call, CallInput.ANSWER) is not CallAction.CONNECT:
            return False
        call.answered_at = core.now()
        core.answer_caller(call, sdp)
        if call.cdr_id is not None:
            await core.deps.cdrs.answered(call.cdr_id, call.answered_at, None)
        core.event(call, "answered")
        return True

    # ---- the end ----------------------------------------------------------------------------
    async def ended(self, call: Call) -> None:
        """A call ended (`FeatureHooks.on_ended`): the caller's ends the page, a member's
        leaves it (and the last one gone ends the caller's call)."""
        page = self._pages.pop(call.call_id, None)
        if page is not None:
            page.ending = True
            if page.room is not None:
                page.room.close()
            for member_id in list(page.members):
                member_call = self.actions.core.calls.get(member_id)
                if member_call is not None:
                    await self._end_member(member_call)
            return
        page = self._member_of.pop(call.call_id, None)
        if page is None:
            return
        page.members.pop(call.call_id, None)
        page.answered.discard(call.call_id)
        if not page.members and not page.ending:
            await self._finish(page)

    async def _end_member(self, call: Call) -> None:
        ending = self.actions.ending
        if call.state is CallState.ANSWERED:
            await ending.hang_up(call, cause="page-ended", who=HangupSide.CALLER)
        else:
            await ending.reject(call, 487, "the page has ended")

    async def _finish(self, page: Page) -> None:
        """Every member call is over: the caller's call ends too."""
        page.ending = True
        call = page.call
        if call.state is CallState.ANSWERED:
            await self.actions.ending.hang_up(call, cause="page-members-gone",
                                              who=HangupSide.CALLEE)  # fmt: skip
        elif call.state is not CallState.ENDED:
            await self.actions.ending.reject(call, 480, "no member of the page group answered",
                                             Disposition.NO_ANSWER)  # fmt: skip


def _ended(call: Call) -> bool:
    """The call ended while we awaited (mypy narrows `call.state` across awaits)."""
    return call.state is CallState.ENDED
