"""The pure router: each rule of the Calls issue with worked examples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.calls.router import (
    CallRequest,
    OutboundRoutePlan,
    Reject,
    TenantPlan,
    ToApp,
    ToExtension,
    ToTrunks,
    TrunkRef,
    choose_caller_id,
    normalise_outbound,
    route,
    should_fail_over,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PRIMARY = TrunkRef(1, "primary", priority=1)
BACKUP = TrunkRef(2, "backup", priority=2)
DISABLED = TrunkRef(3, "disabled", priority=0, enabled=False)
TRUNKS = (BACKUP, PRIMARY, DISABLED)


def plan(**overrides: object) -> TenantPlan:
    values: dict[str, object] = {
        "tenant_id": 1,
        "domain": "acme.example.com",
        "country": "CH",
        "extension_digits": 3,
        "status": "active",
        "extensions": frozenset({"101", "102"}),
        "numbers": frozenset({"+41215550100", "+41215550101"}),
        "dids": {"+41215550100": "101", "+41215550101": "102"},
        "caller_ids": {"102": "+41215550101", "101": "+41999999999"},
        "main_number": "+41215550100",
        "feature_codes": {"*43": "echo"},
    }
    values.update(overrides)
    return TenantPlan(**values)  # type: ignore[arg-type]


def call(dialled: str, caller: str = "101", trunk: TrunkRef | None = None) -> CallRequest:
    return CallRequest(dialled=dialled, caller=caller, now=NOW, from_trunk=trunk)


def test_internal_extension() -> None:
    assert route(plan(), call("102")) == ToExtension("102")
    assert route(plan(), call("109")) == Reject(404, "extension 109 does not exist")


def test_feature_code() -> None:
    assert route(plan(), call("*43")) == ToApp("echo")


def test_inbound_did_from_trunk() -> None:
    assert route(plan(), call("+41215550101", caller="+33612345678", trunk=PRIMARY)) == (
        ToExtension("102")
    )
    assert route(plan(), call("0215550100", caller="x", trunk=PRIMARY)) == ToExtension("101")
    rejected = route(plan(), call("+41215550199", trunk=PRIMARY))
    assert isinstance(rejected, Reject)
    assert rejected.status == 404


def test_outbound_normalised_and_routed_by_priority() -> None:
    result = route(plan(), call("0041 44 668 18 00"), trunks=TRUNKS)
    assert result == ToTrunks("+41446681800", (PRIMARY, BACKUP), caller_id="+41215550100")


def test_outbound_longest_prefix_route() -> None:
    routes = (
        OutboundRoutePlan("", (PRIMARY, BACKUP)),
        OutboundRoutePlan("33", (BACKUP, PRIMARY)),
        OutboundRoutePlan("336", (BACKUP, DISABLED)),
    )
    to_france_mobile = route(plan(), call("+33612345678", caller="102"), routes, TRUNKS)
    assert to_france_mobile == ToTrunks("+33612345678", (BACKUP,), caller_id="+41215550101")
    to_france_fixed = route(plan(), call("+33140000000"), routes, TRUNKS)
    assert isinstance(to_france_fixed, ToTrunks)
    assert to_france_fixed.trunks == (BACKUP, PRIMARY)


def test_own_did_dialled_stays_inside() -> None:
    assert route(plan(), call("021 555 01 01"), trunks=TRUNKS) == ToExtension("102")


def test_no_trunk_and_bad_number() -> None:
    assert route(plan(), call("+33612345678")) == Reject(
        503, "no trunk available for this destination"
    )
    bad = route(plan(), call("12ab"), trunks=TRUNKS)
    assert isinstance(bad, Reject)
    assert bad.status == 484


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("CH", "112"),
        ("CH", "117"),
        ("CH", "118"),
        ("CH", "144"),
        ("FR", "112"),
        ("FR", "15"),
        ("FR", "17"),
        ("FR", "18"),
        ("DE", "110"),
        ("DE", "112"),
        ("IT", "112"),
        ("IT", "113"),
        ("IT", "115"),
    ],
)
def test_emergency_routes_out_even_when_suspended(country: str, number: str) -> None:
    suspended = plan(country=country, status="suspended", extension_digits=3)
    result = route(suspended, call(number), trunks=TRUNKS)
    assert isinstance(result, ToTrunks)
    assert result.emergency is True
    assert result.number == number
    assert result.trunks == (PRIMARY, BACKUP)


def test_suspended_tenant_cannot_call_anything_else() -> None:
    suspended = plan(status="suspended")
    for dialled in ("102", "+41446681800", "*43"):
        result = route(suspended, call(dialled), trunks=TRUNKS)
        assert isinstance(result, Reject)
        assert result.status == 403


def test_caller_id_never_a_foreign_number() -> None:
    # 101 chose a number it does not own: fall back to the main number
    assert choose_caller_id(plan(), "101") == "+41215550100"
    assert choose_caller_id(plan(main_number="+41000000000"), "101") is None
    assert choose_caller_id(plan(), "102") == "+41215550101"


def test_fail_over_statuses() -> None:
    assert should_fail_over(None)
    assert should_fail_over(503)
    assert should_fail_over(408)
    assert should_fail_over(500)
    assert not should_fail_over(486)
    assert not should_fail_over(404)


@given(st.text(max_size=40))
def test_router_never_raises(dialled: str) -> None:
    result = route(plan(), call(dialled), trunks=TRUNKS)
    assert isinstance(result, ToExtension | ToApp | ToTrunks | Reject)
    if isinstance(result, ToTrunks) and not result.emergency:
        assert result.number == normalise_outbound(dialled, "CH")


def test_extension_and_did_bound_to_a_flow_run_the_ivr() -> None:
    flows = plan(
        numbers=frozenset({"+41215550100", "+41215550101", "+41215550199"}),
        flow_extensions=frozenset({"102"}),
        flow_numbers=frozenset({"+41215550199"}),
    )
    assert route(flows, call("102")) == ToApp("ivr", "102")
    assert route(flows, call("101")) == ToExtension("101")
    # a DID assigned to a flow-bound extension, and a DID bound to a flow directly
    assert route(flows, call("+41215550101", trunk=PRIMARY)) == ToApp("ivr", "102")
    assert route(flows, call("0215550199", trunk=PRIMARY)) == ToApp("ivr", "+41215550199")
    # dialled from inside, the tenant's own flow number stays inside
    assert route(flows, call("0215550199")) == ToApp("ivr", "+41215550199")
    # not in service, and suspended, as for any DID
    assert route(flows, call("+41215550198", trunk=PRIMARY)).status == 404  # type: ignore[union-attr]
    suspended = plan(status="suspended", flow_numbers=frozenset({"+41215550199"}))
    assert route(suspended, call("+41215550199", trunk=PRIMARY)) == Reject(480, "tenant suspended")
