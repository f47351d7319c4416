"""Do not disturb: an extension that wants no calls gets busy treatment instead of ringing.

Busy treatment (issue 12 item 2): the extension's busy forward when it has one (Diversion
reason `do-not-disturb`, RFC 5806), else the owner's busy failure — for the caller's own call
that is the extension's voicemail when the tenant has it, else 486 Busy Here. This hook runs
first of the extension-ring hooks (before forward always and call waiting: DND wins).

A DND extension rung as one member of a group (`features.group_member`) is skipped: the
group's owner hears `RingResult.BUSY` (486) for it, as for a busy member, and rings the
others; its busy forward and voicemail are personal and do not apply.

Feature codes from the extension's own phone: `*78` DND on, `*79` off, answered with the
confirmation tone (`forward.confirm`). Only the caller's own extension, in its own tenant,
changes.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.call import Call
from centrex.calls.features import HANDLED, FeatureHooks, Handled, PlanPart, group_member
from centrex.calls.features.forward import DND_REASON, Forwarder, caller_extension, confirm
from centrex.calls.features.forward_config import set_dnd
from centrex.calls.outbound import RingFailure, RingOwner, RingResult
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.errors import ValidationFailed

log = logging.getLogger(__name__)

DND_CODE = "dnd-code"
DND_ON, DND_OFF = "*78", "*79"


class DoNotDisturb:
    """The DND feature: its ring hook and the *78/*79 codes."""

    name = "dnd"

    def __init__(self, forwarder: Forwarder, database: Database) -> None:
        self.forwarder = forwarder
        self._database = database
        self._hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        self.forwarder.bind(hooks)
        hooks.on_ring_extension(self.name, self._on_ring)
        hooks.contribute(self.name, self._codes)
        hooks.serve(DND_CODE, self._code)

    async def _codes(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart(numbers={DND_ON: (DND_CODE, "on"), DND_OFF: (DND_CODE, "off")})

    async def _on_ring(self, call: Call, number: str, owner: RingOwner) -> RingOwner | Handled:
        settings = await self.forwarder.settings(call, number)
        if settings is None or not settings.dnd:
            return owner
        log.info("call %s: %s is in do-not-disturb", call.call_id, number)
        if group_member(owner):
            await owner.failed(call, RingFailure(RingResult.BUSY, 486, "do not disturb"))
        else:
            await self.forwarder.busy(call, settings, owner, DND_REASON)
        return HANDLED

    async def _code(self, call: Call, argument: str) -> None:
        assert self._hooks is not None
        on = argument == "on"
        try:
            async with self._database.transaction() as session:
                scope, extension = await caller_extension(session, call)
                await set_dnd(scope, extension, on)
            self.forwarder.forget(call.tenant_id, extension.number)
        except ValidationFailed as exc:
            log.info("call %s: DND code refused: %s", call.call_id, exc)
            await self._hooks.actions.reject(call, 403, exc.message)
            return
        log.info("call %s: %s set do-not-disturb %s", call.call_id, call.caller, argument)
        await confirm(self._hooks, call, "dnd-on" if on else "dnd-off")
