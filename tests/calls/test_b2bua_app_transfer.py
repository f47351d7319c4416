"""An app that answered its caller hands the call on through `CallControl.transfer` (an IVR
flow's "transfer to 102", calls/transfer.py): the target is rung with the normal forking and
failover code while the caller hears ringback, and bridged on answer; when nobody takes it the
app learns why (busy, unavailable, failed) and keeps its caller; a caller who hangs up while
the target rings cancels it."""

from __future__ import annotations

from centrex.calls.app_host import AppContext, CallControl, TransferKind, TransferOutcome
from centrex.data.models import Direction, Disposition, HangupSide
from centrex.media.channel import Channel
from tests.calls.harness import OUTSIDE, OUTSIDE_E164, AppRun, FakeApps, make_harness


class TransferringApp(FakeApps):
    """An "echo" app that answers, transfers its caller to `target`, records the outcome and
    returns (ending its part of the call)."""

    def __init__(self, kind: TransferKind, target: str) -> None:
        super().__init__(("echo",))
        self.kind = kind
        self.target = target
        self.outcomes: list[TransferOutcome] = []

    async def run(
        self, app: str, channel: Channel, context: AppContext, control: CallControl | None = None
    ) -> None:
        self.runs.append(AppRun(app, context, channel, control))
        await channel.answer()
        assert control is not None
        # this task waits for the target, which the test drives: the tests settle `until`
        # the target rang or the outcome is known, never plainly while it rings
        self.outcomes.append(await control.transfer(self.kind, self.target))


async def test_transfer_to_an_extension_bridges_on_answer(sqlite_url: str) -> None:
    app = TransferringApp(TransferKind.EXTENSION, "102")
    async with make_harness(sqlite_url, apps=app) as h:
        await h.register("101", "102")
        call = h["101"].invite("*43")
        await h.settle(until=lambda: bool(h["102"].incoming))
        assert call.status == 200  # the app answered first
        target = h["102"].incoming[0]
        assert target.request.from_ is not None
        assert target.request.from_.uri.user == "101"
        target.ring()
        target.answer()
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes == [TransferOutcome.CONNECTED]
        assert call.statuses == [100, 200]  # answered by the app: no 180 is relayed (ringback)
        assert target.methods() == ["ACK"]
        assert call.methods() == []  # the app's end did not hang the caller up
        cdr = await h.cdr(call.call_id)
        assert cdr.callee == "102"
        assert cdr.ended_at is None
        a_leg = app.runs[0].channel.leg
        assert a_leg.leg_id in h.engine.bridges  # the caller's leg is bridged to 102's now

        call.bye()
        await h.settle()
        assert target.methods() == ["ACK", "BYE"]
        cdr = await h.cdr(call.call_id)
        assert (cdr.disposition, cdr.hangup_side) == (Disposition.ANSWERED, HangupSide.CALLER)
        assert h.live_calls() == 0
        assert h.engine.legs == {}


async def test_transfer_to_a_busy_extension_gives_the_call_back(sqlite_url: str) -> None:
    app = TransferringApp(TransferKind.EXTENSION, "102")
    async with make_harness(sqlite_url, apps=app) as h:
        await h.register("101", "102")
        call = h["101"].invite("*43")
        await h.settle(until=lambda: bool(h["102"].incoming))
        h["102"].incoming[0].reject(486)
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes == [TransferOutcome.BUSY]
        # the app kept the caller and then ended: Centrex hangs up on the caller
        assert call.methods() == ["BYE"]
        cdr = await h.cdr(call.call_id)
        assert cdr.hangup_cause == "app-hangup"
        assert h.live_calls() == 0


async def test_transfer_to_an_unregistered_extension_is_unavailable(sqlite_url: str) -> None:
    app = TransferringApp(TransferKind.EXTENSION, "103")
    async with make_harness(sqlite_url, apps=app) as h:
        await h.register("101")
        await h.settle()
        call = h["101"].invite("*43")
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes == [TransferOutcome.UNAVAILABLE]
        assert h["103"].incoming == []
        assert call.methods() == ["BYE"]


async def test_transfer_to_an_unknown_extension_fails(sqlite_url: str) -> None:
    app = TransferringApp(TransferKind.EXTENSION, "109")
    async with make_harness(sqlite_url, apps=app) as h:
        await h.register("101")
        h["101"].invite("*43")
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes == [TransferOutcome.FAILED]


async def test_transfer_to_another_tenants_extension_is_impossible(sqlite_url: str) -> None:
    """'201' exists only in beta: the transfer resolves inside acme and fails."""
    app = TransferringApp(TransferKind.EXTENSION, "201")
    async with make_harness(sqlite_url, apps=app) as h:
        await h.register("101", "beta-201")
        h["101"].invite("*43")
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes == [TransferOutcome.FAILED]
        assert h["beta-201"].incoming == []


async def test_transfer_to_an_outside_number_leaves_by_a_trunk(sqlite_url: str) -> None:
    app = TransferringApp(TransferKind.EXTERNAL, OUTSIDE)
    async with make_harness(sqlite_url, apps=app) as h:
        await h.register("101")
        call = h["101"].invite("*43")
        await h.settle(until=lambda: bool(h.carrier_a.incoming))
        invite = h.carrier_a.incoming[0].request
        assert invite.uri.user == OUTSIDE_E164
        h.carrier_a.incoming[0].reject(503)  # carrier-a is down: failover works here too
        await h.settle(until=lambda: bool(h.carrier_b.incoming))
        h.carrier_b.incoming[0].answer()
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes == [TransferOutcome.CONNECTED]
        cdr = await h.cdr(call.call_id)
        assert cdr.callee == OUTSIDE_E164
        assert cdr.direction is Direction.OUTBOUND
        assert cdr.trunk_id == h.trunk_ids["carrier-b"]


async def test_the_caller_hanging_up_during_a_transfer_cancels_the_target(
    sqlite_url: str,
) -> None:
    app = TransferringApp(TransferKind.EXTENSION, "102")
    async with make_harness(sqlite_url, apps=app) as h:
        await h.register("101", "102")
        call = h["101"].invite("*43")
        await h.settle(until=lambda: bool(h["102"].incoming))
        h["102"].incoming[0].ring()
        bye = call.bye()
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert bye.status == 200
        assert app.outcomes == [TransferOutcome.CALLER_GONE]
        assert h["102"].incoming[0].cancelled
        assert len(h.network.sent_to(h["102"].address, "CANCEL")) == 1
        cdr = await h.cdr(call.call_id)
        assert cdr.hangup_side is HangupSide.CALLER
        assert h.live_calls() == 0
        assert h.engine.legs == {}
