"""The outcome → lead-update table of the dialer (pure): every outcome, every attempt count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.contact_center.campaigns import DEFAULT_RETRY_DELAYS
from centrex.contact_center.lead_outcomes import TABLE, AttemptOutcome, LeadUpdate, lead_update
from centrex.data.models import LeadStatus

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
DELAYS = {"busy": 60, "no-answer": 120, "machine": 180, "dropped": 240, "failed": 300}


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (AttemptOutcome.ANSWERED, LeadUpdate(LeadStatus.DONE, 1, None)),
        (AttemptOutcome.DROPPED, LeadUpdate(LeadStatus.RETRY, 1, NOW + timedelta(seconds=240))),
        (AttemptOutcome.BUSY, LeadUpdate(LeadStatus.RETRY, 1, NOW + timedelta(seconds=60))),
        (AttemptOutcome.NO_ANSWER, LeadUpdate(LeadStatus.RETRY, 1, NOW + timedelta(seconds=120))),
        (AttemptOutcome.MACHINE, LeadUpdate(LeadStatus.RETRY, 1, NOW + timedelta(seconds=180))),
        (AttemptOutcome.FAILED, LeadUpdate(LeadStatus.RETRY, 1, NOW + timedelta(seconds=300))),
    ],
)
def test_first_attempt_of_three(outcome: AttemptOutcome, expected: LeadUpdate) -> None:
    got = lead_update(outcome, attempts_before=0, max_attempts=3, retry_delays=DELAYS, now=NOW)
    assert got == expected


def test_last_attempt_exhausts_unless_answered() -> None:
    for outcome in AttemptOutcome:
        got = lead_update(outcome, attempts_before=2, max_attempts=3, retry_delays=DELAYS,
                          now=NOW)  # fmt: skip
        want = LeadStatus.DONE if outcome is AttemptOutcome.ANSWERED else LeadStatus.EXHAUSTED
        assert (got.status, got.attempts, got.next_attempt_at) == (want, 3, None)


def test_missing_delay_uses_the_campaign_default() -> None:
    got = lead_update(AttemptOutcome.BUSY, attempts_before=0, max_attempts=5, retry_delays={},
                      now=NOW)  # fmt: skip
    assert got.next_attempt_at == NOW + timedelta(seconds=DEFAULT_RETRY_DELAYS["busy"])


def test_every_outcome_has_a_row() -> None:
    assert set(TABLE) == set(AttemptOutcome)


@given(
    outcome=st.sampled_from(list(AttemptOutcome)),
    before=st.integers(min_value=0, max_value=30),
    maximum=st.integers(min_value=1, max_value=20),
)
def test_sweep_never_retries_past_max_and_always_counts(
    outcome: AttemptOutcome, before: int, maximum: int
) -> None:
    got = lead_update(outcome, attempts_before=before, max_attempts=maximum,
                      retry_delays=DELAYS, now=NOW)  # fmt: skip
    assert got.attempts == before + 1
    if got.status is LeadStatus.RETRY:
        assert got.attempts < maximum
        assert got.next_attempt_at is not None
        assert got.next_attempt_at > NOW
    else:
        assert got.status in (LeadStatus.DONE, LeadStatus.EXHAUSTED)
        assert got.next_attempt_at is None
