"""What the dialer keeps per campaign, agent and call (`dialer.py`'s plain records).

Apart from `dialer.py` only to keep that module about behaviour: a campaign's settings as a
tick reads them, an agent of the campaign, a lead being called, what an agent does for the
dialer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from centrex.calls.call import Call
from centrex.contact_center.dialer_callbacks import CallbackPick
from centrex.contact_center.hopper import ClaimedLead
from centrex.data.models import AgentMode, CampaignStatus

__all__ = ["Agent", "AgentUse", "CampaignConfig", "LiveLead"]


@dataclass(frozen=True, slots=True)
class CampaignConfig:
    """What a tick needs of the campaign row (read afresh every tick: changes apply live)."""

    id: int
    tenant_id: int
    name: str
    status: CampaignStatus
    method: str
    ratio: float
    drop_target: float
    max_attempts: int
    retry_delays: dict[str, int]
    amd: bool = False  # answering-machine detection before the hand-off

    @property
    def pacing(self) -> tuple[str, float, float]:
        return (self.method, self.ratio, self.drop_target)


@dataclass(frozen=True, slots=True)
class Agent:
    extension: str
    extension_id: int
    mode: AgentMode
    registered: bool


@dataclass(eq=False)
class LiveLead:
    """One lead being called by a runner."""

    lead: ClaimedLead
    placed_at: float
    started_at: datetime
    caller_id: str | None = None
    call: Call | None = None
    answered_at: float | None = None  # answered, waiting for an agent until connected/dropped
    connected: bool = False
    callback: CallbackPick | None = None  # a due callback: its reserved agent only


@dataclass(eq=False)
class AgentUse:
    """What the dialer has an agent doing: reserved (ringing), talking, wrapping up."""

    state: str  # reserved, talking, wrapping
    since: float
