"""What the call layer asks the layers above for, during a bridged call: music on hold and call
recording.

Apps and provisioning sit above calls (DESIGN.md §3): the MOH upload of a tenant, the recording
settings of its extensions and the tenant's file store with its quota are theirs. The B2BUA sees
only this protocol; `server.py` passes an implementation (`centrex.apps.call_media`), the same
way it passes the `AppHost`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from centrex.data.models import RecordingLayout, RecordingMode


@dataclass(frozen=True, slots=True)
class RecordingPlan:
    """Whether and how one call is recorded (resolved from the extension and tenant settings)."""

    mode: RecordingMode = RecordingMode.NEVER
    layout: RecordingLayout = RecordingLayout.MIXED
    announce: bool = False  # both parties hear a notice when the recording starts


@dataclass(frozen=True, slots=True)
class RecordedTrack:
    """One finished recording file: a party's voice (per-party) or both (mixed, party None)."""

    path: Path
    party: str | None = None


class CallMediaHost(Protocol):
    """Music on hold and recording storage for the B2BUA."""

    async def hold_music(self, tenant_id: int) -> Path | None:
        """The WAV a held party of this tenant hears (None: silence)."""
        ...

    async def recording_plan(self, tenant_id: int, extensions: Sequence[str]) -> RecordingPlan:
        """How a call involving these extensions of the tenant is recorded."""
        ...

    async def recording_notice(self, tenant_id: int) -> Path | None:
        """The prompt telling the parties that the call is recorded, in the tenant's language
        (None: nothing to play)."""
        ...

    def recording_file(self, tenant_id: int) -> Path:
        """A fresh file in the tenant's store for the recorder to write."""
        ...

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
        """Register the finished files (counted against the quota, linked to the CDR)."""
        ...
