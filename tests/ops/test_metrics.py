"""/metrics: the Prometheus text parses, and the series move with what happens: call events on
the bus, a REGISTER, SIP junk per transport, RTP totals, event-loop lag."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from centrex.api.app import create_app
from centrex.clock import ManualClock
from centrex.events import CallEvent, EventBus, RegistrationChanged
from centrex.media.engine import MediaTotals
from centrex.ops.metrics import LoopLagMonitor, Metrics, MetricSources
from centrex.sip.endpoint import SipEndpoint
from centrex.transport import SourceGuard, TransportKind
from tests.registrar.test_register import Harness, make_harness

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, keyed by (name, sorted labels); parsing is the test that
    the text is valid."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


class FakeMedia:
    """What the collector reads of the media engine."""

    def __init__(self) -> None:
        self.now = MediaTotals()

    def totals(self) -> MediaTotals:
        return self.now


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "centrex.db"
    target.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def harness(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, clock) as h:
        yield h


async def scrape(metrics: Metrics) -> str:
    app = create_app(metrics=metrics)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


async def test_call_events_move_the_call_series() -> None:
    bus = EventBus()
    metrics = Metrics(bus)
    metrics.start()
    try:
        before = await scrape(metrics)
        assert value(before, "centrex_active_calls") == 0
        assert value(before, "centrex_calls_refused_total", reason="licence") == 0
        for event in (
            CallEvent(1, call_id="c1", state="started"),
            CallEvent(1, call_id="c2", state="started"),
            CallEvent(2, call_id="c1", state="started"),  # same id, another tenant
            CallEvent(1, call_id="c1", state="ringing"),
            CallEvent(1, call_id="c1", state="answered"),
            CallEvent(1, call_id="c1", state="ended", disposition="answered"),
            CallEvent(1, call_id="c2", state="ended", disposition="no-answer"),
            CallEvent(1, call_id="c3", state="refused", reason="licence"),
            CallEvent(1, call_id="c4", state="refused", reason="licence"),
            RegistrationChanged(1, aor="sip:101@a"),  # not a call: ignored
        ):
            bus.publish(event)
        await asyncio.sleep(0.01)  # the consumer task drains the queue
        text = await scrape(metrics)
    finally:
        await metrics.stop()
    assert value(text, "centrex_active_calls") == 1  # tenant 2's c1
    assert value(text, "centrex_calls_ended_total", disposition="answered") == 1
    assert value(text, "centrex_calls_ended_total", disposition="no-answer") == 1
    assert value(text, "centrex_calls_refused_total", reason="licence") == 2
    assert value(text, "centrex_events_dropped_total") == 0
    assert bus._queues == set()  # stop() unsubscribed


def test_ended_without_a_disposition_and_duplicates() -> None:
    metrics = Metrics(EventBus())
    metrics.observe(CallEvent(1, call_id="x", state="started"))
    metrics.observe(CallEvent(1, call_id="x", state="started"))  # duplicate: still one call
    metrics.observe(CallEvent(1, call_id="x", state="ended"))
    metrics.observe(CallEvent(1, call_id="x", state="ended"))  # late duplicate: never below 0
    text = metrics.render().decode()
    assert value(text, "centrex_active_calls") == 0
    assert value(text, "centrex_calls_ended_total", disposition="unknown") == 2


async def test_a_registration_moves_bindings_and_register_answers(harness: Harness) -> None:
    metrics = Metrics(EventBus(), MetricSources(registrar=harness.registrar))
    before = metrics.render().decode()
    assert value(before, "centrex_registrations") == 0
    assert ("centrex_register_responses_total", (("status", "200"),)) not in samples(before)
    assert (await harness.register("101")).status == 200
    assert (await harness.register("102", password="wrong")).status == 403
    text = metrics.render().decode()
    assert value(text, "centrex_registrations") == 1
    assert value(text, "centrex_register_responses_total", status="401") == 2
    assert value(text, "centrex_register_responses_total", status="200") == 1
    assert value(text, "centrex_register_responses_total", status="403") == 1


def test_sip_drops_and_malformed_per_transport() -> None:
    now = [0.0]
    sip = SipEndpoint()
    guard = SourceGuard(1.0, lambda: now[0], is_banned=lambda host, _t: host == "192.0.2.9")
    metrics = Metrics(EventBus(), MetricSources(sip=sip, guard=guard))
    zero = metrics.render().decode()
    assert value(zero, "centrex_sip_messages_malformed_total", transport="WSS") == 0
    sip.receive(b"\x00 junk", ("192.0.2.1", 5060), "UDP", now=0.0)
    sip.receive(b"\x00 junk", ("192.0.2.1", 5060), "tcp", now=0.0)
    guard.count_malformed(TransportKind.TLS)
    assert not guard.admit("192.0.2.9", TransportKind.WS)
    for _ in range(3):
        guard.admit("192.0.2.1", TransportKind.TCP)  # burst 2: the third is refused
    text = metrics.render().decode()
    assert value(text, "centrex_sip_messages_malformed_total", transport="UDP") == 1
    assert value(text, "centrex_sip_messages_malformed_total", transport="TCP") == 1
    assert value(text, "centrex_sip_messages_malformed_total", transport="TLS") == 1
    assert (
        value(text, "centrex_sip_messages_dropped_total", transport="UDP", reason="unusable") == 1
    )
    assert value(text, "centrex_sip_messages_dropped_total", transport="WS", reason="banned") == 1
    assert value(text, "centrex_sip_messages_dropped_total", transport="TCP", reason="rate") == 1
    assert value(text, "centrex_sip_messages_dropped_total", transport="UDP", reason="rate") == 0
    assert value(text, "centrex_sip_messages_received_total") == 2


def test_rtp_series_read_the_engine_totals_at_scrape_time() -> None:
    media = FakeMedia()
    metrics = Metrics(EventBus(), MetricSources(media=media))  # type: ignore[arg-type]
    media.now = MediaTotals(live_legs=2, packets_in=500, packets_out=480, lost=7, dropped=3)
    text = metrics.render().decode()
    assert value(text, "centrex_media_legs") == 2
    assert value(text, "centrex_rtp_packets_total", direction="in") == 500
    assert value(text, "centrex_rtp_packets_total", direction="out") == 480
    assert value(text, "centrex_rtp_packets_lost_total") == 7
    assert value(text, "centrex_rtp_packets_dropped_total") == 3


async def test_loop_lag_is_how_late_the_sleep_woke() -> None:
    clock = ManualClock()
    seen: list[float] = []

    async def late_sleep(seconds: float) -> None:
        clock.advance(seconds + 0.25)  # woke 250 ms late

    monitor = LoopLagMonitor(seen.append, interval=0.5, clock=clock, sleep=late_sleep)
    assert await monitor.measure() == pytest.approx(0.25)

    async def on_time(seconds: float) -> None:
        clock.advance(seconds)

    on_time_monitor = LoopLagMonitor(seen.append, interval=0.5, clock=clock, sleep=on_time)
    assert await on_time_monitor.measure() == 0.0
    assert seen == [pytest.approx(0.25), 0.0]


async def test_loop_lag_series_in_the_exposition() -> None:
    metrics = Metrics(EventBus(), lag_interval=0.001)
    metrics.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.005)
            if value(metrics.render().decode(), "centrex_event_loop_lag_seconds_count") >= 2:
                break
        text = metrics.render().decode()
    finally:
        await metrics.stop()
    assert value(text, "centrex_event_loop_lag_seconds_count") >= 2
    assert value(text, "centrex_event_loop_lag_last_seconds") >= 0.0


async def test_metrics_is_404_when_not_enabled() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/metrics")).status_code == 404
