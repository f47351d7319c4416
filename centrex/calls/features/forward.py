"""Call forwarding per extension: always, busy, no answer after N seconds, unregistered.

Theory of operation (issue 12 item 2; RFC 5806 Diversion):

* The extension-ring hook of this feature sees every ring of an extension (direct calls,
  forward targets, transfer targets; DND's hook runs before it, call waiting's after it). With
  *forward always* the extension's phones do not ring: the call goes to DEST at once. With a
  busy, no-answer or unregistered forward it wraps the attempt's owner in `ForwardOnFailure`:
  every phone answering 486/600/603 (or call waiting off while in a call), no answer within the
  extension's N seconds (`ring_timeout` on the owner: the RING deadline of that ring on the
  B2BUA's clock), or no registered phone then sends the call to the matching DEST; any other
  failure, or one without a forward of its kind, goes to the wrapped owner as before.
* DEST is routed like a string dialled by the forwarding extension (`CallActions.destination`
  with that caller): an extension of the tenant rings under the *original* owner (so its own
  DND, forwards and voicemail apply: the call becomes its call, `call.callee`), an outside
  number leaves through the trunks, `voicemail` is the forwarding extension's mailbox and
  `flow:NAME` the tenant's IVR flow NAME.
* External forwards carry `Diversion` (RFC 5806 §4: one entry per diversion, the most recent
  first, `reason` and `counter`) naming each forwarding extension by a number the tenant owns
  (its outbound caller ID, else a DID routed to it, else the tenant's main number), so the
  carrier may accept the call; the caller ID follows the trunk policy of `router.
  choose_caller_id`: the caller's own number when the tenant owns it (an internal caller's
  chosen number), else the forwarding extension's (its chosen number or the main number),
  never a number the tenant does not own.
* Loops and long chains are cut (per call): a forward to an extension the call was already
  forwarded from (101 → 102 → 101) stops at that second visit with 482 (Loop Detected), a
  sixth forward with 483 (Too Many Hops); either goes to the owner as a failure (the caller's
  own owner gives voicemail when the tenant has it, else the status) and is logged. A call that
  got answered starts a new chain (a later transfer is no forward).
* A ring as one member of a group (`features.group_member(owner)`): forwards are the member's
  personal setting and do not apply; a member forwarded always is reported UNAVAILABLE so the
  group goes on with its other members.
* Feature codes from the extension's own phone: `*72<DEST>` sets forward always (checked like
  the CLI's), `*73` clears it; the change is answered with a confirmation tone (`confirm`).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.call import Call, SipSide
from centrex.calls.features import HANDLED, FeatureHooks, Handled, PlanPart, group_member
from centrex.calls.features.forward_config import (
    FLOW_PREFIX,
    VOICEMAIL,
    ExtensionForwarding,
    ForwardKind,
    clear_forward,
    load,
    set_forward,
)
from centrex.calls.live_state import DialogPhase, ExtensionDialog
from centrex.calls.outbound import RingFailure, RingOwner, RingResult
from centrex.calls.router import TenantPlan, ToApp, ToExtension, ToTrunks
from centrex.calls.ttl_cache import TtlCache
from centrex.data.db import Database
from centrex.data.models import Direction, Extension, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.sip.message import Response

log = logging.getLogger(__name__)

MAX_HOPS = 5
FORWARD_CODE = "forward-code"  # the destination `*72<DEST>` and `*73` are served by
FORWARD_ON, FORWARD_OFF = "*72", "*73"
CONFIRM_APP = "feature-confirm"  # answers, plays a confirmation tone, hangs up
# RFC 5806 §4 diversion-reason values
REASONS = {
    ForwardKind.ALWAYS: "unconditional",
    ForwardKind.BUSY: "user-busy",
    ForwardKind.NO_ANSWER: "no-answer",
    ForwardKind.UNREGISTERED: "unavailable",
}
DND_REASON = "do-not-disturb"
# what the forwarding extension's failure is, should DEST not take the call
RESULTS = {
    "unconditional": RingResult.UNAVAILABLE,
    "user-busy": RingResult.BUSY,
    DND_REASON: RingResult.BUSY,
    "no-answer": RingResult.NO_ANSWER,
    "unavailable": RingResult.UNAVAILABLE,
}
GREETINGS = {RingResult.BUSY: "busy", RingResult.NO_ANSWER: "no-answer"}
_KINDS = {
    RingResult.BUSY: ForwardKind.BUSY,
    RingResult.NO_ANSWER: ForwardKind.NO_ANSWER,
    RingResult.UNAVAILABLE: ForwardKind.UNREGISTERED,
}


@dataclass(frozen=True, slots=True)
class Diversion:
    number: str  # the forwarding extension
    reason: str  # RFC 5806 diversion-reason


@dataclass
class _Chain:
    """What one call went through: its diversions, the settings read for its extensions."""

    diversions: list[Diversion] = field(default_factory=list)
    settings: dict[str, ExtensionForwarding | None] = field(default_factory=dict)


def diversion_number(plan: TenantPlan, extension: str) -> str:
    """How a carrier knows the forwarding extension: a number the tenant owns."""
    chosen = plan.caller_ids.get(extension)
    if chosen is not None and chosen in plan.numbers:
        return chosen
    routed = sorted(e164 for e164, target in plan.dids.items() if target == extension)
    if routed:
        return routed[0]
    return plan.main_number or extension


def diversion_header(plan: TenantPlan, diversions: Sequence[Diversion]) -> str:
    """RFC 5806 §4: `Diversion: <uri>;reason=…;counter=1`, the most recent diversion first."""
    return ", ".join(
        f"<sip:{diversion_number(plan, d.number)}@{plan.domain}>;reason={d.reason};counter=1"
        for d in reversed(diversions)
    )


def forward_caller_id(plan: TenantPlan, caller: str, routed: str | None) -> str | None:
    """The trunk's caller-ID policy for a forwarded call: the caller's number when the tenant
    owns it (one of its numbers, or an internal caller's chosen one), else `routed` (what the
    router chose for the forwarding extension) — never a number the tenant does not own."""
    for candidate in (caller, plan.caller_ids.get(caller)):
        if candidate is not None and candidate in plan.numbers:
            return candidate
    return routed


class Forwarder:
    """Sends calls on to forward destinations; shared by forwarding, DND and call waiting."""

    def __init__(self, database: Database, cache_seconds: float = 0.0) -> None:
        """`cache_seconds`: how long an extension's settings are reused across calls
        (`calls/ttl_cache.py`; a change by this process's feature codes is seen at once)."""
        self._database = database
        self._hooks: FeatureHooks | None = None
        self._cache_seconds = cache_seconds
        self._cache: TtlCache[tuple[int, str], ExtensionForwarding | None] | None = None
        # per live call; gone with the call (no hook needed to forget it)
        self._chains: weakref.WeakKeyDictionary[Call, _Chain] = weakref.WeakKeyDictionary()

    def bind(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks

    @property
    def hooks(self) -> FeatureHooks:
        if self._hooks is None:
            raise RuntimeError("the forwarder is not attached to a call layer")
        return self._hooks

    def _chain(self, call: Call) -> _Chain:
        chain = self._chains.get(call)
        if chain is None:
            chain = self._chains[call] = _Chain()
        return chain

    def reset(self, call: Call) -> None:
        """The call was answered: a later ring (a transfer) starts a new chain."""
        self._chains.pop(call, None)

    def diversions(self, call: Call) -> list[Diversion]:
        return list(self._chain(call).diversions)

    async def settings(self, call: Call, number: str) -> ExtensionForwarding | None:
        """`number`'s settings in the call's tenant, read once per call (None: not one of the
        tenant's extensions — an outside member of a ring group, another tenant's number)."""
        chain = self._chain(call)
        if number not in chain.settings:

            async def read() -> ExtensionForwarding | None:
                async with self._database.session() as session:
                    return await load(TenantScope(session, call.tenant_id, call.domain), number)

            chain.settings[number] = await self._settings_cache().get(
                (call.tenant_id, number), read
            )
        return chain.settings[number]

    def _settings_cache(self) -> TtlCache[tuple[int, str], ExtensionForwarding | None]:
        if self._cache is None:
            monotonic = self.hooks.actions.core.deps.clock.monotonic
            self._cache = TtlCache(monotonic, self._cache_seconds)
        return self._cache

    def forget(self, tenant_id: int, number: str) -> None:
        """`number`'s settings changed here (a feature code): the next call reads them."""
        self._settings_cache().forget((tenant_id, number))

    async def busy(
        self, call: Call, settings: ExtensionForwarding, owner: RingOwner, reason: str
    ) -> None:
        """Busy treatment (DND, busy): the busy forward if set, else the owner's busy
        failure (the caller's own owner: voicemail, else 486)."""
        if settings.busy is not None:
            await self.forward(call, settings.number, reason, settings.busy, owner)
            return
        await owner.failed(call, RingFailure(RingResult.BUSY, 486, reason.replace("-", " ")))

    async def forward(
        self, call: Call, number: str, reason: str, destination: str, owner: RingOwner
    ) -> None:
        """Send `call`, ringing `number`, on to `destination` (one more diversion)."""
        actions = self.hooks.actions
        chain = self._chain(call)
        result = RESULTS.get(reason, RingResult.UNAVAILABLE)
        if len(chain.diversions) >= MAX_HOPS:
            log.warning("call %s: forward of %s to %s cut: more than %d hops", call.call_id,
                        number, destination, MAX_HOPS)  # fmt: skip
            await owner.failed(call, RingFailure(RingResult.DECLINED, 483, "too many forwards"))
            return
        visited = {d.number for d in chain.diversions} | {number}
        chain.diversions.append(Diversion(number, reason))
        log.info("call %s: %s forwarded (%s) to %s", call.call_id, number, reason, destination)
        if destination == VOICEMAIL or destination.startswith(FLOW_PREFIX):
            await self._to_app(call, number, destination, result, owner)
            return
        target = await actions.destination(call, destination, caller=number)
        if isinstance(target, ToExtension):
            if target.number in visited:
                log.warning("call %s: forwarding loop %s -> %s cut", call.call_id,
                            " -> ".join(d.number for d in chain.diversions),
                            target.number)  # fmt: skip
                await owner.failed(call, RingFailure(RingResult.DECLINED, 482, "forward loop"))
                return
            await self._hand_over(call, number, target.number)
            await actions.ring_extension(call, target.number, owner)
        elif isinstance(target, ToTrunks):
            plan = await self._plan(call)
            if plan is None:
                await owner.failed(call, RingFailure(result, 404, "tenant no longer exists"))
                return
            headers = (("Diversion", diversion_header(plan, chain.diversions)),)
            caller_id = forward_caller_id(plan, call.caller, target.caller_id)
            await actions.go(call, replace(target, caller_id=caller_id), Diverted(owner, headers))
        elif isinstance(target, ToApp) and (
            call.transferring or not actions.apps.available(target.app)
        ):
            await owner.failed(call, RingFailure(result, 480, f"{target.app} is not available"))
        else:
            await actions.go(call, target, owner)

    async def _plan(self, call: Call) -> TenantPlan | None:
        async with self._database.session() as session:
            tenant = await session.get(Tenant, call.tenant_id)
        return None if tenant is None else await self.hooks.actions.plans.plan(tenant)

    async def _to_app(
        self, call: Call, number: str, destination: str, result: RingResult, owner: RingOwner
    ) -> None:
        """`voicemail` (the forwarding extension's mailbox) or `flow:NAME`. A caller already
        answered by an app (its transfer rang `number`) cannot be handed to another app here:
        the transfer's owner hears of the failure and its app decides (it offers voicemail)."""
        actions = self.hooks.actions
        app = "voicemail" if destination == VOICEMAIL else "ivr"
        if call.transferring or not actions.apps.available(app):
            await owner.failed(call, RingFailure(result, 480, f"{app} is not available"))
        elif app == "voicemail":
            await actions.voicemail(call, number, GREETINGS.get(result, "unavailable"))
        else:
            await actions.run_app(call, app, extension=destination)

    async def _hand_over(self, call: Call, old: str, new: str) -> None:
        """The call is now `new`'s: its busy lamp, voicemail and call waiting follow it;
        `old`'s phones are out of it (its dialog ends in the live state)."""
        if call.callee != old or call.direction is Direction.OUTBOUND:
            return
        ended = ExtensionDialog(call.call_id, DialogPhase.TERMINATED, False, call.caller, 0.0)
        await self.hooks.actions.live.set_dialog(call.tenant_id, old, ended)
        call.callee = new


class Diverted:
    """The owner of a forward's trunk attempt: the wrapped owner decides, the trunk INVITEs
    carry `trunk_headers` (Diversion), failover included (`outbound.trunk_headers`)."""

    def __init__(self, inner: RingOwner, headers: tuple[tuple[str, str], ...]) -> None:
        self.inner = inner
        self.trunk_headers = headers

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.inner.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        await self.inner.failed(call, failure)


class ForwardOnFailure:
    """Wraps an extension's ring: busy, no answer in N s, or nothing registered → DEST."""

    def __init__(
        self, forwarder: Forwarder, inner: RingOwner, settings: ExtensionForwarding
    ) -> None:
        self.forwarder = forwarder
        self.inner = inner
        self.settings = settings
        # outbound.ring_seconds: the extension rings N s when a no-answer forward waits
        self.ring_timeout = float(settings.no_answer_seconds) if settings.no_answer else None

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.inner.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        result = failure.result
        if result is RingResult.DECLINED and 603 in failure.statuses:
            result = RingResult.BUSY  # the user declined on the phone: treated as busy
        kind = _KINDS.get(result)
        destination = self.settings.target(kind) if kind is not None else None
        if kind is None or destination is None:
            await self.inner.failed(call, failure)
            return
        await self.forwarder.forward(call, self.settings.number, REASONS[kind], destination,
                                     self.inner)  # fmt: skip


async def confirm(hooks: FeatureHooks, call: Call, what: str) -> None:
    """Answer a feature code that changed a setting: the confirmation app answers, plays its
    tone and hangs up (what a phone user expects after *78 or *72…); without the app, a 480
    with a Warning saying what was done (the change is made either way)."""
    actions = hooks.actions
    if actions.apps.available(CONFIRM_APP):
        await actions.run_app(call, CONFIRM_APP, extension=call.caller, reason=what)
    else:
        await actions.reject(call, 480, f"{what} (no confirmation tone available)")


async def caller_extension(session: AsyncSession, call: Call) -> tuple[TenantScope, Extension]:
    """The calling extension in the caller's tenant (a feature code changes only its own
    settings); `ValidationFailed` when the caller is no extension (a carrier, a stranger)."""
    tenant = await session.get(Tenant, call.tenant_id)
    if tenant is None or call.direction is Direction.INBOUND:
        raise ValidationFailed("feature codes are for the tenant's own phones")
    scope = TenantScope(session, tenant.id, tenant.domain)
    extension = await scope.first(Extension, Extension.number == call.caller)
    if extension is None:
        raise ValidationFailed(f"{call.caller} is not an extension of {tenant.domain}")
    return scope, extension


class ForwardingFeature:
    """The forwarding feature: the forward-always ring hook, the owner wrapper, *72/*73."""

    name = "forwarding"

    def __init__(self, forwarder: Forwarder, database: Database) -> None:
        self.forwarder = forwarder
        self._database = database
        self._hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        self.forwarder.bind(hooks)
        hooks.on_ring_extension(self.name, self._on_ring)
        hooks.on_answered(self.name, self._answered)
        hooks.contribute(self.name, self._codes)
        hooks.serve(FORWARD_CODE, self._code)

    async def _answered(self, call: Call, _side: SipSide) -> None:
        self.forwarder.reset(call)

    async def _codes(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart(numbers={FORWARD_OFF: (FORWARD_CODE, "")},
                        prefixes={FORWARD_ON: FORWARD_CODE})  # fmt: skip

    async def _on_ring(self, call: Call, number: str, owner: RingOwner) -> RingOwner | Handled:
        settings = await self.forwarder.settings(call, number)
        if settings is None:
            return owner
        if group_member(owner):
            if settings.always is None:
                return owner
            log.info("call %s: group member %s is forwarded: skipped", call.call_id, number)
            await owner.failed(call, RingFailure(RingResult.UNAVAILABLE, 480, "forwarded"))
            return HANDLED
        if settings.always is not None:
            await self.forwarder.forward(call, number, REASONS[ForwardKind.ALWAYS],
                                         settings.always, owner)  # fmt: skip
            return HANDLED
        if settings.busy or settings.no_answer or settings.unregistered:
            return ForwardOnFailure(self.forwarder, owner, settings)
        return owner

    async def _code(self, call: Call, argument: str) -> None:
        """`*72<DEST>` (forward always to DEST) or `*73` (off) from the extension's phone."""
        assert self._hooks is not None
        try:
            async with self._database.transaction() as session:
                scope, extension = await caller_extension(session, call)
                if argument:
                    await set_forward(scope, extension, ForwardKind.ALWAYS, argument)
                else:
                    await clear_forward(scope, extension, ForwardKind.ALWAYS)
            self.forwarder.forget(call.tenant_id, extension.number)  # committed: read anew
        except ValidationFailed as exc:
            log.info("call %s: %s%s refused: %s", call.call_id, FORWARD_ON, argument, exc)
            await self._hooks.actions.reject(call, 484 if argument else 403, exc.message)
            return
        log.info("call %s: %s set forward always %s", call.call_id, call.caller,
                 argument or "off")  # fmt: skip
        await confirm(self._hooks, call, "forward-on" if argument else "forward-off")
