"""Contract clauses as pure functions: SLA credits, contract periods and notice, termination fee.

SLA tiers (restoration time = confirmed restoration minus notification, per incident):

    under 4 h          -> 0 %
    4 h to under 12 h  -> 5 %     (exactly 4 h is 5 %: "under 4 h" excludes 4 h itself)
    12 h to 24 h       -> 10 %    (exactly 12 h and exactly 24 h are both 10 %)
    over 24 h          -> 20 %    (the contract says "over", so strictly more than 24 h)

Percentages apply to the monthly fee of the failed service; the sum over the period is capped at
20 % of that fee. Excusable incidents (planned maintenance, the customer's own equipment) give no
credit. Whether the clock runs only during support hours is a contract setting (`SlaTerms`): when
it does, an outage from Friday 17:00 to Monday 10:00 counts 2 h, not 65 h.

Contract periods: an initial period (12 months), then tacit renewals (12 months each) unless
notice (3 months) was given before the period ends. Early termination costs the remaining months
of the current period x 95 % of the monthly fees of the ended services, plus an optional fixed
amount from the order form. A started month counts as a remaining month (the customer has not
paid the rest of it; invoices pro-rate the subscription only up to the termination date).
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from centrex.billing.money import ZERO, round_cents

SLA_CAP_PERCENT = Decimal(20)
TERMINATION_SHARE = Decimal("0.95")
_HOUR = Decimal(3600)

# (upper bound in hours, inclusive?, percent): first row that matches wins; see module docstring.
SLA_TIERS: tuple[tuple[Decimal, bool, Decimal], ...] = (
    (Decimal(4), False, Decimal(0)),
    (Decimal(12), False, Decimal(5)),
    (Decimal(24), True, Decimal(10)),
)
SLA_TOP_PERCENT = Decimal(20)


def sla_percent(restoration_hours: Decimal) -> Decimal:
    """Credit percentage for one incident of `restoration_hours` (tiers in module docstring)."""
    if restoration_hours < 0:
        raise ValueError("restoration time cannot be negative")
    for bound, inclusive, percent in SLA_TIERS:
        if restoration_hours < bound or (inclusive and restoration_hours == bound):
            return percent
    return SLA_TOP_PERCENT


@dataclass(frozen=True, slots=True)
class SlaCredit:
    """Credit for one service over one period; `credit` is positive (the invoice negates it)."""

    credit: Decimal
    capped: bool
    percent: Decimal
    uncapped_percent: Decimal
    incident_percents: tuple[Decimal, ...]


def sla_credit(
    monthly_fee: Decimal,
    restoration_hours: Sequence[Decimal],
    cap_percent: Decimal = SLA_CAP_PERCENT,
) -> SlaCredit:
    """Credit for the incidents of one service in one period (fee 100, 11 h -> 5.00)."""
    percents = tuple(sla_percent(Decimal(h)) for h in restoration_hours)
    total = sum(percents, ZERO)
    applied = min(total, cap_percent)
    return SlaCredit(
        credit=round_cents(monthly_fee * applied / 100),
        capped=total > cap_percent,
        percent=applied,
        uncapped_percent=total,
        incident_percents=percents,
    )


class Excuse(enum.Enum):
    """Why an incident gives no credit (contract: excusable events)."""

    PLANNED_MAINTENANCE = "planned_maintenance"
    CUSTOMER_EQUIPMENT = "customer_equipment"


@dataclass(frozen=True, slots=True)
class Incident:
    """An outage of one service: from notification to confirmed restoration (aware datetimes)."""

    service: str
    notified_at: datetime
    restored_at: datetime
    excuse: Excuse | None = None

    def __post_init__(self) -> None:
        if self.notified_at.tzinfo is None or self.restored_at.tzinfo is None:
            raise ValueError("incident times must be timezone-aware")
        if self.restored_at < self.notified_at:
            raise ValueError("restoration precedes notification")


@dataclass(frozen=True, slots=True)
class SupportHours:
    """Support window: weekdays (0 = Monday) from `opens` to `closes` local time in `tz`."""

    weekdays: frozenset[int] = frozenset(range(5))
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    tz: str = "Europe/Zurich"
    holidays: frozenset[date] = frozenset()

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Support-hours seconds inside [start, end) (aware datetimes), DST-correct."""
        zone = ZoneInfo(self.tz)
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        total = 0
        day = local_start.date()
        while day <= local_end.date():
            if day.weekday() in self.weekdays and day not in self.holidays:
                window_start = datetime.combine(day, self.opens, zone)
                window_end = datetime.combine(day, self.closes, zone)
                lo, hi = max(window_start, local_start), min(window_end, local_end)
                if hi > lo:
                    # subtract in UTC so a DST change inside the window is counted correctly
                    total += int((hi.astimezone(UTC) - lo.astimezone(UTC)).total_seconds())
            day += timedelta(days=1)
        return total


@dataclass(frozen=True, slots=True)
class SlaTerms:
    """The SLA part of a contract: does the clock count only support hours, and the cap."""

    support_hours_only: bool = False
    support_hours: SupportHours = field(default_factory=SupportHours)
    cap_percent: Decimal = SLA_CAP_PERCENT


def restoration_hours(incident: Incident, terms: SlaTerms) -> Decimal:
    """Counted restoration time of one incident, in hours (exact Decimal)."""
    if terms.support_hours_only:
        seconds = terms.support_hours.seconds_between(incident.notified_at, incident.restored_at)
    else:
        seconds = int((incident.restored_at - incident.notified_at).total_seconds())
    return Decimal(seconds) / _HOUR


def service_sla_credit(
    monthly_fee: Decimal, incidents: Iterable[Incident], terms: SlaTerms
) -> SlaCredit:
    """Credit for one service from its incidents of the period, skipping excusable ones."""
    hours = [restoration_hours(i, terms) for i in incidents if i.excuse is None]
    return sla_credit(monthly_fee, hours, terms.cap_percent)


def termination_fee(monthly_fee: Decimal, months_left: int, fixed: Decimal = ZERO) -> Decimal:
    """Early-termination fee: months left x 95 % x monthly fees + fixed (180, 7 -> 1197.00)."""
    if months_left < 0:
        raise ValueError("months_left must not be negative")
    return round_cents(monthly_fee * months_left * TERMINATION_SHARE + fixed)


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months, clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _months_between(start: date, end: date) -> int:
    """Started months from `start` to `end` (end exclusive): a partial month counts as one."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months + (1 if add_months(start, months) < end else 0)


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """Contract duration clauses. Periods are [start, end) half-open; `*_end` returns last days."""

    start: date
    initial_months: int = 12
    renewal_months: int = 12
    notice_months: int = 3

    def _period(self, on: date) -> tuple[date, date]:
        """[start, end) of the period containing `on` (the initial one if `on` is before start)."""
        end = add_months(self.start, self.initial_months)
        begin = self.start
        renewals = 0
        while on >= end:
            renewals += 1
            begin = end
            end = add_months(self.start, self.initial_months + renewals * self.renewal_months)
        return begin, end

    def period_end(self, on: date) -> date:
        """Last day of the contract period that contains `on`."""
        return self._period(on)[1] - timedelta(days=1)

    def notice_deadline(self, on: date) -> date:
        """Last day notice can be given to end the contract with the period containing `on`."""
        end = self._period(on)[1]
        return add_months(end, -self.notice_months) - timedelta(days=1)

    def effective_end(self, notice_given: date) -> date:
        """Last day of the contract when notice is given on `notice_given`.

        Notice in time ends the contract with the current period; late notice lets the tacit
        renewal happen and ends it with the next period.
        """
        if notice_given <= self.notice_deadline(notice_given):
            return self.period_end(notice_given)
        next_start = self._period(notice_given)[1]
        return self.period_end(next_start)

    def months_left(self, terminated_on: date) -> int:
        """Months of the current period not yet run when the contract ends early on that day."""
        end = self._period(terminated_on)[1]
        return _months_between(terminated_on, end)

    def early_termination_fee(
        self, monthly_fees: Decimal, terminated_on: date, fixed: Decimal = ZERO
    ) -> Decimal:
        """Fee for ending the services worth `monthly_fees` per month early on `terminated_on`."""
        return termination_fee(monthly_fees, self.months_left(terminated_on), fixed)
