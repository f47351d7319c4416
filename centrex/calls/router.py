"""The per-tenant router: a pure function from (tenant plan, caller, dialled string, time) to a
destination.

Theory of operation
-------------------
The B2BUA asks one question per new call: *where does this go?* The answer depends only on data
(the tenant's numbering plan, its DIDs, the provider's outbound routes and trunks) and on the
request, so it is computed here without I/O: the call layer builds a `TenantPlan` snapshot from the
database and calls `route()`. Order of decisions:

1. A call from a trunk is inbound: the dialled string is a DID of the tenant → its destination.
2. Emergency numbers of the tenant's country always route out, whatever the tenant's status
   (a suspended customer must still reach 112).
3. A tenant that is not active or on trial may call nothing else (403).
4. Feature codes (`*43` echo test...) → an application; numbers and prefixes a call feature
   claims (a ring group's `600`, park `700`, directed pickup `**102`…) → that feature
   (`ToFeature`), exact numbers before prefixes, the longest prefix first.
5. A string of the tenant's extension length → that extension (404 when it does not exist).
6. Anything else is outbound: normalised to E.164 for the tenant's country with `phonenumbers`,
   matched against outbound routes by longest prefix; the route's trunks are tried in order
   (the B2BUA fails over per `should_fail_over`). The caller ID is the extension's chosen number,
   else the tenant's main number, and never a number the tenant does not own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers

# Emergency and urgent short numbers per country (ISO 3166). They are dialled as-is on the trunk.
EMERGENCY_NUMBERS: Mapping[str, frozenset[str]] = {
    "CH": frozenset({"112", "117", "118", "144", "143", "147", "145", "1414", "1415"}),
    "FR": frozenset({"112", "15", "17", "18", "114", "115", "119", "191", "196", "197"}),
    "DE": frozenset({"110", "112", "116117"}),
    "IT": frozenset({"112", "113", "115", "118", "1530", "1515"}),
    "AT": frozenset({"112", "122", "133", "144", "140", "141"}),
    "BE": frozenset({"112", "100", "101"}),
    "LU": frozenset({"112", "113"}),
    "GB": frozenset({"112", "999"}),
    "US": frozenset({"911"}),
}
EU_DEFAULT_EMERGENCY = frozenset({"112"})

CALLING_STATUSES = frozenset({"active", "trial"})
FAIL_OVER_STATUSES = frozenset({408, 480, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class TrunkRef:
    """A trunk as the router sees it."""

    id: int
    name: str
    priority: int = 1
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class OutboundRoutePlan:
    """Prefix of E.164 digits (no '+'; '' matches all) → trunks in failover order."""

    prefix: str
    trunks: tuple[TrunkRef, ...]


@dataclass(frozen=True, slots=True)
class TenantPlan:
    """A snapshot of what routing needs to know about one tenant."""

    tenant_id: int
    domain: str
    country: str
    extension_digits: int
    status: str
    extensions: frozenset[str]
    numbers: frozenset[str] = frozenset()
    dids: Mapping[str, str] = field(default_factory=dict)  # E.164 → extension or group number
    caller_ids: Mapping[str, str] = field(default_factory=dict)  # extension → chosen E.164
    # the tenant's caller ID per route: (E.164 prefix without '+', number), longest first
    caller_id_rules: tuple[tuple[str, str], ...] = ()
    main_number: str | None = None
    feature_codes: Mapping[str, str] = field(default_factory=dict)  # "*43" → app name
    # extensions and DIDs pointed at an IVR call flow: the flow answers, not a phone
    flow_extensions: frozenset[str] = frozenset()
    flow_numbers: frozenset[str] = frozenset()
    # numbers and prefixes served by call features (calls/features): "600" → ("ring-group",
    # "600"); prefix "**" → "pickup" (the rest of the dialled string is the argument)
    feature_numbers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    feature_prefixes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallRequest:
    """The facts of a new call."""

    dialled: str
    caller: str
    now: datetime
    from_trunk: TrunkRef | None = None


@dataclass(frozen=True, slots=True)
class ToExtension:
    number: str


@dataclass(frozen=True, slots=True)
class ToApp:
    """Hand the call to an application; `argument` is what it is about (the extension or DID
    of an IVR flow), empty for feature codes (they concern the caller)."""

    app: str
    argument: str = ""


IVR_APP = "ivr"


@dataclass(frozen=True, slots=True)
class ToFeature:
    """Hand the call to a call feature (`calls/features`): a ring group, park, pickup…;
    `argument` is what it is about (the group's number, the rest of a prefixed code)."""

    feature: str
    argument: str = ""


@dataclass(frozen=True, slots=True)
class ToTrunks:
    """Leave through these trunks in order, dialling `number` with caller ID `caller_id`."""

    number: str
    trunks: tuple[TrunkRef, ...]
    caller_id: str | None
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse the call with this SIP status; `reason` goes into a Warning/Reason header."""

    status: int
    reason: str


Destination = ToExtension | ToApp | ToTrunks | ToFeature | Reject


def emergency_numbers(country: str) -> frozenset[str]:
    return EMERGENCY_NUMBERS.get(country.upper(), EU_DEFAULT_EMERGENCY)


def _dial_digits(dialled: str) -> str:
    """Strip visual separators a phone may send ("021 555-01 00", "(021)")."""
    return "".join(ch for ch in dialled if ch not in " -.()/\t")


def normalise_outbound(dialled: str, country: str) -> str | None:
    """E.164 for a dialled string in the tenant's country, or None when it is not a number."""
    text = _dial_digits(dialled)
    if not text or not all(ch.isdigit() for ch in text.removeprefix("+")):
        return None
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else country.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def choose_caller_id(plan: TenantPlan, caller: str, e164: str | None = None) -> str | None:
    """The tenant's number for this route (its longest rule matching `e164`), else the
    extension's chosen number, else the main number — only if the tenant owns it."""
    digits = e164.removeprefix("+") if e164 else None
    by_route = next(
        (number for prefix, number in plan.caller_id_rules
         if digits is not None and digits.startswith(prefix)),
        None,
    )  # fmt: skip
    for candidate in (by_route, plan.caller_ids.get(caller), plan.main_number):
        if candidate is not None and candidate in plan.numbers:
            return candidate
    return None


def select_trunks(
    e164: str, routes: Sequence[OutboundRoutePlan], trunks: Sequence[TrunkRef]
) -> tuple[TrunkRef, ...]:
    """Trunks of the longest matching route (enabled ones, in route order); without any
    matching route, every enabled trunk by priority."""
    digits = e164.removeprefix("+")
    best: OutboundRoutePlan | None = None
    for candidate in routes:
        if digits.startswith(candidate.prefix) and (
            best is None or len(candidate.prefix) > len(best.prefix)
        ):
            best = candidate
    if best is not None:
        return tuple(t for t in best.trunks if t.enabled)
    return tuple(sorted((t for t in trunks if t.enabled), key=lambda t: (t.priority, t.id)))


def should_fail_over(status: int | None) -> bool:
    """Try the next trunk after a timeout (None), 408, 480 or a 5xx from the carrier."""
    return status is None or status in FAIL_OVER_STATUSES or 500 <= status < 600


def route(
    plan: TenantPlan,
    call: CallRequest,
    routes: Sequence[OutboundRoutePlan] = (),
    trunks: Sequence[TrunkRef] = (),
) -> Destination:
    """Decide where `call` goes. Pure: same inputs, same answer."""
    dialled = _dial_digits(call.dialled)
    if call.from_trunk is not None:
        did = normalise_outbound(dialled, plan.country) or dialled
        target = plan.dids.get(did)
        if target is None and did not in plan.flow_numbers:
            return Reject(404, f"number {dialled} is not in service")
        if plan.status not in CALLING_STATUSES:
            return Reject(480, "tenant suspended")
        if did in plan.flow_numbers:
            return ToApp(IVR_APP, did)
        if target is not None and target not in plan.extensions:
            group = plan.feature_numbers.get(target)  # a DID routed to a ring group
            if group is not None:
                return ToFeature(*group)
        return _to_extension(plan, target or "")

    if dialled in emergency_numbers(plan.country):
        return ToTrunks(
            number=dialled,
            trunks=_emergency_trunks(routes, trunks),
            caller_id=choose_caller_id(plan, call.caller),
            emergency=True,
        )
    if plan.status not in CALLING_STATUSES:
        return Reject(403, f"tenant {plan.status}: only emergency calls are allowed")
    if dialled in plan.feature_codes:
        return ToApp(plan.feature_codes[dialled])
    is_extension = dialled.isdigit() and len(dialled) == plan.extension_digits
    if is_extension and dialled in plan.extensions:
        return _to_extension(plan, dialled)
    feature = feature_for(plan, dialled)
    if feature is not None:
        return feature
    if is_extension:
        return Reject(404, f"extension {dialled} does not exist")
    e164 = normalise_outbound(dialled, plan.country)
    if e164 is None:
        return Reject(484, f"{call.dialled!r} is not a dialable number")
    if e164 in plan.flow_numbers:  # one of our own numbers: stay inside
        return ToApp(IVR_APP, e164)
    if e164 in plan.dids:
        return _to_extension(plan, plan.dids[e164])
    chosen = select_trunks(e164, routes, trunks)
    if not chosen:
        return Reject(503, "no trunk available for this destination")
    return ToTrunks(number=e164, trunks=chosen,
                    caller_id=choose_caller_id(plan, call.caller, e164))  # fmt: skip


def feature_for(plan: TenantPlan, dialled: str) -> ToFeature | None:
    """The feature serving `dialled`: an exact number first, then the longest prefix (with a
    non-empty rest: `**` alone is no directed pickup)."""
    exact = plan.feature_numbers.get(dialled)
    if exact is not None:
        return ToFeature(*exact)
    best = max(
        (p for p in plan.feature_prefixes if dialled.startswith(p) and len(dialled) > len(p)),
        key=len,
        default=None,
    )
    if best is None:
        return None
    return ToFeature(plan.feature_prefixes[best], dialled[len(best) :])


def _to_extension(plan: TenantPlan, number: str) -> ToExtension | ToApp | ToFeature:
    """An extension pointed at a call flow runs the flow; a number a feature serves (a DID
    assigned to a ring group) goes to the feature; any other rings its phones."""
    if number in plan.flow_extensions:
        return ToApp(IVR_APP, number)
    if number not in plan.extensions and number in plan.feature_numbers:
        return ToFeature(*plan.feature_numbers[number])
    return ToExtension(number)


def _emergency_trunks(
    routes: Sequence[OutboundRoutePlan], trunks: Sequence[TrunkRef]
) -> tuple[TrunkRef, ...]:
    """Every enabled trunk, route order first: an emergency call must get out somehow."""
    ordered: list[TrunkRef] = []
    for candidate in sorted(routes, key=lambda r: len(r.prefix)):
        ordered.extend(t for t in candidate.trunks if t.enabled and t not in ordered)
    ordered.extend(
        t
        for t in sorted(trunks, key=lambda t: (t.priority, t.id))
        if t.enabled and t not in ordered
    )
    return tuple(ordered)
