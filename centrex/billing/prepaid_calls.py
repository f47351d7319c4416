"""The prepaid check in the call path: a call feature with one admission hook.

Before an outbound call leaves for a trunk (the router answered `ToTrunks`), the hook asks
`prepaid.authorize`. Refused: the caller gets ``403 Forbidden`` with a Warning saying why and a
``Reason: Q.850;cause=21`` (call rejected, RFC 3326; RFC 3398 §7.2.4.1 maps 403 to cause 21),
and nothing is sent to any carrier (the call never reaches `Outbound`); its CDR closes as
failed. Allowed with a limit: the call's `max_seconds` is set, which the call layer arms as its
MAX_DURATION at the answer (`connect.arm_call_timers`), so Centrex ends it when the credit is
spent (half a second before the end of the last paid second: `CUT_EARLY`). Emergency calls
and calls between extensions are never checked. The same check applies, through the route hook
(`FeatureHooks.on_route`), to the destinations features send out through the trunks (a forward
to an outside number, a transfer, a group's outside member): no free calls through `*72`.

The call path stays cheap for tenants that are not prepaid: one cached flag per tenant
(`TtlCache`, the route cache's lifetime), no database work per call. An authorisation that
fails (the database unreachable) refuses the call with 503: a prepaid call is never let out
unmetered.
"""

from __future__ import annotations

import logging

from centrex.billing.prepaid import authorize, is_prepaid
from centrex.calls.call import Call
from centrex.calls.features import HANDLED, FeatureHooks, Handled
from centrex.calls.router import Destination, Reject, ToTrunks
from centrex.calls.ttl_cache import TtlCache
from centrex.clock import Clock
from centrex.data.db import Database
from centrex.data.models import Tenant

log = logging.getLogger(__name__)

FORBIDDEN = 403
UNAVAILABLE = 503
CALL_REJECTED = 21  # Q.850 cause for a refused call
# A CDR bills every started second (`calls.cdr.billable_seconds` rounds up), so a call cut at
# exactly its last paid second would be billed one more as soon as the BYE takes a millisecond:
# the cut is armed half a second early, inside the last second the credit pays for.
CUT_EARLY = 0.5


def reason_header(text: str) -> tuple[str, str]:
    """RFC 3326 Reason with the Q.850 cause of a refused prepaid call."""
    return ("Reason", f'Q.850;cause={CALL_REJECTED};text="{text}"')


class PrepaidGuard:
    """The prepaid feature (register it with the B2BUA's features in `server.py`)."""

    name = "prepaid"

    def __init__(
        self, database: Database, clock: Clock | None = None, *, cache_seconds: float = 2.0
    ) -> None:
        """`clock`: the time authorisations are dated and the flag cache runs on (default:
        the B2BUA's clock, known once attached)."""
        self._database = database
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._flags: TtlCache[int, bool] | None = None
        self._hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.on_admit(self.name, self._admit)
        hooks.on_route(self.name, self._route)

    def _time(self) -> Clock:
        if self._clock is None:
            assert self._hooks is not None, "the prepaid guard is not attached"
            self._clock = self._hooks.actions.core.deps.clock
        return self._clock

    async def limited(self, tenant_id: int) -> bool:
        """True when the tenant's outbound calls are authorised against its credit (cached)."""
        if self._flags is None:
            self._flags = TtlCache(self._time().monotonic, self._cache_seconds)
        return await self._flags.get(tenant_id, lambda: self._load(tenant_id))

    async def _load(self, tenant_id: int) -> bool:
        async with self._database.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            return tenant is not None and is_prepaid(tenant)

    async def _admit(self, call: Call, destination: Destination) -> Destination | Handled:
        refusal = await self._check(call, destination)
        if refusal is None:
            return destination
        assert self._hooks is not None
        status, text = refusal
        await self._hooks.actions.reject(call, status, text, (reason_header(text),))
        return HANDLED

    async def _route(self, call: Call, _dialler: str, destination: Destination) -> Destination:
        """A forward, a transfer or a group's outside member leaving through the trunks is
        authorised like a call the tenant places itself (refused: a `Reject` with a Warning)."""
        refusal = await self._check(call, destination)
        return destination if refusal is None else Reject(*refusal)

    async def _check(self, call: Call, destination: Destination) -> tuple[int, str] | None:
        """Authorise a destination through the trunks: None (it may go; the call's maximum
        duration set when the credit limits it), or the (status, text) refusing it."""
        if not isinstance(destination, ToTrunks) or destination.emergency:
            return None
        if not await self.limited(call.tenant_id):
            return None
        try:
            async with self._database.transaction() as session:
                verdict = await authorize(session, call.tenant_id, destination.number,
                                          self._time().utcnow(), call_id=call.call_id)  # fmt: skip
        except Exception:  # fail closed: a prepaid call never leaves unmetered
            log.exception("call %s: prepaid authorisation failed", call.call_id)
            return UNAVAILABLE, "prepaid authorisation unavailable"
        if not verdict.allowed:
            text = verdict.reason or "prepaid credit exhausted"
            log.info("call %s to %s refused: %s", call.call_id, destination.number, text)
            return FORBIDDEN, text
        if verdict.max_seconds is not None:
            call.max_seconds = max(verdict.max_seconds - CUT_EARLY, CUT_EARLY)
            log.info("call %s to %s: prepaid, at most %d s (%s reserved)", call.call_id,
                     destination.number, verdict.max_seconds, verdict.reserved)  # fmt: skip
        return None
