"""Rating a tenant's calls of a period against its plan: bundles, fair use and penalties.

Rules (contract of the billing issue):

* A call to a destination group of the plan is priced at the group's per-minute rate, unless a
  bundle makes the group unlimited.
* Fair use: a user may call at most `fair_use_distinct_numbers` (150) distinct numbers of bundle
  destinations per calendar month. Calls are taken in chronological order; the first 150
  distinct numbers stay in the bundle for the whole month (calling them again is free), every
  call to a 151st or later distinct number is rated at the normal per-minute price. Only calls
  to bundle destinations count towards the 150.
* A tenant flagged for forbidden use (PBX/gateway, call center/telemarketing) pays 400 % of the
  per-minute price of all its usage in the period and the bundle is ignored. Flagging is a human
  decision taken on the evidence of `signals.py`; here it is an input.
* A number in no plan group (special numbers, exotic destinations), or in a group the plan gives
  no price of its own, is priced by the retail deck when one is given (the group and its bundle
  still apply); otherwise the call is reported unrated rather than silently free.
* Inbound and unanswered calls cost nothing and do not count towards fair use.

The result is deterministic in its input (calls are sorted by start time, then call id), so
re-rating a period gives the same lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from centrex.billing.decks import RateDeck
from centrex.billing.money import ZERO
from centrex.billing.plans import Plan
from centrex.billing.rating import Cdr, billed_seconds, charge

OTHER_GROUP = "other"


@dataclass(frozen=True, slots=True)
class PlanRatedCall:
    """One call rated against a plan. `amount` is the normal price (before any penalty)."""

    call_id: str
    user: str
    called: str
    group: str | None
    billed_seconds: int
    amount: Decimal
    in_bundle: bool = False
    fair_use_exceeded: bool = False
    rated: bool = True


@dataclass(frozen=True, slots=True)
class GroupTotal:
    """Charged (non-bundle, not over fair use) usage of one destination group."""

    group: str
    label: str
    calls: int
    billed_seconds: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class UsageSummary:
    """A period's usage, ready to be turned into invoice lines."""

    calls: tuple[PlanRatedCall, ...]
    groups: tuple[GroupTotal, ...]
    bundle_calls: int
    bundle_seconds: int
    fair_use_calls: int
    fair_use_amount: Decimal
    flagged: bool
    penalty_amount: Decimal
    unrated_calls: int

    @property
    def usage_amount(self) -> Decimal:
        """Normal-price usage: group totals plus fair-use overflow (penalty excluded)."""
        return sum((g.amount for g in self.groups), ZERO) + self.fair_use_amount

    @property
    def total(self) -> Decimal:
        """Everything the usage costs, penalty included (400 % of usage when flagged)."""
        return self.usage_amount + self.penalty_amount


@dataclass(slots=True)
class _Accumulator:
    label: str
    calls: int = 0
    seconds: int = 0
    amount: Decimal = field(default=ZERO)


def _price(
    plan: Plan, cdr: Cdr, deck: RateDeck | None
) -> tuple[str | None, str, int, Decimal] | None:
    """(group name or None, label, billed seconds, normal amount); None when unpriceable."""
    group = plan.group_of(cdr.called)
    usage = plan.usage_rate(group.name) if group is not None else None
    if group is not None and usage is not None:
        rate = usage.as_rate(plan.currency)
        return (
            group.name,
            group.label,
            billed_seconds(cdr.billable_seconds, rate.increment),
            (charge(rate, cdr.billable_seconds)),
        )
    if deck is None:
        return None
    deck_rate = deck.lookup(cdr.called, cdr.start.date())
    if deck_rate is None:
        return None
    return (
        group.name if group is not None else None,
        group.label if group is not None else deck_rate.destination,
        billed_seconds(cdr.billable_seconds, deck_rate.increment),
        charge(deck_rate, cdr.billable_seconds),
    )


def rate_usage(
    plan: Plan,
    cdrs: Iterable[Cdr],
    *,
    flagged: bool = False,
    deck: RateDeck | None = None,
) -> UsageSummary:
    """Rate the calls of a period against `plan` (see module docstring for the rules)."""
    if deck is not None and deck.currency != plan.currency:
        raise ValueError(f"deck in {deck.currency} cannot price a plan in {plan.currency}")
    ordered = sorted(cdrs, key=lambda c: (c.start, c.call_id))
    allowed: dict[tuple[str, str, int, int], set[str]] = {}
    rated: list[PlanRatedCall] = []
    totals: dict[str, _Accumulator] = {}
    bundle_calls = bundle_seconds = fair_calls = unrated = 0
    fair_amount = ZERO
    for cdr in ordered:
        if not cdr.outbound or not cdr.answered:
            rated.append(PlanRatedCall(cdr.call_id, cdr.user, cdr.called, None, 0, ZERO))
            continue
        priced = _price(plan, cdr, deck)
        if priced is None:
            unrated += 1
            rated.append(
                PlanRatedCall(cdr.call_id, cdr.user, cdr.called, None, 0, ZERO, rated=False)
            )
            continue
        group, label, seconds, amount = priced
        bundle = plan.bundle_for(group) if group is not None and not flagged else None
        if bundle is not None:
            key = (cdr.user, bundle.name, cdr.start.year, cdr.start.month)
            numbers = allowed.setdefault(key, set())
            if cdr.called in numbers or len(numbers) < bundle.fair_use_distinct_numbers:
                numbers.add(cdr.called)
                bundle_calls += 1
                bundle_seconds += seconds
                rated.append(
                    PlanRatedCall(
                        cdr.call_id, cdr.user, cdr.called, group, seconds, ZERO, in_bundle=True
                    )
                )
                continue
            fair_calls += 1
            fair_amount += amount
            rated.append(
                PlanRatedCall(
                    cdr.call_id,
                    cdr.user,
                    cdr.called,
                    group,
                    seconds,
                    amount,
                    fair_use_exceeded=True,
                )
            )
            continue
        key_name = group or OTHER_GROUP
        acc = totals.setdefault(key_name, _Accumulator(label if group else "Other destinations"))
        acc.calls += 1
        acc.seconds += seconds
        acc.amount += amount
        rated.append(PlanRatedCall(cdr.call_id, cdr.user, cdr.called, group, seconds, amount))
    groups = tuple(
        GroupTotal(name, a.label, a.calls, a.seconds, a.amount) for name, a in totals.items()
    )
    usage = sum((g.amount for g in groups), ZERO) + fair_amount
    penalty = usage * (plan.penalty_percent - 100) / 100 if flagged else ZERO
    return UsageSummary(
        calls=tuple(rated),
        groups=groups,
        bundle_calls=bundle_calls,
        bundle_seconds=bundle_seconds,
        fair_use_calls=fair_calls,
        fair_use_amount=fair_amount,
        flagged=flagged,
        penalty_amount=penalty,
        unrated_calls=unrated,
    )
