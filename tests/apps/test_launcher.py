"""The app launcher the call layer runs apps through (names → apps, context → arguments)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from centrex.apps.channel import AppChannel
from centrex.apps.launcher import AppLauncher, LaunchContext, greeting_for, standard_apps
from centrex.apps.voicemail import VoicemailServices
from centrex.calls.app_host import CallControl
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import GreetingKind
from centrex.provisioning import flows, numbers
from centrex.provisioning import voicemail as vm
from tests.apps.conftest import FakeChannel, Scopes, tone
from tests.apps.test_flows_runner import tenant_flow


@dataclass(frozen=True)
class Context:
    tenant_id: int
    caller: str = "+41790000002"
    caller_name: str = "Carol"
    extension: str | None = "101"
    language: str = "en"
    timezone: str = "Europe/Zurich"
    reason: str = ""


class Recorded:
    """A registered app that notes what it was run with."""

    def __init__(self, services: VoicemailServices) -> None:
        self.runs: list[tuple[str | None, CallControl | None]] = []

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        self.runs.append((context.extension, control))


def test_names_and_greetings(services: VoicemailServices) -> None:
    launcher_names = {
        "voicemail", "voicemail-menu", "echo", "speaking-clock", "ivr", "feature-confirm"
    }  # fmt: skip
    assert set(standard_apps()) == launcher_names
    launcher = AppLauncher(services, standard_apps())
    assert all(launcher.has(n) for n in launcher_names)
    assert not launcher.has("fax")
    assert greeting_for("busy") is GreetingKind.BUSY
    assert greeting_for("") is GreetingKind.NO_ANSWER


async def test_registry_is_the_only_dispatch(services: VoicemailServices) -> None:
    """A factory added by the wiring runs under its name; the standard names are not built in."""
    made: list[Recorded] = []

    def fax(s: VoicemailServices) -> Recorded:
        made.append(Recorded(s))
        return made[-1]

    launcher = AppLauncher(services, {"fax": fax})
    assert launcher.has("fax")
    assert not launcher.has("voicemail")
    await launcher.run("fax", FakeChannel.script(), Context(1, extension="100"), None)
    assert [m.runs for m in made] == [[("100", None)]]
    with pytest.raises(ValueError, match="unknown app"):
        await launcher.run("voicemail", FakeChannel.script(), Context(1))


async def test_voicemail_menu_echo_and_clock(
    db: Database,
    scopes: Scopes,
    two_tenants: dict[str, int],
    services: VoicemailServices,
) -> None:
    tenant = two_tenants["a.example.com"]
    async with scopes("a.example.com") as scope:
        await vm.create_mailbox(scope, extension="101", pin="1234")
    launcher = AppLauncher(services, standard_apps())
    channel = FakeChannel.script(recordings=[tone(2.0)])
    await launcher.run("voicemail", channel, Context(tenant, reason="busy"))
    assert channel.names()[0] == "vm.greeting_busy"
    menu = FakeChannel.script(keys=["1234", "#"])
    await launcher.run("voicemail-menu", menu, Context(tenant, language="de"))
    assert menu.names()[:4] == ["vm.enter_pin", "vm.you_have", "number.1", "vm.new_message"]
    echo = FakeChannel.script(recordings=[tone(1.0)])
    await launcher.run("echo", echo, Context(tenant))
    assert echo.names()[0] == "echo.intro"
    clock = FakeChannel.script()
    await launcher.run("speaking-clock", clock, Context(tenant, language="it"))
    # ManualClock starts at 2026-01-01 00:00 UTC = 01:00 in Zurich
    assert clock.names() == ["clock.intro", "number.1", "clock.exactly", "common.goodbye"]
    with pytest.raises(ValueError, match="unknown app"):
        await launcher.run("fax", FakeChannel.script(), Context(tenant))


async def test_ivr_by_extension_and_number(
    db: Database,
    scopes: Scopes,
    two_tenants: dict[str, int],
    services: VoicemailServices,
    clock: ManualClock,
) -> None:
    tenant = two_tenants["a.example.com"]
    async with db.transaction() as session:
        await numbers.add_range(session, "+41215550100", "+41215550199")
    async with scopes("a.example.com") as scope:
        await vm.create_mailbox(scope, extension="101", pin="1234")
        await numbers.assign_number(scope, "+41215550100", now=clock.utcnow())
        flow = await flows.create_flow(scope, name="main", graph=tenant_flow(), now=clock.utcnow())
        await flows.bind_extension(scope, flow.id, "102")
        await flows.bind_number(scope, flow.id, "+41215550100")
    launcher = AppLauncher(services, standard_apps())
    # Thursday 01:00 in Zurich: closed → "we are closed" → voicemail of 101 on the same channel
    channel = FakeChannel.script(recordings=[tone(2.0)])
    await launcher.run("ivr", channel, Context(tenant, extension="102"))
    assert channel.names()[:3] == ["menu.closed", "vm.greeting_default", "vm.leave_message"]
    async with scopes("a.example.com") as scope:
        box = await vm.mailbox_for_extension(scope, "101")
        assert box is not None
        assert (await vm.list_messages(scope, box.id)).total == 1
    by_number = FakeChannel.script(recordings=[tone(2.0)])
    await launcher.run("ivr", by_number, Context(tenant, extension="+41215550100"))
    assert by_number.names()[0] == "menu.closed"
    nothing = FakeChannel.script()
    await launcher.run("ivr", nothing, Context(tenant, extension="101"))  # no flow bound
    assert nothing.names() == ["common.goodbye"]
    # another tenant's call never reaches tenant a's flow
    other = FakeChannel.script()
    await launcher.run("ivr", other, Context(two_tenants["b.example.com"], extension="102"))
    assert other.names() == ["common.goodbye"]
