"""Prometheus metrics for one Centrex process (served as text at /metrics).

Two kinds of series, by where the truth lives:

* **Read at scrape time** by `LiveCollector` from counters the layers already keep: bindings
  and REGISTER answers (registrar), SIP messages dropped or malformed per transport (source
  guard, transports, SIP core), RTP packets and loss (media engine totals). Nothing is updated
  per packet or per message: the RTP relay and the SIP receive path stay as lean as they are
  (DESIGN.md habit 11), and a scrape costs one pass over live media legs.
* **Counted from events** on the in-process `EventBus`: calls by disposition, refusals (licence),
  active calls. Active calls are a set of call ids, so a duplicate or missing "started" cannot
  drive the gauge negative.

Plus the event-loop lag: a task sleeps `interval` seconds and records how late it woke, the
first sign of a loop blocked by slow work (a late media tick means audio gaps).

Everything hangs off one `Metrics` object with its own `CollectorRegistry` (no module-level
registry: habit 8); `server.py` builds it and hands it to `create_app`. Series carry no tenant
label: per-tenant numbers belong to the tenant-scoped API, and /metrics reveals nothing about
any one tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from centrex.clock import Clock, SystemClock
from centrex.events import CallEvent, Event, EventBus
from centrex.media.engine import MediaEngine
from centrex.registrar import Registrar
from centrex.sip.endpoint import SipEndpoint
from centrex.transport import SourceGuard, TransportKind

log = logging.getLogger(__name__)

# The classic text format every Prometheus reads (our names need none of 1.0.0's UTF-8).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
GUARD_REASONS = ("rate", "banned", "oversize")
CORE_REASON = "unusable"  # parsed or not, the SIP core could neither answer nor use it
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass(frozen=True, slots=True)
class MetricSources:
    """The live objects read at scrape time; any may be absent (API-only process, tests)."""

    registrar: Registrar | None = None
    sip: SipEndpoint | None = None
    guard: SourceGuard | None = None
    media: MediaEngine | None = None


class LiveCollector(Collector):
    """Builds the scrape-time series from the sources' own counters."""

    def __init__(self, sources: MetricSources, active_calls: Callable[[], int], bus: EventBus):
        self._sources = sources
        self._active_calls = active_calls
        self._bus = bus

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "centrex_active_calls", "Calls in progress", value=self._active_calls()
        )
        yield CounterMetricFamily(
            "centrex_events_dropped",
            "Platform events a slow subscriber lost (event-counted series undercount)",
            value=self._bus.dropped,
        )
        yield from self._registrations()
        yield from self._sip()
        yield from self._rtp()

    def _registrations(self) -> Iterator[Metric]:
        registrar = self._sources.registrar
        if registrar is None:
            return
        yield GaugeMetricFamily(
            "centrex_registrations",
            "Current registration bindings (contacts), all tenants",
            value=len(registrar.location),
        )
        answers = CounterMetricFamily(
            "centrex_register_responses", "REGISTER requests answered, by status", labels=["status"]
        )
        for status, count in sorted(registrar.outcomes.items()):
            answers.add_metric([str(status)], count)
        yield answers

    def _sip(self) -> Iterator[Metric]:
        sip, guard = self._sources.sip, self._sources.guard
        if sip is None and guard is None:
            return
        malformed = CounterMetricFamily(
            "centrex_sip_messages_malformed",
            "SIP messages that could not be parsed or framed, by transport",
            labels=["transport"],
        )
        dropped = CounterMetricFamily(
            "centrex_sip_messages_dropped",
            "SIP messages dropped unanswered, by transport and reason",
            labels=["transport", "reason"],
        )
        for kind in TransportKind:
            name = kind.value
            bad = 0
            if sip is not None:
                bad += sip.stats.malformed_by_transport.get(name, 0)
                dropped.add_metric([name, CORE_REASON], sip.stats.dropped_by_transport.get(name, 0))
            if guard is not None:
                bad += guard.malformed.get(name, 0)
                for reason in GUARD_REASONS:
                    dropped.add_metric([name, reason], guard.drops.get((name, reason), 0))
            malformed.add_metric([name], bad)
        yield malformed
        yield dropped
        if sip is not None:
            yield CounterMetricFamily(
                "centrex_sip_messages_received",
                "SIP messages received (all transports)",
                value=sip.stats.received,
            )

    def _rtp(self) -> Iterator[Metric]:
        media = self._sources.media
        if media is None:
            return
        totals = media.totals()
        yield GaugeMetricFamily("centrex_media_legs", "Open RTP legs", value=totals.live_legs)
        packets = CounterMetricFamily(
            "centrex_rtp_packets", "RTP packets, by direction", labels=["direction"]
        )
        packets.add_metric(["in"], totals.packets_in)
        packets.add_metric(["out"], totals.packets_out)
        yield packets
        yield CounterMetricFamily(
            "centrex_rtp_packets_lost",
            "RTP packets lost on the way to us (RFC 3550 §A.3 cumulative loss)",
            value=totals.lost,
        )
        yield CounterMetricFamily(
            "centrex_rtp_packets_dropped",
            "RTP packets received but not used (garbage, no route for the payload type)",
            value=totals.dropped,
        )


class LoopLagMonitor:
    """Sleeps `interval`, measures how late it woke, reports the lag (never negative)."""

    def __init__(
        self,
        report: Callable[[float], None],
        *,
        interval: float = 0.5,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._report = report
        self._interval = interval
        self._clock = clock or SystemClock()
        self._sleep = sleep

    async def measure(self) -> float:
        """One sleep; returns (and reports) its lag in seconds."""
        start = self._clock.monotonic()
        await self._sleep(self._interval)
        lag = max(0.0, self._clock.monotonic() - start - self._interval)
        self._report(lag)
        return lag

    async def run(self) -> None:
        while True:
            await self.measure()


class Metrics:
    """The process's metrics: its registry, the event counters and the lag monitor."""

    def __init__(
        self,
        bus: EventBus,
        sources: MetricSources | None = None,
        *,
        clock: Clock | None = None,
        lag_interval: float = 0.5,
    ) -> None:
        self.registry = CollectorRegistry()
        self._bus = bus
        self._active: set[tuple[int | None, str]] = set()
        self.calls_ended = Counter(
            "centrex_calls_ended",
            "Calls ended, by disposition (the CDR's)",
            ["disposition"],
            registry=self.registry,
        )
        self.calls_refused = Counter(
            "centrex_calls_refused",
            "Calls refused before they started, by reason (licence: the tenant's maximum "
            "of simultaneous calls was reached)",
            ["reason"],
            registry=self.registry,
        )
        self.calls_refused.labels("licence")  # present at 0 from the start
        self.loop_lag = Histogram(
            "centrex_event_loop_lag_seconds",
            "How late a periodic sleep on the event loop woke up",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.loop_lag_last = Gauge(
            "centrex_event_loop_lag_last_seconds",
            "The latest event-loop lag measured",
            registry=self.registry,
        )
        self.registry.register(LiveCollector(sources or MetricSources(), self.active_calls, bus))
        self.lag_monitor = LoopLagMonitor(self._lag, interval=lag_interval, clock=clock)
        self._tasks: list[asyncio.Task[None]] = []
        self._queue: asyncio.Queue[Event] | None = None

    # ---- events ---------------------------------------------------------------------------
    def observe(self, event: Event) -> None:
        """Count one platform event (the consumer task calls this; tests may too)."""
        if not isinstance(event, CallEvent):
            return
        key = (event.tenant_id, event.call_id)
        if event.state == "started":
            self._active.add(key)
        elif event.state == "ended":
            self._active.discard(key)
            self.calls_ended.labels(event.disposition or "unknown").inc()
        elif event.state == "refused":
            self._active.discard(key)
            self.calls_refused.labels(event.reason or "unknown").inc()

    def active_calls(self) -> int:
        return len(self._active)

    def _lag(self, seconds: float) -> None:
        self.loop_lag.observe(seconds)
        self.loop_lag_last.set(seconds)

    async def _consume(self, queue: asyncio.Queue[Event]) -> None:
        while True:
            self.observe(await queue.get())

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe to the bus and start the lag monitor (in the running loop)."""
        if self._tasks:
            return
        self._queue = self._bus.subscribe()
        self._tasks = [
            asyncio.create_task(self._consume(self._queue)),
            asyncio.create_task(self.lag_monitor.run()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._queue is not None:
            self._bus.unsubscribe(self._queue)
            self._queue = None

    # ---- exposition -----------------------------------------------------------------------
    def render(self) -> bytes:
        """The Prometheus text exposition format (version 0.0.4), `CONTENT_TYPE`."""
        return generate_latest(self.registry)
