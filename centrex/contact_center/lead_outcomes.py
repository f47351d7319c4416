"""What one dial attempt does to its lead: the outcome → lead-update table (pure).

Theory of operation. Every call the dialer places ends in exactly one `AttemptOutcome`; the
lead then moves by a literal table, not by scattered ifs:

==============  ===============================================================================
outcome         lead afterwards
==============  ===============================================================================
answered        ``done``: a person reached an agent (the agent's disposition comes later)
dropped         ``retry`` after the campaign's "dropped" delay (a person heard the safe-harbour
                message and no agent: the law lets us call again, not at once)
busy            ``retry`` after the "busy" delay
no-answer       ``retry`` after the "no-answer" delay
machine         ``retry`` after the "machine" delay
failed          ``retry`` after the "failed" delay (carrier refusal, no trunk, no codec)
==============  ===============================================================================

A ``retry`` whose attempts reached the campaign's `max_attempts` becomes ``exhausted`` instead
(never dialled again; ``done`` is kept for leads that reached a person). The delays are the
campaign's `retry_delays` over `DEFAULT_RETRY_DELAYS` (the campaign service's defaults).
No clock is read: `now` is an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from centrex.contact_center.campaigns import DEFAULT_RETRY_DELAYS
from centrex.data.models import LeadStatus


class AttemptOutcome(StrEnum):
    """How one placed call ended (the `lead_attempts.outcome` values the stats count)."""

    ANSWERED = "answered"
    DROPPED = "dropped"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    MACHINE = "machine"
    FAILED = "failed"


class Next(StrEnum):
    DONE = "done"
    RETRY = "retry"


# the table of the module docstring: outcome -> (what happens, which retry delay applies)
TABLE: dict[AttemptOutcome, tuple[Next, str | None]] = {
    AttemptOutcome.ANSWERED: (Next.DONE, None),
    AttemptOutcome.DROPPED: (Next.RETRY, "dropped"),
    AttemptOutcome.BUSY: (Next.RETRY, "busy"),
    AttemptOutcome.NO_ANSWER: (Next.RETRY, "no-answer"),
    AttemptOutcome.MACHINE: (Next.RETRY, "machine"),
    AttemptOutcome.FAILED: (Next.RETRY, "failed"),
}


@dataclass(frozen=True, slots=True)
class LeadUpdate:
    """The lead's new status, attempt count and next attempt time."""

    status: LeadStatus
    attempts: int
    next_attempt_at: datetime | None


def lead_update(
    outcome: AttemptOutcome,
    *,
    attempts_before: int,
    max_attempts: int,
    retry_delays: Mapping[str, int],
    now: datetime,
) -> LeadUpdate:
    """The lead after one more attempt ended in `outcome` (module docstring's table)."""
    attempts = attempts_before + 1
    action, delay_key = TABLE[outcome]
    if action is Next.DONE:
        return LeadUpdate(LeadStatus.DONE, attempts, None)
    if attempts >= max_attempts:
        return LeadUpdate(LeadStatus.EXHAUSTED, attempts, None)
    assert delay_key is not None
    seconds = int(retry_delays.get(delay_key, DEFAULT_RETRY_DELAYS[delay_key]))
    return LeadUpdate(LeadStatus.RETRY, attempts, now + timedelta(seconds=seconds))
