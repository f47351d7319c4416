"""Flows through the service layer (references, bindings), the live runner on a fake channel,
the echo test and the speaking clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from centrex.apps.channel import AppChannel
from centrex.apps.echo import EchoTest
from centrex.apps.ivr import FlowInvalid, FlowRunner, Hangup, Transfer, TransferTarget, parse_flow
from centrex.apps.prompts import PromptLibrary
from centrex.apps.speaking_clock import SpeakingClock, clock_keys
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import MediaKind
from centrex.errors import Conflict, NotFound
from centrex.provisioning import flows, media_files, numbers
from centrex.provisioning.storage import MediaStore
from tests.apps.conftest import FakeChannel, Scopes, tone, write_wav
from tests.apps.test_flow_graph import office_flow

WEDNESDAY_10 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def tenant_flow() -> dict[str, Any]:
    """The office flow, transferring to extension 101 which the test tenants have."""
    graph = office_flow()
    for node in graph["nodes"]:
        target = node.get("target")
        if target and target["value"] == "100":
            target["value"] = "101"
    return graph


class Transfers:
    def __init__(self) -> None:
        self.calls: list[tuple[TransferTarget, str]] = []

    async def __call__(self, channel: AppChannel, target: TransferTarget, language: str) -> None:
        self.calls.append((target, language))


async def _media(scopes: Scopes, store: MediaStore, tmp_path: Path, domain: str) -> int:
    data = write_wav(tmp_path / "w.wav", tone(1.0)).read_bytes()
    async with scopes(domain) as scope:
        media = await media_files.upload_media(
            scope, store, data, kind=MediaKind.PROMPT, name="welcome"
        )
        return media.id


async def test_flow_references_are_checked_in_the_tenant(
    scopes: Scopes, store: MediaStore, tmp_path: Path, clock: ManualClock
) -> None:
    own = await _media(scopes, store, tmp_path, "a.example.com")
    foreign = await _media(scopes, store, tmp_path, "b.example.com")
    graph = tenant_flow()
    graph["nodes"][1]["prompt"] = {"media": own}
    async with scopes("a.example.com") as scope:
        flow = await flows.create_flow(scope, name="main", graph=graph, now=clock.utcnow())
        assert await flows.validate(scope, graph) == []
        assert (await flows.media_paths(scope, store, flow)) == {
            own: await media_files.media_path(scope, store, own)
        }
    bad = tenant_flow()
    bad["nodes"][1]["prompt"] = {"media": foreign}
    bad["nodes"][6]["target"]["value"] = "999"
    bad["nodes"][4]["target"] = {"kind": "external", "value": "call me"}
    async with scopes("a.example.com") as scope:
        issues = await flows.validate(scope, bad)
        assert {(i.node, i.error_id) for i in issues} == {
            ("welcome", "flow-unknown-media"),
            ("operator", "flow-unknown-extension"),
            ("sales", "flow-bad-target"),
        }
        with pytest.raises(FlowInvalid):
            await flows.create_flow(scope, name="bad", graph=bad, now=clock.utcnow())
        with pytest.raises(Conflict):
            await flows.create_flow(scope, name="main", graph=tenant_flow(), now=clock.utcnow())


async def test_bindings_numbers_and_extensions(
    db: Database, scopes: Scopes, clock: ManualClock
) -> None:
    async with db.transaction() as session:
        await numbers.add_range(session, "+41215550100", "+41215550199")
    async with scopes("a.example.com") as scope:
        await numbers.assign_number(scope, "+41215550100", now=clock.utcnow())
        flow = await flows.create_flow(scope, name="main", graph=tenant_flow(), now=clock.utcnow())
        other = await flows.create_flow(
            scope, name="other", graph=tenant_flow(), now=clock.utcnow()
        )
        await flows.bind_number(scope, flow.id, "+41215550100")
        await flows.bind_number(scope, other.id, "+41 21 555 01 00")  # rebinding replaces
        binding = await flows.bind_extension(scope, flow.id, "102")
        assert (await flows.flow_for_number(scope, "+41215550100")).id == other.id  # type: ignore[union-attr]
        assert (await flows.flow_for_extension(scope, "102")).id == flow.id  # type: ignore[union-attr]
        assert await flows.flow_for_extension(scope, "101") is None
        await flows.unbind(scope, binding.id)
        assert await flows.flow_for_extension(scope, "102") is None
        await flows.delete_flow(scope, other.id)
        assert await flows.flow_for_number(scope, "+41215550100") is None
        with pytest.raises(NotFound):
            await flows.bind_number(scope, flow.id, "+41215550199")  # not the tenant's number
        updated = await flows.update_flow(scope, flow.id, name="renamed", now=clock.utcnow())
        assert flows.flow_view(updated)["name"] == "renamed"


async def test_runner_plays_collects_and_transfers(
    prompt_library: PromptLibrary, tmp_path: Path
) -> None:
    graph = tenant_flow()
    graph["nodes"][1]["prompt"] = {"media": 5}
    graph["nodes"][4]["prompt"] = {"text": {"en": "Connecting you to sales", "de": "Verkauf"}}
    media = {5: write_wav(tmp_path / "welcome.wav", tone(0.5))}
    transfers = Transfers()
    channel = FakeChannel.script(keys=["9", "1", "1"])
    done = await FlowRunner(prompt_library, transfers).run(
        channel, parse_flow(graph), now=WEDNESDAY_10, language="en", media=media
    )
    assert done.action == Transfer(TransferTarget("ring_group", "sales"))
    assert done.language == "de"
    assert transfers.calls == [(TransferTarget("ring_group", "sales"), "de")]
    names = channel.names()
    assert names[0] == "file:welcome.wav"
    assert names[1:4] == ["menu.make_choice", "menu.choose_language", "menu.make_choice"]
    assert names[-1] == "tts"
    assert channel.answered
    assert not channel.closed  # the call layer owns the call after a transfer


async def test_runner_hangs_up_and_survives_caller_hangup(prompt_library: PromptLibrary) -> None:
    holiday = datetime(2026, 12, 25, 10, tzinfo=UTC)
    channel = FakeChannel.script()
    done = await FlowRunner(prompt_library, Transfers()).run(
        channel, parse_flow(tenant_flow()), now=holiday, language="it"
    )
    assert done.action == Hangup("node")
    assert channel.names() == ["menu.holiday", "common.goodbye"]
    assert channel.closed
    gone = FakeChannel.script()
    gone.closed = True
    done = await FlowRunner(prompt_library, Transfers()).run(
        gone, parse_flow(tenant_flow()), now=WEDNESDAY_10, language="en"
    )
    assert done.action == Hangup("caller")


def _leftovers(folder: Path) -> list[Path]:
    return list(folder.glob("rec-*.wav"))


async def test_echo_test(prompt_library: PromptLibrary, tmp_path: Path) -> None:
    channel = FakeChannel.script(recordings=[tone(1.0), tone(0.5)])
    rounds = await EchoTest(prompt_library, tmp_path).run(channel, language="fr", rounds=2)
    assert rounds == 2
    names = channel.names()
    assert names[0] == "echo.intro"
    assert names.count("beep") == 2
    assert len([n for n in names if n.startswith("file:rec-")]) == 2
    assert names[-1] == "common.goodbye"
    assert _leftovers(tmp_path) == []  # played back, then removed


@pytest.mark.parametrize(
    ("now", "zone", "language", "expected"),
    [
        (
            datetime(2026, 1, 15, 13, 5, tzinfo=UTC),
            "Europe/Zurich",
            "de",
            ["clock.intro", "number.14", "clock.hours", "number.5"],
        ),
        (
            datetime(2026, 7, 15, 13, 5, tzinfo=UTC),
            "Europe/Zurich",
            "de",
            ["clock.intro", "number.15", "clock.hours", "number.5"],
        ),
        (
            datetime(2026, 7, 15, 7, 0, tzinfo=UTC),
            "Europe/Rome",
            "it",
            ["clock.intro", "number.9", "clock.exactly"],
        ),
        (
            datetime(2026, 3, 8, 12, 30, tzinfo=UTC),
            "America/New_York",
            "en",
            ["clock.intro", "number.8", "clock.hours", "number.30", "clock.minutes"],
        ),
    ],
)
def test_clock_keys(now: datetime, zone: str, language: str, expected: list[str]) -> None:
    assert clock_keys(now, zone, language) == expected


async def test_speaking_clock(prompt_library: PromptLibrary) -> None:
    channel = FakeChannel.script()
    keys = await SpeakingClock(prompt_library).run(
        channel,
        now=datetime(2026, 11, 25, 15, 42, tzinfo=UTC),
        timezone="Europe/Zurich",
        language="fr",
    )
    assert keys == ["clock.intro", "number.16", "clock.hours", "number.42"]
    assert channel.names() == [*keys, "common.goodbye"]
    assert channel.closed
