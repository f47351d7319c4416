"""Music on hold (features/hold.py) through the B2BUA, with the real media engine: the held
party hears the tenant's music from the moment the hold is answered, in a loop, until the
resume or the hang-up; a resume that overtakes the music lookup leaves the party in silence
(not in music forever); a tenant without music, or with a broken file, holds in silence and the
call goes on. RFC 3264 §8.4 (hold), RFC 7667 §3.2.1.1 (the player takes over the stream)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from centrex.media.player import Player
from centrex.media.session import MediaLeg
from tests.calls.flows import FakeCallMedia, catch_up, media_of, reoffer, ticks, write_prompt
from tests.calls.harness import Harness, make_harness
from tests.calls.uas import IncomingCall, OutgoingCall


@pytest.fixture
def host(tmp_path: Path) -> FakeCallMedia:
    return FakeCallMedia(tmp_path, moh=write_prompt(tmp_path / "moh.wav", seconds=0.1))


@pytest.fixture
async def mh(sqlite_url: str, host: FakeCallMedia) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, call_media=host) as harness:
        yield harness


def _player(leg: MediaLeg) -> Player | None:
    source = leg.source
    assert source is None or isinstance(source, Player)
    return source


async def _call(h: Harness) -> tuple[OutgoingCall, IncomingCall, MediaLeg, MediaLeg]:
    await h.register("101", "102")
    catch_up(h)
    call, incoming = await h.call("101", "102")
    a, b = media_of(h, call.call_id)
    return call, incoming, a, b


async def test_the_held_party_hears_music_in_a_loop_until_the_resume(
    mh: Harness, host: FakeCallMedia
) -> None:
    call, incoming, a, b = await _call(mh)
    await reoffer(mh, call, incoming, "sendonly", "recvonly")
    assert host.moh_asked == [mh.tenant_id]
    player = _player(b)  # 102 is held: the music goes to 102's leg
    assert player is not None
    assert player.playing
    assert _player(a) is None  # the holder hears nothing from us
    ticks(mh, 12)  # 240 ms of a 100 ms file: it loops, one packet per tick
    assert player.playing
    assert player.packets == 12

    await reoffer(mh, call, incoming, "sendrecv", "sendrecv")
    assert not player.playing
    assert _player(b) is None  # the relay has 102's stream again
    assert host.moh_asked == [mh.tenant_id]  # a resume looks nothing up
    ticks(mh, 3)
    assert player.packets == 12


async def test_hold_from_the_callee_plays_music_to_the_caller(
    mh: Harness, host: FakeCallMedia
) -> None:
    call, incoming, a, b = await _call(mh)
    await reoffer(mh, incoming, call, "sendonly", "recvonly")
    player = _player(a)
    assert player is not None
    assert player.playing
    assert _player(b) is None


async def test_an_update_puts_on_hold_like_a_reinvite(mh: Harness, host: FakeCallMedia) -> None:
    call, incoming, _a, b = await _call(mh)
    await reoffer(mh, call, incoming, "inactive", "inactive", method="UPDATE")
    player = _player(b)
    assert player is not None
    assert player.playing


async def test_hanging_up_on_hold_stops_the_music(mh: Harness, host: FakeCallMedia) -> None:
    call, incoming, _a, b = await _call(mh)
    await reoffer(mh, call, incoming, "sendonly", "recvonly")
    player = _player(b)
    assert player is not None
    incoming.bye()  # the held party gives up
    await mh.settle()
    assert not player.playing
    assert b.closed
    assert mh.live_calls() == 0


async def test_holding_again_replaces_the_music_instead_of_adding_a_second_player(
    mh: Harness, host: FakeCallMedia
) -> None:
    call, incoming, _a, b = await _call(mh)
    await reoffer(mh, call, incoming, "sendonly", "recvonly")
    first = _player(b)
    await reoffer(mh, call, incoming, "inactive", "inactive")  # a second hold offer
    second = _player(b)
    assert first is not None
    assert second is not None
    assert second is not first
    assert not first.playing
    assert second.playing
    ticks(mh, 4)
    assert (first.packets, second.packets) == (0, 4)
    assert host.moh_asked == [mh.tenant_id, mh.tenant_id]


async def test_a_resume_that_overtakes_the_music_lookup_leaves_no_music(
    mh: Harness, host: FakeCallMedia
) -> None:
    call, incoming, _a, b = await _call(mh)
    host.gate = asyncio.Event()  # the music lookup is slow
    hold = call.reinvite(mh["101"].sdp("sendonly"))
    await mh.settle(until=lambda: len(incoming.received("INVITE")) == 1)
    incoming.answer_request(incoming.received("INVITE")[0], 200, mh["102"].sdp("recvonly"))
    await mh.settle(until=lambda: bool(host.moh_asked))
    assert hold.status == 200  # the hold is answered before the music is found

    resume = call.reinvite(mh["101"].sdp("sendrecv"))
    await mh.settle(until=lambda: len(incoming.received("INVITE")) == 2)
    incoming.answer_request(incoming.received("INVITE")[1], 200, mh["102"].sdp("sendrecv"))
    await mh.settle(until=lambda: resume.status == 200)
    host.gate.set()  # the lookup ends after the resume
    await mh.settle()
    assert _player(b) is None
    ticks(mh, 5)
    assert _player(b) is None


async def test_a_hang_up_during_the_music_lookup_plays_nothing(
    mh: Harness, host: FakeCallMedia
) -> None:
    call, incoming, _a, b = await _call(mh)
    host.gate = asyncio.Event()
    call.reinvite(mh["101"].sdp("sendonly"))
    await mh.settle(until=lambda: len(incoming.received("INVITE")) == 1)
    incoming.answer_request(incoming.received("INVITE")[0], 200, mh["102"].sdp("recvonly"))
    await mh.settle(until=lambda: bool(host.moh_asked))
    bye = incoming.bye()
    await mh.settle(until=lambda: bye.status == 200)
    host.gate.set()
    await mh.settle()
    assert b.closed
    assert _player(b) is None


async def test_a_tenant_without_music_holds_in_silence(mh: Harness, host: FakeCallMedia) -> None:
    host.moh = None
    call, incoming, _a, b = await _call(mh)
    await reoffer(mh, call, incoming, "sendonly", "recvonly")
    assert host.moh_asked == [mh.tenant_id]
    assert _player(b) is None
    assert mh.live_calls() == 1


async def test_a_broken_music_file_is_a_warning_and_the_call_goes_on(
    mh: Harness, host: FakeCallMedia, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not a wav file at all")
    host.moh = broken
    call, incoming, _a, b = await _call(mh)
    with caplog.at_level("WARNING", logger="centrex.calls.features.hold"):
        await reoffer(mh, call, incoming, "sendonly", "recvonly")
    assert any("music on hold" in r.getMessage() and r.levelname == "WARNING"
               for r in caplog.records)  # fmt: skip
    assert _player(b) is None
    await reoffer(mh, call, incoming, "sendrecv", "sendrecv")  # and the call still works
    assert mh.live_calls() == 1


async def test_a_codec_change_is_no_hold_and_plays_nothing(
    mh: Harness, host: FakeCallMedia
) -> None:
    call, incoming, _a, b = await _call(mh)
    await reoffer(mh, call, incoming, "sendrecv", "sendrecv")
    assert host.moh_asked == []
    assert _player(b) is None


async def test_another_tenants_hold_asks_for_its_own_music(
    mh: Harness, host: FakeCallMedia
) -> None:
    await mh.register("beta-102", "beta-201")
    call, incoming = await mh.call("beta-201", "102", callee="beta-102")
    await reoffer(mh, call, incoming, "sendonly", "recvonly")
    assert host.moh_asked == [mh.other_tenant_id]
