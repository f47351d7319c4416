"""Call features: small modules that act on calls through one narrow interface.

Hold, recording, busy lamps, transfer, forwarding, ring groups, pickup, park, call waiting and
the rest (DESIGN.md §3) each live in a module of this package. A feature never reaches into
the B2BUA's parts: it is given the `FeatureHooks` at wiring time and registers

* call hooks — `answered(call, side)` once a call is bridged, `state(call, state)` at every
  published state change (started, ringing, answered, transferred, ended), `releasing(call)`
  before a call's media legs are freed, `ended(call)` after its CDR is closed;
* SIP methods it serves (REFER, SUBSCRIBE, NOTIFY…) in `methods`, which the façade registers on
  the request dispatcher next to its own;

and reaches live state (presence, dialogs per extension, park slots, agents, queues) through
`calls.live_state.LiveState` only, so that a shared implementation can replace the in-process
one for scale-out. A feature's failure is logged and never breaks the call it acted on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from centrex.calls.call import Call, SipSide
    from centrex.calls.deps import RequestHandler

log = logging.getLogger(__name__)

AnsweredHook = Callable[["Call", "SipSide"], Awaitable[None]]
CallHook = Callable[["Call"], Awaitable[None]]
StateHook = Callable[["Call", str], None]


class CallFeature(Protocol):
    """A feature module's entry point: registers its hooks and methods once."""

    name: str

    def attach(self, hooks: FeatureHooks) -> None: ...


class FeatureHooks:
    """Where features plug into the call layer (one instance per B2BUA)."""

    def __init__(self) -> None:
        self._answered: list[tuple[str, AnsweredHook]] = []
        self._state: list[tuple[str, StateHook]] = []
        self._releasing: list[tuple[str, CallHook]] = []
        self._ended: list[tuple[str, CallHook]] = []
        self.methods: dict[str, RequestHandler] = {}
        self.features: list[str] = []

    def add(self, feature: CallFeature) -> None:
        self.features.append(feature.name)
        feature.attach(self)

    # ---- registration -----------------------------------------------------------------------
    def on_answered(self, name: str, hook: AnsweredHook) -> None:
        self._answered.append((name, hook))

    def on_state(self, name: str, hook: StateHook) -> None:
        self._state.append((name, hook))

    def on_releasing(self, name: str, hook: CallHook) -> None:
        self._releasing.append((name, hook))

    def on_ended(self, name: str, hook: CallHook) -> None:
        self._ended.append((name, hook))

    def serve(self, method: str, handler: RequestHandler) -> None:
        if method.upper() in self.methods:
            raise ValueError(f"SIP method {method} is served by another feature already")
        self.methods[method.upper()] = handler

    # ---- the call layer calls these ---------------------------------------------------------
    async def answered(self, call: Call, side: SipSide) -> None:
        for name, hook in self._answered:
            try:
                await hook(call, side)
            except Exception:  # a feature's bug must not break the call
                log.exception("feature %s failed on answered call %s", name, call.call_id)

    def state(self, call: Call, state: str) -> None:
        for name, hook in self._state:
            try:
                hook(call, state)
            except Exception:  # a feature's bug must not break the call
                log.exception("feature %s failed on call %s (%s)", name, call.call_id, state)

    async def releasing(self, call: Call) -> None:
        await self._run(self._releasing, call, "releasing")

    async def ended(self, call: Call) -> None:
        await self._run(self._ended, call, "ended")

    @staticmethod
    async def _run(hooks: list[tuple[str, CallHook]], call: Call, what: str) -> None:
        for name, hook in hooks:
            try:
                await hook(call)
            except Exception:  # a feature's bug must not break the call
                log.exception("feature %s failed on %s call %s", name, what, call.call_id)
