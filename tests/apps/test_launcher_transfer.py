"""A flow's transfer through the call layer's `CallControl`: what the launcher asks for and what
the caller gets when the target cannot be reached (voicemail of the extension, or goodbye)."""

from __future__ import annotations

from typing import Any

from centrex.apps.launcher import AppLauncher, standard_apps
from centrex.apps.voicemail import VoicemailServices
from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.clock import ManualClock
from centrex.provisioning import extensions, flows
from centrex.provisioning import voicemail as vm
from tests.apps.conftest import FakeChannel, Scopes, tone
from tests.apps.test_launcher import Context

GRAPH: dict[str, Any] = {
    "start": "menu",
    "nodes": [
        {
            "id": "menu",
            "type": "menu",
            "prompt": "menu.make_choice",
            "branches": {"1": "alice", "2": "bob", "3": "out", "4": "sales"},
            "timeout": "bye",
            "invalid": "bye",
        },
        {"id": "alice", "type": "transfer", "target": {"kind": "extension", "value": "101"}},
        {"id": "bob", "type": "transfer", "target": {"kind": "extension", "value": "102"}},
        {"id": "out", "type": "transfer", "target": {"kind": "external", "value": "0446681800"}},
        {"id": "sales", "type": "transfer", "target": {"kind": "ring_group", "value": "sales"}},
        {"id": "bye", "type": "hangup", "prompt": "common.goodbye"},
    ],
}


class Control:
    """The call layer's side, scripted: answers every transfer with `outcome`."""

    def __init__(self, outcome: TransferOutcome) -> None:
        self.outcome = outcome
        self.asked: list[tuple[TransferKind, str]] = []

    async def transfer(self, kind: TransferKind, value: str) -> TransferOutcome:
        self.asked.append((kind, value))
        return self.outcome


async def _setup(scopes: Scopes, clock: ManualClock) -> None:
    async with scopes("a.example.com") as scope:
        await vm.create_mailbox(scope, extension="101", pin="1234")  # 102 has none
        await extensions.create_extension(scope, number="100", name="Reception", voicemail=False)
        flow = await flows.create_flow(scope, name="main", graph=GRAPH, now=clock.utcnow())
        await flows.bind_extension(scope, flow.id, "100")


async def test_connected_transfer_leaves_the_call_to_the_bridge(
    scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices, clock: ManualClock
) -> None:
    await _setup(scopes, clock)
    launcher = AppLauncher(services, standard_apps())
    channel = FakeChannel.script(keys=["1"])
    control = Control(TransferOutcome.CONNECTED)
    await launcher.run(
        "ivr", channel, Context(two_tenants["a.example.com"], extension="100"), control
    )
    assert control.asked == [(TransferKind.EXTENSION, "101")]
    # no goodbye and no hang-up by the app: the caller talks to 101 now
    assert channel.names() == ["menu.make_choice"]
    assert not channel.closed


async def test_unreached_extension_goes_to_its_voicemail_else_goodbye(
    scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices, clock: ManualClock
) -> None:
    await _setup(scopes, clock)
    tenant = two_tenants["a.example.com"]
    launcher = AppLauncher(services, standard_apps())
    busy = FakeChannel.script(keys=["1"], recordings=[tone(2.0)])
    await launcher.run("ivr", busy, Context(tenant, extension="100"), Control(TransferOutcome.BUSY))
    assert busy.names()[:3] == ["menu.make_choice", "vm.greeting_busy", "vm.leave_message"]
    async with scopes("a.example.com") as scope:
        box = await vm.mailbox_for_extension(scope, "101")
        assert box is not None
        assert (await vm.list_messages(scope, box.id)).total == 1
    # 102 has no mailbox: not registered means goodbye
    nobody = FakeChannel.script(keys=["2"])
    control = Control(TransferOutcome.UNAVAILABLE)
    await launcher.run("ivr", nobody, Context(tenant, extension="100"), control)
    assert control.asked == [(TransferKind.EXTENSION, "102")]
    assert nobody.names() == ["menu.make_choice", "common.goodbye"]
    assert nobody.closed


async def test_external_ring_group_caller_gone_and_no_call_control(
    scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices, clock: ManualClock
) -> None:
    await _setup(scopes, clock)
    context = Context(two_tenants["a.example.com"], extension="100")
    launcher = AppLauncher(services, standard_apps())
    failed = Control(TransferOutcome.FAILED)
    out = FakeChannel.script(keys=["3"])
    await launcher.run("ivr", out, context, failed)
    assert failed.asked == [(TransferKind.EXTERNAL, "0446681800")]
    assert out.names() == ["menu.make_choice", "common.goodbye"]
    # a ring group is handed to the call layer: connected, nothing more is played
    sales = FakeChannel.script(keys=["4"])
    connected = Control(TransferOutcome.CONNECTED)
    await launcher.run("ivr", sales, context, connected)
    assert connected.asked == [(TransferKind.RING_GROUP, "sales")]
    assert sales.names() == ["menu.make_choice"]
    # nobody in the group answered: goodbye (a group has no mailbox of its own)
    unanswered = FakeChannel.script(keys=["4"])
    nobody = Control(TransferOutcome.NO_ANSWER)
    await launcher.run("ivr", unanswered, context, nobody)
    assert nobody.asked == [(TransferKind.RING_GROUP, "sales")]
    assert unanswered.names() == ["menu.make_choice", "common.goodbye"]
    # the caller hung up while 101 rang: nothing more is played
    gone = FakeChannel.script(keys=["1"])
    await launcher.run("ivr", gone, context, Control(TransferOutcome.CALLER_GONE))
    assert gone.names() == ["menu.make_choice"]
    # without a call layer that transfers (control None): goodbye, as before
    alone = FakeChannel.script(keys=["1"])
    await launcher.run("ivr", alone, context)
    assert alone.names() == ["menu.make_choice", "common.goodbye"]
