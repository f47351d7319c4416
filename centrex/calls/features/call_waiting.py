"""Call waiting: may a second call ring an extension that is already in a call?

On by default: the second call rings the extension's phones like any call; SIP phones play
their own call-waiting tone over the call in progress (baresip, Yealink, Snom, Polycom all
do), so Centrex adds nothing to the media. Off (`extension update --call-waiting off`): an
extension whose live state says it is in a call (`LiveState.presence` BUSY: a confirmed dialog)
gets busy treatment instead — the owner's busy failure (486 from every phone, as outbound.py
would report it), so a busy forward (`forward.ForwardOnFailure`, whose hook ran before this
one) takes it, else the caller's own owner gives voicemail, else 486; a ring group hears BUSY
for that member and rings the others.

Runs last of the extension-ring hooks: after DND and forward always (both decided already).
"""

from __future__ import annotations

import logging

from centrex.calls.call import Call
from centrex.calls.features import HANDLED, FeatureHooks, Handled
from centrex.calls.features.forward import Forwarder
from centrex.calls.live_state import Presence
from centrex.calls.outbound import RingFailure, RingOwner, RingResult

log = logging.getLogger(__name__)


class CallWaiting:
    """The call-waiting ring hook."""

    name = "call-waiting"

    def __init__(self, forwarder: Forwarder) -> None:
        self.forwarder = forwarder
        self._hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        self.forwarder.bind(hooks)
        hooks.on_ring_extension(self.name, self._on_ring)

    async def _on_ring(self, call: Call, number: str, owner: RingOwner) -> RingOwner | Handled:
        settings = await self.forwarder.settings(call, number)
        if settings is None or settings.call_waiting:
            return owner
        assert self._hooks is not None
        live = self._hooks.actions.live
        if await live.presence(call.tenant_id, number, registered=True) is not Presence.BUSY:
            return owner
        log.info("call %s: %s is in a call and has call waiting off", call.call_id, number)
        await owner.failed(call, RingFailure(RingResult.BUSY, 486, "busy (call waiting off)"))
        return HANDLED
