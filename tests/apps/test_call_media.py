"""The call layer's MOH and recording host: which plan a call gets, where files go, and that
kept recordings are registered per tenant with their CDR (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

from centrex.apps.call_media import CallMediaServices, strongest
from centrex.apps.voicemail import VoicemailServices
from centrex.calls.call_media import RecordedTrack, RecordingPlan
from centrex.clock import ManualClock
from centrex.data.models import RecordingLayout, RecordingMode
from centrex.media.audio import write_wav
from centrex.provisioning import extensions, recordings, tenants
from tests.apps.conftest import DOMAINS, Scopes, tone

ALWAYS_SPLIT = RecordingPlan(RecordingMode.ALWAYS, RecordingLayout.PER_PARTY)


def test_strongest_plan_wins() -> None:
    demand = RecordingPlan(RecordingMode.ON_DEMAND, RecordingLayout.MIXED)
    assert strongest([]) == RecordingPlan()
    assert strongest([RecordingPlan(), demand]) == demand
    assert strongest([demand, ALWAYS_SPLIT, RecordingPlan()]) == ALWAYS_SPLIT


async def test_extension_overrides_tenant_default(
    services: VoicemailServices, two_tenants: dict[str, int]
) -> None:
    host = CallMediaServices(services, services.store.data_dir)
    a, b = (two_tenants[d] for d in DOMAINS)
    assert await host.recording_plan(a, ["101", "102"]) == RecordingPlan()
    async with services.database.transaction() as session:
        tenant = await tenants.get_tenant(session, DOMAINS[0])
        await tenants.set_recording(session, tenant, record_calls=RecordingMode.ON_DEMAND)
        scope = tenants.scope_of(session, tenant)
        ext = await extensions.get_extension(scope, "101")
        await extensions.update_extension(
            scope, ext, record_calls=RecordingMode.ALWAYS, record_layout=RecordingLayout.PER_PARTY
        )
    assert await host.recording_plan(a, ["101", "102"]) == ALWAYS_SPLIT
    assert await host.recording_plan(a, ["102"]) == RecordingPlan(RecordingMode.ON_DEMAND)
    assert await host.recording_plan(a, ["+41215550100"]) == RecordingPlan(RecordingMode.ON_DEMAND)
    # tenant b's 101 is another extension: untouched
    assert await host.recording_plan(b, ["101"]) == RecordingPlan()


async def test_moh_default_and_kept_recordings_are_per_tenant(
    services: VoicemailServices, two_tenants: dict[str, int]
) -> None:
    host = CallMediaServices(services, services.store.data_dir)
    a = two_tenants[DOMAINS[0]]
    moh = await host.hold_music(a)
    assert moh is not None
    assert moh.name == "default.wav"
    files = [host.recording_file(a), host.recording_file(a)]
    assert files[0] != files[1]
    for path in files:
        assert path.parent.name == "recordings"
        write_wav(path, tone(1.0))
    await host.keep_recording(
        a, call_id="c1", cdr_id=None, layout=RecordingLayout.PER_PARTY,
        tracks=[RecordedTrack(files[0], "101"), RecordedTrack(files[1], "102")],
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    scopes = Scopes(services.database)
    async with scopes(DOMAINS[0]) as scope:
        total, items = await recordings.list_recordings(scope, call_id="c1")
    assert total == 2
    assert sorted(i.party or "" for i in items) == ["101", "102"]
    async with scopes(DOMAINS[1]) as scope:
        assert (await recordings.list_recordings(scope))[0] == 0


async def test_recording_settings_are_cached_for_the_plan_lifetime(
    services: VoicemailServices, two_tenants: dict[str, int]
) -> None:
    """The call layer asks on every answered call: a change is seen once the cache expires."""
    host = CallMediaServices(services, services.store.data_dir, cache_seconds=30)
    a = two_tenants[DOMAINS[0]]
    assert await host.recording_plan(a, ["101"]) == RecordingPlan()
    async with services.database.transaction() as session:
        tenant = await tenants.get_tenant(session, DOMAINS[0])
        await tenants.set_recording(session, tenant, record_calls=RecordingMode.ALWAYS)
    assert await host.recording_plan(a, ["101"]) == RecordingPlan()  # still cached
    assert isinstance(services.clock, ManualClock)
    services.clock.advance(31)
    assert await host.recording_plan(a, ["101"]) == RecordingPlan(RecordingMode.ALWAYS)


async def test_recording_notice_setting_and_prompt(
    services: VoicemailServices, two_tenants: dict[str, int]
) -> None:
    host = CallMediaServices(services, services.store.data_dir)
    a, b = (two_tenants[d] for d in DOMAINS)
    async with services.database.transaction() as session:
        tenant = await tenants.get_tenant(session, DOMAINS[0])
        await tenants.set_recording(
            session, tenant, record_calls=RecordingMode.ALWAYS, announce=True
        )
    assert await host.recording_plan(a, ["101"]) == RecordingPlan(
        RecordingMode.ALWAYS, announce=True
    )
    assert (await host.recording_plan(b, ["101"])).announce is False
    notice = await host.recording_notice(a)
    assert notice is not None
    assert notice.exists()
    assert notice.stat().st_size > 8000  # a spoken sentence, not an empty file
