"""A new call's outbound attempt: connect the caller to whoever answers, or fall back.

The `RingOwner` of a call's own ringing (`outbound.py` decides nothing about meaning):

* answered — the first 2xx wins: the other forks are cancelled, the winner ACKed, the media
  negotiated (the winner's SDP on its leg, our answer to the caller's offer, the two legs
  bridged, transcoding between G.711 laws when needed), then the call table's ANSWER: the
  caller gets its 200 (retransmitted until the ACK), the CDR its answer time, features their
  `answered` hook (recording), and the optional MAX_DURATION and SESSION_EXPIRES deadlines arm;
* failed — nobody answered: voicemail when the tenant has the app (busy, no answer, nothing
  registered), otherwise the best final status for the caller (§16.7 step 6, simplified).
"""

from __future__ import annotations

import logging

from centrex.calls.app_calls import AppCalls
from centrex.calls.call import Call, SipSide
from centrex.calls.core import CallCore
from centrex.calls.ending import Ending
from centrex.calls.features import FeatureHooks
from centrex.calls.leg import CallAction, CallInput, TimerKind
from centrex.calls.outbound import Outbound, RingFailure, RingResult
from centrex.data.models import Direction, Disposition
from centrex.media.engine import NoCommonCodecError
from centrex.media.relay import BridgeError
from centrex.sip.errors import SipParseError
from centrex.sip.message import Request, Response

log = logging.getLogger(__name__)


def parse_session_expires(value: str | None) -> float | None:
    """RFC 4028 §4: `Session-Expires: delta-seconds *(;param)` (None: absent or malformed).
    delta-seconds are ASCII digits (RFC 5234 DIGIT): `str.isdigit` alone also takes "²"
    (which `int` then refuses) and other scripts' digits."""
    if not value:
        return None
    head = value.split(";", 1)[0].strip()
    return float(head) if head.isascii() and head.isdigit() and int(head) > 0 else None


MIN_SE = 90  # RFC 4028 §4: the smallest session interval we accept (the RFC's own minimum)


def too_brief(invite: Request) -> bool:
    """RFC 4028 §8.1: a caller that supports session timers and asks for less than our
    Min-SE is answered 422 with `Min-SE` (it retries with a longer interval)."""
    interval = parse_session_expires(invite.headers.get("Session-Expires"))
    return interval is not None and interval < MIN_SE and _supports_timer(invite)


def session_interval(invite: Request) -> float | None:
    """The session interval the caller will refresh, or None when there is none to enforce.

    RFC 4028 §9: we never refresh ourselves, so we enforce an interval only when the caller
    will: it supports the extension (`Supported: timer`) or asked to be the refresher
    (`refresher=uac`). The 2xx then tells it so (`session_timer_headers`)."""
    value = invite.headers.get("Session-Expires")  # the compact form "x" is looked up too
    interval = parse_session_expires(value)
    if interval is None or value is None:
        return None
    params = [p.strip().lower() for p in value.split(";")[1:]]
    if _supports_timer(invite) or "refresher=uac" in params:
        # a caller that cannot be told 422 (no `Supported: timer`) gets our minimum instead
        # of a call cut after a few seconds
        return max(interval, float(MIN_SE))
    return None


def _supports_timer(request: Request) -> bool:
    return any(
        option.strip().lower() == "timer"
        for value in request.headers.get_all("Supported")
        for option in value.split(",")
    )


def session_timer_headers(invite: Request) -> list[tuple[str, str]]:
    """RFC 4028 §9: echo the enforced interval with the caller as refresher, and
    `Require: timer` when the caller supports the extension (never otherwise)."""
    interval = session_interval(invite)
    if interval is None:
        return []
    headers = [("Session-Expires", f"{int(interval)};refresher=uac")]
    if _supports_timer(invite):
        headers.append(("Require", "timer"))
    return headers


class DirectCall:
    """Connects a new call to its callee, or hands it to voicemail, or rejects it."""

    def __init__(
        self,
        core: CallCore,
        outbound: Outbound,
        ending: Ending,
        apps: AppCalls,
        hooks: FeatureHooks,
    ) -> None:
        self.core = core
        self.outbound = outbound
        self.ending = ending
        self.apps = apps
        self.hooks = hooks

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        core = self.core
        call.timers.cancel(TimerKind.RING)
        for other in call.forks:
            call.timers.cancel_leg(other.label)
        self.outbound.cancel_forks(call, keep=side)
        core.ack(call, side, response)
        try:
            if side.media is None or call.a.media is None:
                raise NoCommonCodecError("a media leg is gone")
            core.engine.set_remote(side.media, response.body, signalling_host=side.target[0])
            answer = core.engine.answer_for(call.a.media, call.a.invite.body, peer=side.media)
            sdp = answer.serialize()
            if call.a.media.leg_id not in core.engine.bridges:
                core.engine.bridge(call.a.media, side.media)
        except (NoCommonCodecError, SipParseError, ValueError, BridgeError) as exc:
            log.warning("call %s: media negotiation failed: %s", call.call_id, exc)
            core.bye(call, side)
            await self.ending.reject(call, 488, "no common codec")
            return
        if core.move(call, CallInput.ANSWER) is not CallAction.CONNECT:
            core.bye(call, side)
            return
        call.b = side
        side.answered_at = call.answered_at = core.now()
        core.answer_caller(call, sdp, session_timer_headers(call.a.invite))
        self.arm_call_timers(call)
        if call.cdr_id is not None:
            await core.deps.cdrs.answered(
                call.cdr_id, call.answered_at, side.trunk.id if side.trunk else None
            )
            if side.trunk is not None and call.direction is not Direction.OUTBOUND:
                await core.deps.cdrs.left_through_trunk(
                    call.cdr_id, callee=side.invite.uri.user or call.callee, trunk_id=side.trunk.id
                )
        core.event(call, "answered")
        core.spawn(self.hooks.answered(call, side), call)

    def arm_call_timers(self, call: Call) -> None:
        """The deadlines of an answered call: its maximum duration, its session interval."""
        core = self.core
        caps = [c for c in (core.settings.max_duration, call.max_seconds) if c is not None]
        if caps:  # the platform's cap or the call's own (prepaid credit), the shorter
            core.arm(call, TimerKind.MAX_DURATION, min(caps))
        interval = session_interval(call.a.invite)
        if interval is not None:
            core.arm(call, TimerKind.SESSION_EXPIRES, interval)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        result = failure.result
        voicemail = self.apps.voicemail_available()
        if result is RingResult.UNAVAILABLE and voicemail:
            await self.apps.run_app(call, "voicemail", extension=call.callee, reason="unavailable")
        elif result is RingResult.NO_ANSWER:
            if call.direction is not Direction.OUTBOUND and voicemail:
                await self.apps.run_app(call, "voicemail", extension=call.callee,
                                        reason="no-answer")  # fmt: skip
            else:
                await self.ending.reject(call, 480, "no answer", Disposition.NO_ANSWER)
        elif result in (RingResult.BUSY, RingResult.DECLINED) and voicemail:
            reason = "busy" if result is RingResult.BUSY else "no-answer"
            await self.apps.run_app(call, "voicemail", extension=call.callee, reason=reason)
        else:
            await self.ending.reject(call, failure.status, failure.reason)
