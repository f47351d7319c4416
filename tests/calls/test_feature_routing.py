"""How call features plug into routing (calls/features, router.ToFeature, CallActions): numbers
and prefixes a feature contributes to a tenant's plan, destination handlers, extension-ring
hooks that handle a call or wrap its owner — pure router rules first, then through the B2BUA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.call import Call, SipSide
from centrex.calls.features import HANDLED, FeatureHooks, Handled, PlanPart
from centrex.calls.outbound import RingFailure, RingOwner
from centrex.calls.router import CallRequest, Reject, TenantPlan, ToExtension, ToFeature, route
from centrex.data.models import Tenant
from centrex.sip.message import Response
from tests.calls.harness import Harness, make_harness

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def plan(**overrides: object) -> TenantPlan:
    values: dict[str, object] = {
        "tenant_id": 1,
        "domain": "acme.example.com",
        "country": "CH",
        "extension_digits": 3,
        "status": "active",
        "extensions": frozenset({"101", "102"}),
        "numbers": frozenset({"+41215550100", "+41215550102"}),
        "dids": {"+41215550100": "101", "+41215550102": "600"},
        "feature_codes": {"*43": "echo"},
        "feature_numbers": {"600": ("ring-group", "600"), "700": ("park", "")},
        "feature_prefixes": {"**": "pickup", "*80": "intercom", "*8": "group-pickup"},
    }
    values.update(overrides)
    return TenantPlan(**values)  # type: ignore[arg-type]


def dial(dialled: str) -> CallRequest:
    return CallRequest(dialled=dialled, caller="101", now=NOW)


# ---- the pure router ---------------------------------------------------------------------------
def test_a_feature_number_of_extension_length_goes_to_the_feature() -> None:
    assert route(plan(), dial("600")) == ToFeature("ring-group", "600")
    assert route(plan(), dial("700")) == ToFeature("park", "")
    assert route(plan(), dial("609")) == Reject(404, "extension 609 does not exist")


def test_an_extension_wins_over_a_feature_claiming_its_number() -> None:
    p = plan(feature_numbers={"102": ("ring-group", "102")})
    assert route(p, dial("102")) == ToExtension("102")


def test_prefixes_longest_first_with_the_rest_as_argument() -> None:
    assert route(plan(), dial("**102")) == ToFeature("pickup", "102")
    assert route(plan(), dial("*80103")) == ToFeature("intercom", "103")
    assert route(plan(), dial("*8")) == Reject(484, "'*8' is not a dialable number")
    assert route(plan(), dial("*81")) == ToFeature("group-pickup", "1")
    # a prefix alone is no code: "**" with nothing after it
    assert not isinstance(route(plan(), dial("**")), ToFeature)


def test_app_feature_codes_come_before_feature_prefixes() -> None:
    p = plan(feature_prefixes={"*4": "something"})
    assert route(p, dial("*43")).__class__.__name__ == "ToApp"
    assert route(p, dial("*45")) == ToFeature("something", "5")


def test_a_did_assigned_to_a_feature_number_reaches_the_feature() -> None:
    from centrex.calls.router import TrunkRef

    inbound = CallRequest("+41215550102", "+41790000000", NOW, from_trunk=TrunkRef(1, "t"))
    assert route(plan(), inbound) == ToFeature("ring-group", "600")


# ---- through the B2BUA -------------------------------------------------------------------------
@dataclass
class Recorder:
    """A feature: serves 600 (rings 102 through the actions), `**` (records the argument and
    rejects), and refuses to ring 103 (a DND-like ring hook) while wrapping 102's owner."""

    name: str = "test-feature"
    served: list[tuple[str, str]] = field(default_factory=list)
    failures: list[RingFailure] = field(default_factory=list)
    hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self.hooks = hooks
        hooks.contribute(self.name, self._contribute)
        hooks.serve("test-group", self._group)
        hooks.serve("test-pickup", self._pickup)
        hooks.on_ring_extension(self.name, self._before_ring)

    async def _contribute(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart({"600": ("test-group", "600")}, {"**": "test-pickup"})

    async def _group(self, call: Call, argument: str) -> None:
        self.served.append(("group", argument))
        assert self.hooks is not None
        await self.hooks.actions.ring_extension(call, "102")

    async def _pickup(self, call: Call, argument: str) -> None:
        self.served.append(("pickup", argument))
        assert self.hooks is not None
        await self.hooks.actions.reject(call, 486, f"nothing ringing at {argument}")

    async def _before_ring(self, call: Call, number: str, owner: RingOwner) -> RingOwner | Handled:
        if number == "103":
            assert self.hooks is not None
            await self.hooks.actions.reject(call, 486, "do not disturb")
            return HANDLED
        return Watching(owner, self.failures)


@dataclass
class Watching:
    """Wraps a ring owner: records failures, then lets the original owner decide."""

    inner: RingOwner
    failures: list[RingFailure]

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.inner.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        self.failures.append(failure)
        await self.inner.failed(call, failure)


@pytest.fixture
def feature() -> Recorder:
    return Recorder()


@pytest.fixture
async def hf(sqlite_url: str, feature: Recorder) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, features=(feature,)) as harness:
        yield harness


async def test_a_contributed_number_reaches_its_feature_which_rings_through_actions(
    hf: Harness, feature: Recorder
) -> None:
    await hf.register("101", "102")
    outgoing, incoming = await hf.call("101", "600", callee="102")
    assert feature.served == [("group", "600")]
    assert outgoing.status == 200
    assert incoming.request.uri.user == "102"
    assert hf.live_calls() == 1


async def test_a_prefix_feature_gets_the_rest_and_may_reject(
    hf: Harness, feature: Recorder
) -> None:
    await hf.register("101")
    call = hf["101"].invite("**102")
    await hf.settle()
    assert feature.served == [("pickup", "102")]
    assert call.status == 486
    assert hf.live_calls() == 0


async def test_a_ring_hook_may_handle_the_call_before_any_phone_rings(
    hf: Harness, feature: Recorder
) -> None:
    await hf.register("101", "103")
    call = hf["101"].invite("103")
    await hf.settle()
    assert call.status == 486
    assert hf["103"].incoming == []  # never rung
    cdr = await hf.cdr(call.call_id)
    assert cdr.disposition.value == "busy"


async def test_a_ring_hook_may_wrap_the_owner_and_see_the_failure(
    hf: Harness, feature: Recorder
) -> None:
    await hf.register("101", "102")
    call = hf["101"].invite("102")
    await hf.settle()
    hf["102"].incoming[0].reject(486)
    await hf.settle()
    assert [f.status for f in feature.failures] == [486]
    assert call.status in (486, 200)  # the fake voicemail app answers a busy extension


async def test_an_unknown_feature_destination_is_501(sqlite_url: str) -> None:
    class Claims:
        name = "claims-only"

        def attach(self, hooks: FeatureHooks) -> None:
            async def part(_s: AsyncSession, _t: Tenant) -> PlanPart:
                return PlanPart({"650": ("nobody", "650")})

            hooks.contribute(self.name, part)

    async with make_harness(sqlite_url, features=(Claims(),)) as h:
        await h.register("101")
        call = h["101"].invite("650")
        await h.settle()
        assert call.status == 501


async def test_two_features_cannot_serve_one_destination() -> None:
    hooks = FeatureHooks()

    async def handler(_call: Call, _argument: str) -> None:
        return None

    hooks.serve("ring-group", handler)
    with pytest.raises(ValueError, match="ring-group"):
        hooks.serve("ring-group", handler)
