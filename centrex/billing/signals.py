"""Fair-use detection signals: evidence for an operator, never an automatic verdict.

The contract forbids using an unlimited bundle for a PBX/gateway (one line carrying many users'
calls) or a call center/telemarketing (many short calls to many numbers). Each shows in CDRs:

* distinct called numbers per user and month (telemarketing dials lists; the limit is 150);
* peak calls started in one clock hour (a human rarely starts more than ~30-60 calls an hour);
* share of short answered calls, under 10 s (predictive dialers and robocalls hang up fast);
* maximum concurrent calls on one line (a single user's line carrying 2+ calls at once is a
  gateway).

`fair_use_report` computes them per user and lists which thresholds are exceeded. Flagging the
tenant (which triggers the 400 % penalty in `usage.py`) stays a human decision: false positives
(an assistant calling back a whole customer list after an outage) are real.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from centrex.billing.rating import Cdr

SHORT_CALL_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where a signal becomes worth an operator's look."""

    distinct_numbers: int = 150
    calls_per_hour: int = 60
    short_call_share: Decimal = Decimal("0.5")
    concurrent_calls: int = 2
    min_calls_for_share: int = 20  # a share over 3 calls means nothing


@dataclass(frozen=True, slots=True)
class UserSignals:
    """The signals of one user (line) over the analysed period."""

    user: str
    calls: int
    distinct_numbers: int
    peak_calls_per_hour: int
    short_call_share: Decimal
    max_concurrent_calls: int
    reasons: tuple[str, ...]

    @property
    def suspicious(self) -> bool:
        """True when at least one threshold is exceeded."""
        return bool(self.reasons)


def _max_concurrent(calls: list[Cdr]) -> int:
    """Sweep over [start, start + billable) intervals; an end and a start at the same instant do
    not overlap (a transfer that hands over the line is one call at a time)."""
    events: list[tuple[datetime, int]] = []
    for c in calls:
        if c.answered and c.billable_seconds > 0:
            events.append((c.start, 1))
            events.append((c.start + timedelta(seconds=c.billable_seconds), -1))
    events.sort(key=lambda e: (e[0], e[1]))
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def user_signals(user: str, calls: list[Cdr], thresholds: Thresholds) -> UserSignals:
    """Signals of one user's outbound calls."""
    outbound = [c for c in calls if c.outbound]
    answered = [c for c in outbound if c.answered]
    distinct = len({c.called for c in outbound})
    per_hour = Counter(c.start.replace(minute=0, second=0, microsecond=0) for c in outbound)
    peak = max(per_hour.values(), default=0)
    short = sum(1 for c in answered if c.billable_seconds < SHORT_CALL_SECONDS)
    share = Decimal(short) / Decimal(len(answered)) if answered else Decimal(0)
    concurrent = _max_concurrent(outbound)
    reasons: list[str] = []
    if distinct > thresholds.distinct_numbers:
        reasons.append(f"{distinct} distinct numbers (limit {thresholds.distinct_numbers})")
    if peak > thresholds.calls_per_hour:
        reasons.append(f"{peak} calls in one hour (threshold {thresholds.calls_per_hour})")
    if len(answered) >= thresholds.min_calls_for_share and share > thresholds.short_call_share:
        reasons.append(f"{share:.0%} of answered calls shorter than {SHORT_CALL_SECONDS} s")
    if concurrent >= thresholds.concurrent_calls:
        reasons.append(f"{concurrent} concurrent calls on one line")
    return UserSignals(
        user,
        len(outbound),
        distinct,
        peak,
        share.quantize(Decimal("0.0001")),
        concurrent,
        tuple(reasons),
    )


def fair_use_report(
    cdrs: Iterable[Cdr], thresholds: Thresholds | None = None
) -> tuple[UserSignals, ...]:
    """Signals for every user, most suspicious first (most reasons, then most numbers)."""
    limits = thresholds or Thresholds()
    by_user: dict[str, list[Cdr]] = defaultdict(list)
    for cdr in cdrs:
        by_user[cdr.user].append(cdr)
    report = [user_signals(user, calls, limits) for user, calls in by_user.items()]
    report.sort(key=lambda s: (-len(s.reasons), -s.distinct_numbers, s.user))
    return tuple(report)
