"""The live rooms registry (apps/conference/live.py) without phones: a room opens with its first
participant and ends with its last (mixer closed, `ended` published, the recording handed on
with the opener's call id and CDR), events carry the member count, a moderator leaving clears
the room's moderator flag, mute reaches the mixer member, and another tenant's room or a
participant not in it is not found."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from centrex.apps.conference.live import LiveConferences, RecordingDone
from centrex.clock import ManualClock
from centrex.errors import NotFound
from centrex.events import ConferenceEvent, Event
from centrex.media.codecs import Codec, default_registry
from centrex.media.room import MixingRoom, RoomMember
from centrex.media.session import MediaLeg
from centrex.media.ticker import Ticker


class Member:
    """What the registry uses of a mixer member."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.muted = False
        self.left = False

    def leave(self) -> None:
        self.left = True


class Line:
    def __init__(self) -> None:
        self.hung_up = False

    async def hangup(self) -> None:
        self.hung_up = True


@pytest.fixture
def setup(tmp_path: Path) -> tuple[LiveConferences, list[Event], list[RecordingDone], list[Any]]:
    clock = ManualClock()
    ticker = Ticker(clock)
    events: list[Event] = []
    kept: list[RecordingDone] = []
    mixers: list[MixingRoom] = []

    def codec_for(leg: MediaLeg) -> tuple[Codec, int]:
        raise AssertionError("no leg joins here")

    def mixing_room(room_id: str) -> MixingRoom:
        room = MixingRoom(room_id, ticker, default_registry(), codec_for=codec_for,
                          take_leg=lambda leg: None, new_stream=lambda: (1, 1, 1))  # fmt: skip
        mixers.append(room)
        return room

    async def keep(done: RecordingDone) -> None:
        kept.append(done)

    live = LiveConferences(mixing_room=mixing_room, publish=events.append, clock=clock,
                           recording_file=lambda tenant: tmp_path / f"mix-{tenant}.wav",
                           on_recording=keep)  # fmt: skip
    return live, events, kept, mixers


def _states(events: list[Event]) -> list[tuple[str, str, int]]:
    return [(e.state, e.caller, e.members) for e in events if isinstance(e, ConferenceEvent)]


async def test_a_room_lives_from_its_first_to_its_last_participant(setup: Any) -> None:
    live, events, kept, mixers = setup
    room = live.room(1, 7, "800")
    assert live.room(1, 7, "800") is room  # one room while it is open
    first = live.arrive(room, caller="101", caller_name="", moderator=True, channel=Line())
    assert room.moderator_in.is_set()
    live.joined(room, first, cast(RoomMember, Member("a")), record=True, call_id="call-1",
                cdr_id=42)  # fmt: skip
    second = live.arrive(room, caller="102", caller_name="", moderator=False, channel=Line())
    member = Member("b")
    live.joined(room, second, cast(RoomMember, member), record=True, call_id="call-2",
                cdr_id=43)  # fmt: skip
    assert [p["caller"] for p in await live.participants(1, 7)] == ["101", "102"]
    muted = await live.set_muted(1, 7, second.id, True)
    assert (muted["muted"], member.muted) == (True, True)
    live.leave(room, first)
    assert not room.moderator_in.is_set()  # the last moderator left; 102 stays
    live.leave(room, second)
    assert member.left
    assert _states(events) == [
        ("joined", "101", 1), ("joined", "102", 2), ("muted", "102", 2), ("left", "101", 1),
        ("left", "102", 0), ("ended", "", 0),
    ]  # fmt: skip
    assert live.rooms == {}
    assert mixers[0].closed
    await _drain()
    assert [(d.call_id, d.cdr_id, d.tenant_id) for d in kept] == [("call-1", 42, 1)]
    assert kept[0].path.exists()
    assert live.room(1, 7, "800") is not room  # the next caller opens a new room


async def _drain() -> None:
    """Let the recording's hand-over task run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_another_tenants_room_and_unknown_participants_are_not_found(setup: Any) -> None:
    live, _events, _kept, _mixers = setup
    room = live.room(1, 7, "800")
    line = Line()
    participant = live.arrive(room, caller="101", caller_name="", moderator=False, channel=line)
    assert await live.participants(2, 7) == []
    for call in (
        live.set_muted(2, 7, participant.id, True),
        live.kick(2, 7, participant.id),
        live.kick(1, 7, participant.id + 1),
    ):
        with pytest.raises(NotFound):
            await call
    assert not line.hung_up
    await live.kick(1, 7, participant.id)
    assert line.hung_up
