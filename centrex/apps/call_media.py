"""Music on hold and call recording storage for the call layer (implements
`centrex.calls.call_media.CallMediaHost`; wired by `server.py`).

Why here: the tenant's MOH uploads (`moh.py`), the recording settings of its extensions and
its file store with the quota (`centrex.provisioning`) sit above the call layer, which must not
import them (DESIGN.md §3).

Recording policy: an extension's own setting wins, else the tenant's. A call involving several
of the tenant's extensions is recorded if any of them says so ("always" beats "on-demand"
beats "never"); the layout is the one of the extension (or tenant) that decided.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from centrex.apps.moh import moh_file
from centrex.apps.voicemail.services import VoicemailServices
from centrex.calls.call_media import RecordedTrack, RecordingPlan
from centrex.data.models import Extension, RecordingLayout, RecordingMode
from centrex.errors import CentrexError
from centrex.provisioning.recordings import register_recording
from centrex.provisioning.storage import QuotaExceeded

log = logging.getLogger(__name__)

_STRENGTH = {RecordingMode.NEVER: 0, RecordingMode.ON_DEMAND: 1, RecordingMode.ALWAYS: 2}
RECORDINGS_AREA = "recordings"


def strongest(plans: Sequence[RecordingPlan]) -> RecordingPlan:
    """The plan that records most (the first of equals); never when there is none."""
    best = RecordingPlan()
    for plan in plans:
        if _STRENGTH[plan.mode] > _STRENGTH[best.mode]:
            best = plan
    return best


NOTICE_PROMPT = "common.recording_notice"


class CallMediaServices:
    """The call layer's view of MOH files, recording settings and the recording store."""

    def __init__(
        self, services: VoicemailServices, data_dir: Path, *, cache_seconds: float = 0.0
    ) -> None:
        self.services = services
        self.data_dir = data_dir
        # Recording settings are read for every answered call: cached as long as the call
        # layer caches a tenant's routing plan, so a burst of calls costs no query each.
        self._cache_seconds = cache_seconds
        self._plans: dict[tuple[int, tuple[str, ...]], tuple[float, RecordingPlan]] = {}

    async def hold_music(self, tenant_id: int) -> Path | None:
        async with self.services.scope(tenant_id) as (scope, _tenant):
            return await moh_file(scope, self.services.store, self.data_dir)

    async def recording_plan(self, tenant_id: int, extensions: Sequence[str]) -> RecordingPlan:
        key = (tenant_id, tuple(sorted(e for e in extensions if e)))
        now = self.services.clock.monotonic()
        cached = self._plans.get(key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        plan = await self._load_plan(tenant_id, extensions)
        if len(self._plans) > 50_000:
            self._plans.clear()
        self._plans[key] = (now, plan)
        return plan

    async def _load_plan(self, tenant_id: int, extensions: Sequence[str]) -> RecordingPlan:
        async with self.services.scope(tenant_id) as (scope, tenant):
            announce = tenant.record_announce
            default = RecordingPlan(tenant.record_calls, tenant.record_layout, announce)
            numbers = [e for e in extensions if e]
            rows = await scope.list(Extension, Extension.number.in_(numbers)) if numbers else []
        plans = [
            RecordingPlan(
                row.record_calls or default.mode, row.record_layout or default.layout, announce
            )
            for row in rows
        ]
        return strongest(plans or [default])

    async def recording_notice(self, tenant_id: int) -> Path | None:
        async with self.services.scope(tenant_id) as (_scope, tenant):
            language = tenant.language.value
        return await self.services.prompts.get(NOTICE_PROMPT, language)

    def recording_file(self, tenant_id: int) -> Path:
        _relative, absolute = self.services.store.new_file(tenant_id, RECORDINGS_AREA)
        return absolute

    async def keep_recording(
        self,
        tenant_id: int,
        *,
        call_id: str,
        cdr_id: int | None,
        layout: RecordingLayout,
        tracks: Sequence[RecordedTrack],
        started_at: datetime,
    ) -> None:
        now = self.services.clock.utcnow()
        for track in tracks:
            try:
                async with self.services.scope(tenant_id) as (scope, _tenant):
                    await register_recording(
                        scope,
                        self.services.store,
                        call_id=call_id,
                        path=track.path,
                        now=now,
                        layout=layout,
                        party=track.party,
                        cdr_id=cdr_id,
                        started_at=started_at,
                    )
            except QuotaExceeded as exc:
                log.warning("call %s: recording dropped: %s", call_id, exc)
            except CentrexError as exc:
                log.error("call %s: recording %s not registered: %s", call_id, track.path, exc)
