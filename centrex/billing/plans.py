"""Plans per tenant: fees, destination groups, per-minute usage rates and unlimited bundles.

A plan says what a tenant pays every month (a base fee that includes some seats, plus a fee per
extra seat), what a minute costs per destination group, and which groups are in an unlimited
bundle (subject to fair use, see `usage.py`).

Destination groups are matched in the plan's order, first match wins. A group is defined either
by digit prefixes (France: fixed +331..+335 and +339, mobile +336 and +337, as the offer states
them) or by countries and line kinds as the `phonenumbers` metadata classifies them (the fixed
lines of the international destinations, where per-country prefix lists would rot).

Line kinds from `phonenumbers.number_type`:

* FIXED_LINE -> fixed; MOBILE -> mobile;
* FIXED_LINE_OR_MOBILE -> **fixed**. The metadata cannot tell fixed from mobile in these
  numbering plans (all NANP numbers: USA, Canada; parts of Chile, Denmark...), and the offer
  names USA and Canada as fixed destinations, so counting them as fixed is the only reading under
  which those destinations are in the bundle at all;
* toll-free, premium, shared-cost, VoIP, personal, pager, UAN, voicemail -> special: special
  numbers are excluded from the per-minute usage prices and from bundles (priced by the retail
  deck, if any);
* anything else (invalid, unknown) -> unknown.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from centrex.billing.decks import PER_SECOND, Increment, Rate
from centrex.billing.money import ZERO


class LineKind(enum.Enum):
    """What kind of line a number reaches, for destination groups."""

    FIXED = "fixed"
    MOBILE = "mobile"
    SPECIAL = "special"
    UNKNOWN = "unknown"


_KIND_OF_TYPE = {
    PhoneNumberType.FIXED_LINE: LineKind.FIXED,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: LineKind.FIXED,  # see module docstring
    PhoneNumberType.MOBILE: LineKind.MOBILE,
    PhoneNumberType.TOLL_FREE: LineKind.SPECIAL,
    PhoneNumberType.PREMIUM_RATE: LineKind.SPECIAL,
    PhoneNumberType.SHARED_COST: LineKind.SPECIAL,
    PhoneNumberType.VOIP: LineKind.SPECIAL,
    PhoneNumberType.PERSONAL_NUMBER: LineKind.SPECIAL,
    PhoneNumberType.PAGER: LineKind.SPECIAL,
    PhoneNumberType.UAN: LineKind.SPECIAL,
    PhoneNumberType.VOICEMAIL: LineKind.SPECIAL,
}


@dataclass(frozen=True, slots=True)
class Destination:
    """Country (ISO 3166 alpha-2, None if unknown) and line kind of a dialled number."""

    region: str | None
    kind: LineKind


@lru_cache(maxsize=65536)
def classify(number_e164: str) -> Destination:
    """Classify an E.164 number with the phonenumbers metadata (cached: numbers repeat a lot)."""
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException:
        return Destination(None, LineKind.UNKNOWN)
    region = phonenumbers.region_code_for_number(parsed)
    kind = _KIND_OF_TYPE.get(phonenumbers.number_type(parsed), LineKind.UNKNOWN)
    return Destination(region, kind)


@dataclass(frozen=True, slots=True)
class DestinationGroup:
    """A named set of destinations: by digit prefixes, or by (countries x line kinds)."""

    name: str
    label: str
    prefixes: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    kinds: frozenset[LineKind] = frozenset()

    def __post_init__(self) -> None:
        if bool(self.prefixes) == bool(self.regions):
            raise ValueError(f"group {self.name!r}: give either prefixes or regions, not both")
        if self.regions and not self.kinds:
            raise ValueError(f"group {self.name!r}: regions need line kinds")

    def matches(self, number_e164: str) -> bool:
        """True if the number belongs to this group."""
        if self.prefixes:
            digits = number_e164.removeprefix("+")
            return any(digits.startswith(p) for p in self.prefixes)
        dest = classify(number_e164)
        return dest.region in self.regions and dest.kind in self.kinds


# The offer announces "40 international destinations" but names these 44 countries (ISO codes
# in the offer's order). We implement the 44 named ones: a customer reads the list, not the
# count, and billing a named country out of bundle would be a dispute we would lose.
_INTERNATIONAL_FIXED = """
    DE AD AR AU AT BE BR BG CA CL CN CY KR HR DK ES EE US FI GR HK HU IE IS IL IT JP MY MT MC NZ
    PA NL PE PL PT CZ GB SG SK SI SE CH TW
"""
INTERNATIONAL_FIXED_REGIONS = frozenset(_INTERNATIONAL_FIXED.split())

FR_FIXED = DestinationGroup(
    "fr_fixed", "France fixed", prefixes=frozenset({"331", "332", "333", "334", "335", "339"})
)
FR_MOBILE = DestinationGroup("fr_mobile", "France mobile", prefixes=frozenset({"336", "337"}))
INTL_FIXED = DestinationGroup(
    "intl_fixed",
    "International fixed",
    regions=INTERNATIONAL_FIXED_REGIONS,
    kinds=frozenset({LineKind.FIXED}),
)


@dataclass(frozen=True, slots=True)
class UsageRate:
    """Per-minute price of a destination group in a plan."""

    group: str
    price_per_minute: Decimal
    increment: Increment = PER_SECOND
    connection_fee: Decimal = ZERO

    def as_rate(self, currency: str) -> Rate:
        """The same price as a deck `Rate`, so plan usage goes through `rating.charge`."""
        return Rate(
            self.group,
            self.group,
            self.price_per_minute,
            self.connection_fee,
            self.increment,
            currency,
        )


@dataclass(frozen=True, slots=True)
class Bundle:
    """Unlimited calls to some destination groups, within the fair-use limit per user/month."""

    name: str
    groups: frozenset[str]
    fair_use_distinct_numbers: int = 150


@dataclass(frozen=True, slots=True)
class Plan:
    """A tenant's commercial plan (immutable; a price change is a new plan version).

    Seats: `included_agents` and `included_admins` are counted separately (an unused admin seat
    does not cover an extra agent); every seat beyond them costs `extra_seat_fee` a month.
    """

    name: str
    currency: str
    base_monthly_fee: Decimal
    initial_fee: Decimal = ZERO
    included_agents: int = 0
    included_admins: int = 0
    extra_seat_fee: Decimal = ZERO
    groups: tuple[DestinationGroup, ...] = ()
    usage_rates: tuple[UsageRate, ...] = ()
    bundles: tuple[Bundle, ...] = ()
    penalty_percent: Decimal = Decimal(400)
    _rates: dict[str, UsageRate] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rates = {r.group: r for r in self.usage_rates}
        names = {g.name for g in self.groups}
        if len(rates) != len(self.usage_rates) or len(names) != len(self.groups):
            raise ValueError(f"plan {self.name!r}: a group or usage rate is defined twice")
        if unknown := set(rates) - names:
            raise ValueError(f"plan {self.name!r}: usage rates for unknown groups {unknown}")
        for bundle in self.bundles:
            # a bundle group without a plan price is priced by the plan's retail deck (fair-use
            # overflow and penalties are rated at that normal price); it must be a plan group
            if unknown_bundled := bundle.groups - names:
                raise ValueError(f"bundle {bundle.name!r}: unknown groups {unknown_bundled}")
        object.__setattr__(self, "_rates", rates)

    def extra_seats(self, agents: int, admins: int) -> int:
        """Seats beyond those included, agents and admins counted separately."""
        return max(0, agents - self.included_agents) + max(0, admins - self.included_admins)

    def monthly_fee(self, agents: int, admins: int) -> Decimal:
        """Base fee plus extra seats: 3 agents + 2 admins on 180 (2+1 incl.) + 2 x 40 -> 260."""
        return self.base_monthly_fee + self.extra_seats(agents, admins) * self.extra_seat_fee

    def group_of(self, number_e164: str) -> DestinationGroup | None:
        """First group of the plan that contains the number (None: not a plan destination)."""
        for group in self.groups:
            if group.matches(number_e164):
                return group
        return None

    def usage_rate(self, group: str) -> UsageRate | None:
        """Per-minute price of a group, None if the group has no plan price (the retail deck
        prices it)."""
        return self._rates.get(group)

    def bundle_for(self, group: str) -> Bundle | None:
        """The bundle that makes this group unlimited, if any."""
        for bundle in self.bundles:
            if group in bundle.groups:
                return bundle
        return None


def france_unlimited_plan(
    *,
    name: str = "France unlimited",
    base_monthly_fee: Decimal = Decimal(180),
    extra_seat_fee: Decimal = Decimal(40),
    fixed_per_minute: Decimal = Decimal("0.01"),
    mobile_per_minute: Decimal = Decimal("0.08"),
    international_fixed_per_minute: Decimal | None = None,
    extra_groups: Iterable[DestinationGroup] = (),
) -> Plan:
    """The reference offer: 180 EUR/month incl. 2 agents + 1 admin, 40 EUR per extra seat,
    unlimited France fixed/mobile and international fixed (44 countries, see
    `INTERNATIONAL_FIXED_REGIONS`), 0.01 EUR/min fixed and 0.08 EUR/min mobile outside the
    bundle (fair-use overflow, penalties). International fixed defaults to the fixed price."""
    intl = (
        fixed_per_minute
        if international_fixed_per_minute is None
        else (international_fixed_per_minute)
    )
    return Plan(
        name=name,
        currency="EUR",
        base_monthly_fee=base_monthly_fee,
        included_agents=2,
        included_admins=1,
        extra_seat_fee=extra_seat_fee,
        groups=(FR_FIXED, FR_MOBILE, INTL_FIXED, *extra_groups),
        usage_rates=(
            UsageRate(FR_FIXED.name, fixed_per_minute),
            UsageRate(FR_MOBILE.name, mobile_per_minute),
            UsageRate(INTL_FIXED.name, intl),
        ),
        bundles=(Bundle("Unlimited", frozenset({FR_FIXED.name, FR_MOBILE.name, INTL_FIXED.name})),),
    )


def plan_warnings(plan: Plan, *, has_retail_deck: bool) -> list[str]:
    """What an operator must hear when creating `plan`: the chargeable calls it cannot price.

    A group without a plan price is priced by the retail deck; without a deck its calls (the
    bundle's overflow and penalties included) are left unrated, and so is every destination
    outside the plan's groups. Said at creation, so no one finds out from a free invoice."""
    if has_retail_deck:
        return []
    unpriced = [g.label for g in plan.groups if plan.usage_rate(g.name) is None]
    warnings = []
    if unpriced:
        warnings.append(
            f"no per-minute price and no retail deck for {', '.join(unpriced)}: "
            "those calls (beyond any bundle) will be left unrated"
        )
    warnings.append(
        "no retail deck: calls to destinations outside the plan's groups will be left unrated"
    )
    return warnings
