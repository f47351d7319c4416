"""Call recording by the B2BUA (features/recording.py) on the in-memory harness, with the real
media engine: never, always, on demand with *1 from either party, the notice to both parties,
per-party and mixed files handed to the host with the call's CDR, and failures that never end
the call.

The media ticker is driven tick by tick on the ManualClock (tests/calls/flows.py), so a file's
length is an exact number of 20 ms frames; audio and RFC 4733 key presses are handed to the
legs' taps as the RTP session hands a received packet (only the socket is left out; the real
socket path is tests/e2e/test_recording.py).
"""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from centrex.calls.call_media import RecordingPlan
from centrex.data.models import Disposition, RecordingLayout, RecordingMode
from centrex.media.player import Player
from centrex.media.session import MediaLeg
from tests.calls.flows import FakeCallMedia, catch_up, media_of, press, talk, ticks, write_prompt
from tests.calls.harness import DID, OUTSIDE, OUTSIDE_E164, Harness, make_harness

ALWAYS_SPLIT = RecordingPlan(RecordingMode.ALWAYS, RecordingLayout.PER_PARTY)
ALWAYS_MIXED = RecordingPlan(RecordingMode.ALWAYS, RecordingLayout.MIXED)
ON_DEMAND = RecordingPlan(RecordingMode.ON_DEMAND, RecordingLayout.PER_PARTY)
FRAME = 160  # samples per 20 ms tick at 8 kHz


@pytest.fixture
def host(tmp_path: Path) -> FakeCallMedia:
    return FakeCallMedia(tmp_path)


@pytest.fixture
async def rh(sqlite_url: str, host: FakeCallMedia) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, call_media=host) as harness:
        yield harness


def _samples(path: Path) -> tuple[int, bytes]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        count = wav.getnframes()
        return count, wav.readframes(count)


def _loud(pcm: bytes) -> bool:
    return any(pcm)


def _errors(h: Harness) -> list[str]:
    """The ERROR lines logged so far, then forgotten (the harness fails a test on any left)."""
    messages = [r.getMessage() for r in h.errors.records]
    h.errors.records.clear()
    return messages


async def _bridged(h: Harness) -> tuple[str, MediaLeg, MediaLeg]:
    await h.register("101", "102")
    catch_up(h)
    call, _incoming = await h.call("101", "102")
    a, b = media_of(h, call.call_id)
    return call.call_id, a, b


async def test_always_records_each_party_from_its_own_leg_and_keeps_both_with_the_cdr(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = ALWAYS_SPLIT
    await rh.register("101", "102")
    rh.clock.advance(7.0)
    catch_up(rh)
    answered_at = rh.clock.utcnow()
    call, _incoming = await rh.call("101", "102")
    assert host.plans_asked == [(rh.tenant_id, ("101", "102"))]
    assert [tenant for tenant, _path in host.files] == [rh.tenant_id, rh.tenant_id]
    a, _b = media_of(rh, call.call_id)

    talk(rh, a, 25)  # only the caller talks
    ticks(rh, 5)
    call.bye()
    await rh.settle()

    cdr = await rh.cdr(call.call_id)
    assert cdr.disposition is Disposition.ANSWERED
    assert len(host.kept) == 1
    kept = host.kept[0]
    assert (kept.tenant_id, kept.call_id, kept.cdr_id) == (rh.tenant_id, call.call_id, cdr.id)
    assert kept.layout is RecordingLayout.PER_PARTY
    assert kept.started_at == answered_at
    assert [track.party for track in kept.tracks] == ["101", "102"]
    (caller_frames, caller_pcm), (callee_frames, callee_pcm) = (
        _samples(track.path) for track in kept.tracks
    )
    # started in one step, stopped in one step: both files are 30 ticks long, sample-aligned
    assert caller_frames == callee_frames == 30 * FRAME
    assert _loud(caller_pcm)  # the caller's own voice is in the caller's track...
    assert not _loud(callee_pcm)  # ...and not in the callee's, who said nothing


async def test_mixed_layout_sums_both_parties_into_one_file_and_deletes_the_parts(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = ALWAYS_MIXED
    call_id, a, b = await _bridged(rh)
    parts = [path for _tenant, path in host.files]
    talk(rh, b, 10)  # the callee talks, then the caller
    talk(rh, a, 10)
    await rh.b2bua.hangup(call_id, rh.tenant_id)
    await rh.settle()

    (kept,) = host.kept
    assert kept.layout is RecordingLayout.MIXED
    (track,) = kept.tracks
    assert track.party is None
    assert track.path not in parts
    assert not any(path.exists() for path in parts)  # the per-party files were only a step
    frames, pcm = _samples(track.path)
    assert frames == 20 * FRAME
    half = 10 * FRAME * 2
    assert _loud(pcm[:half])
    assert _loud(pcm[half:])  # both voices are in the one file


async def test_never_records_nothing_and_asks_for_no_file(rh: Harness, host: FakeCallMedia) -> None:
    call_id, a, _b = await _bridged(rh)
    assert host.plans_asked == [(rh.tenant_id, ("101", "102"))]  # asked, and told "never"
    press(a, "*1")  # the feature code means nothing when recording is off
    ticks(rh, 5)
    await rh.b2bua.hangup(call_id, rh.tenant_id)
    await rh.settle()
    assert host.files == []
    assert host.kept == []


@pytest.mark.parametrize("who", ["caller", "callee"])
async def test_on_demand_starts_when_either_party_dials_star_1(
    rh: Harness, host: FakeCallMedia, who: str
) -> None:
    host.plan = ON_DEMAND
    call_id, a, b = await _bridged(rh)
    presser = a if who == "caller" else b
    ticks(rh, 3)
    press(presser, "1*")  # the right keys in the wrong order
    press(presser, "2", start_ts=40000)
    assert host.files == []
    rh.clock.advance(1.5)
    catch_up(rh)
    pressed_at = rh.clock.utcnow()
    press(presser, "*1", start_ts=80000)
    assert len(host.files) == 2  # recording from now on, both parties
    press(presser, "*1", start_ts=120000)  # again: nothing more (the listeners are closed)
    assert len(host.files) == 2
    assert not any(tap for tap in (*a.taps, *b.taps) if "DigitListener" in repr(tap))
    ticks(rh, 4)
    await rh.b2bua.hangup(call_id, rh.tenant_id)
    await rh.settle()
    (kept,) = host.kept
    assert kept.started_at == pressed_at
    assert [_samples(t.path)[0] for t in kept.tracks] == [4 * FRAME, 4 * FRAME]


async def test_a_call_ended_before_the_code_keeps_nothing(rh: Harness, host: FakeCallMedia) -> None:
    host.plan = ON_DEMAND
    call_id, a, _b = await _bridged(rh)
    assert len(a.taps) == 1  # the feature-code listener
    press(a, "*")
    await rh.b2bua.hangup(call_id, rh.tenant_id)
    await rh.settle()
    assert host.files == []
    assert host.kept == []
    assert a.taps == []  # the listener left with the call


async def test_the_notice_is_played_to_both_parties_then_the_relay_resumes(
    rh: Harness, host: FakeCallMedia, tmp_path: Path
) -> None:
    host.plan = RecordingPlan(RecordingMode.ALWAYS, RecordingLayout.PER_PARTY, announce=True)
    host.notice = write_prompt(tmp_path / "notice.wav", seconds=0.2)
    call_id, a, b = await _bridged(rh)
    assert host.notices_asked == [rh.tenant_id]
    players = [a.source, b.source]
    assert all(isinstance(p, Player) and p.playing for p in players)
    ticks(rh, 10)  # 200 ms of notice
    assert [p.sent for p in players if isinstance(p, Player)] == [10, 10]
    ticks(rh, 2)
    assert a.source is None  # the notice ended: the relay has the streams again
    assert b.source is None
    await rh.b2bua.hangup(call_id, rh.tenant_id)
    await rh.settle()
    assert len(host.kept) == 1


async def test_no_notice_prompt_plays_nothing_and_still_records(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = RecordingPlan(RecordingMode.ALWAYS, RecordingLayout.MIXED, announce=True)
    call_id, a, b = await _bridged(rh)
    assert host.notices_asked == [rh.tenant_id]
    assert (a.source, b.source) == (None, None)
    assert len(host.files) == 2
    await rh.b2bua.hangup(call_id, rh.tenant_id)
    await rh.settle()
    assert len(host.kept) == 1


async def test_a_notice_that_fails_is_logged_and_the_call_and_recording_go_on(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = RecordingPlan(RecordingMode.ALWAYS, RecordingLayout.PER_PARTY, announce=True)
    host.fail_notice = True
    call_id, _a, _b = await _bridged(rh)
    assert any("recording notice not played" in m for m in _errors(rh))
    assert rh.live_calls() == 1
    ticks(rh, 3)
    await rh.b2bua.hangup(call_id, rh.tenant_id)
    await rh.settle()
    (kept,) = host.kept
    assert [_samples(t.path)[0] for t in kept.tracks] == [3 * FRAME, 3 * FRAME]


async def test_a_host_that_cannot_keep_the_files_is_logged_and_the_cdr_still_closes(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = ALWAYS_SPLIT
    host.fail_keep = True
    await rh.register("101", "102")
    call, _incoming = await rh.call("101", "102")
    rh.clock.advance(4.0)
    call.bye()
    await rh.settle()
    assert any("recording not kept" in m for m in _errors(rh))
    cdr = await rh.cdr(call.call_id)
    assert cdr.ended_at is not None
    assert cdr.ended_at - cdr.answered_at == timedelta(seconds=4)  # type: ignore[operator]
    assert rh.live_calls() == 0


async def test_an_inbound_call_asks_for_the_callees_plan_only(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = ALWAYS_SPLIT
    await rh.register("101")
    call = rh.carrier_a.invite(DID, domain="127.0.0.1", from_user="+41797770000")
    await rh.settle()
    incoming = rh["101"].incoming[0]
    incoming.answer()
    await rh.settle()
    assert host.plans_asked == [(rh.tenant_id, ("101",))]  # the outside caller has no settings
    call.bye()
    await rh.settle()
    (kept,) = host.kept
    assert [t.party for t in kept.tracks] == ["+41797770000", "101"]


async def test_an_outbound_call_asks_for_the_callers_plan_only(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = ALWAYS_SPLIT
    await rh.register("101")
    call = rh["101"].invite(OUTSIDE)
    await rh.settle()
    rh.carrier_a.incoming[0].answer()
    await rh.settle()
    assert host.plans_asked == [(rh.tenant_id, ("101",))]
    call.bye()
    await rh.settle()
    (kept,) = host.kept
    assert [t.party for t in kept.tracks] == ["101", OUTSIDE_E164]


async def test_another_tenants_call_is_recorded_in_its_own_store(
    rh: Harness, host: FakeCallMedia
) -> None:
    host.plan = ALWAYS_SPLIT
    await rh.register("beta-102", "beta-201")
    call, _incoming = await rh.call("beta-201", "102", callee="beta-102")
    assert host.plans_asked == [(rh.other_tenant_id, ("201", "102"))]
    assert {tenant for tenant, _path in host.files} == {rh.other_tenant_id}
    call.bye()
    await rh.settle()
    (kept,) = host.kept
    assert kept.tenant_id == rh.other_tenant_id
