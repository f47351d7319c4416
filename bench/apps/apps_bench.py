"""Concurrent voicemail recordings and IVR prompt sessions in one Centrex media process.

Run (numbers go to docs/performance.md, section "Media applications"):

    .venv/bin/python bench/apps/apps_bench.py --sessions 50 100 200 --seconds 20

Half the sessions are "IVR": an app `Channel` plays a prompt (a 60 s spoken-length PCM) to a
phone; the other half are "voicemail": a `Channel` records what a phone sends (a continuous
1000 Hz tone, 50 packets/s). It is the same code path the apps use (`Channel.play`,
`Channel.record` on the media engine and its single 20 ms ticker), without SIP or the database,
so what is measured is the media side. Two processes on loopback only:

  * the app process: `MediaEngine` on uvloop, N channels answered, plays and recordings started;
  * the generator: one UDP socket per session. For IVR sessions it measures what arrives:
    packets per second per session (the goal is 50), the largest inter-arrival gap, RFC 3550
    jitter. For voicemail sessions it sends the tone, bounded to 50 x seconds packets.

After the run the app process checks every recording: frames written (50 per second expected)
and *gaps*, i.e. silent 20 ms frames between the first and the last frame of tone (a frame the
ticker had to write before its packet came). The orchestrator samples CPU time and RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "media"))
sys.path.insert(0, str(HERE.parents[1]))

from relay_bench import (  # noqa: E402
    _HDR,
    LOOPBACK,
    _cpu_seconds,
    _raise_nofile,
    _rss_kib,
    _sdp,
)


async def app_main(args: argparse.Namespace) -> None:
    from centrex.clock import SystemClock
    from centrex.media.channel import Channel
    from centrex.media.codecs import default_registry
    from centrex.media.engine import MediaEngine
    from centrex.media.ports import PortPool
    from centrex.media.ticker import Ticker
    from centrex.media.tones import SineGenerator

    clock = SystemClock()
    ticker = Ticker(clock)
    engine = MediaEngine(
        clock=clock,
        ticker=ticker,
        ports=PortPool(args.port_base, args.port_base + 2 * args.sessions + 200),
        codecs=default_registry(),
        bind_address=LOOPBACK,
    )
    ticker.start()
    rss_before = _rss_kib()
    work = Path(tempfile.mkdtemp(prefix="centrex-appbench-"))
    # a "prompt": 60 s of a 440 Hz tone stands in for speech (same cost: PCM frames encoded)
    gen = SineGenerator((440.0,))
    prompt = b"".join(gen.next_frame() for _ in range(50 * 60))
    legs: list[int] = []
    tasks: list[asyncio.Task[object]] = []
    recordings: list[Path] = []

    async def noop() -> None:
        return None

    for i in range(args.sessions):
        leg = await engine.allocate(f"s{i}")
        offer = _sdp(args.phone_base + 2 * i, 0)
        engine.set_remote(leg, offer, signalling_host=LOOPBACK)
        engine.answer_for(leg, offer)
        channel = Channel(engine, leg, on_answer=noop, on_hangup=noop)
        await channel.answer()
        if i % 2 == 0:
            tasks.append(asyncio.create_task(channel.play(prompt, max_seconds=args.seconds + 5)))
        else:
            path = work / f"vm{i}.wav"
            recordings.append(path)
            tasks.append(asyncio.create_task(channel.record(path, max_seconds=args.seconds + 5)))
        legs.append(leg.rtp_port)
    print(json.dumps({"legs": legs, "rss_before": rss_before, "rss_after": _rss_kib()}))
    sys.stdout.flush()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for leg in list(engine.legs.values()):
        engine.release(leg)
    await asyncio.wait(tasks, timeout=10)
    frames = gaps = span = 0
    worst = 0
    for path in recordings:
        with wave.open(str(path), "rb") as source:
            data = source.readframes(source.getnframes())
        chunk = [data[k : k + 320] for k in range(0, len(data) - 319, 320)]
        silent = [c.count(0) > 300 for c in chunk]
        voiced = [k for k, s in enumerate(silent) if not s]
        frames += len(chunk)
        if voiced:
            inner = sum(silent[voiced[0] : voiced[-1] + 1])
            span += voiced[-1] - voiced[0] + 1
            gaps += inner
            worst = max(worst, inner)
    print(
        json.dumps(
            {
                "recordings": len(recordings),
                "recorded_frames": frames,
                "tone_span_frames": span,
                "gap_frames": gaps,
                "worst_gap_frames": worst,
                "ticks_skipped": ticker.skipped,
            }
        )
    )
    ticker.stop()
    await engine.close()


class GenLeg(asyncio.DatagramProtocol):
    """Receives a session's RTP: count, largest inter-arrival gap, RFC 3550 jitter."""

    def __init__(self) -> None:
        from centrex.media.jitter import ReceiveStats

        self.stats = ReceiveStats(0)
        self.received = 0
        self.first = 0.0
        self.last = 0.0
        self.max_gap = 0.0
        self.transport: asyncio.DatagramTransport | None = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or 192 <= data[1] <= 223:  # RTP only
            return
        now = time.monotonic()
        if self.received:
            self.max_gap = max(self.max_gap, now - self.last)
        else:
            self.first = now
        self.last = now
        self.received += 1
        _b0, _b1, seq, ts, ssrc = _HDR.unpack_from(data)
        if ssrc != self.stats.ssrc:
            self.stats.ssrc = ssrc
        self.stats.update(seq, ts, now, len(data) - 12)


async def generator_main(args: argparse.Namespace) -> None:
    from centrex.media.codecs import ulaw_encode
    from centrex.media.tones import SineGenerator

    loop = asyncio.get_running_loop()
    legs: list[GenLeg] = []
    ports: list[int] = args.leg_ports
    for i, _port in enumerate(ports):
        leg = GenLeg()
        transport, _ = await loop.create_datagram_endpoint(
            lambda p=leg: p, local_addr=(LOOPBACK, args.phone_base + 2 * i)
        )
        leg.transport = transport
        legs.append(leg)
    payload = ulaw_encode(SineGenerator((1000.0,)).next_frame())
    senders = [i for i in range(len(legs)) if i % 2 == 1]
    ssrcs = {i: random.getrandbits(32) for i in senders}
    packets = int(args.seconds * 50)
    slots = 20
    start = loop.time() + 0.2
    sent = 0
    for k in range(packets * slots):  # bounded: seconds x 50 x 20 iterations
        delay = start + k * 0.001 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        index, slot = divmod(k, slots)
        for j in range(slot, len(senders), slots):
            i = senders[j]
            transport = legs[i].transport
            assert transport is not None
            header = _HDR.pack(0x80, 0, index & 0xFFFF, (index * 160) & 0xFFFFFFFF, ssrcs[i])
            transport.sendto(header + payload, (LOOPBACK, ports[i]))
            sent += 1
    await asyncio.sleep(0.5)
    listeners = [legs[i] for i in range(len(legs)) if i % 2 == 0]
    rates = sorted(p.received / max(p.last - p.first, 1e-3) for p in listeners if p.received > 1)
    gaps = sorted(p.max_gap for p in listeners)
    jitters = sorted(p.stats.jitter_ms for p in listeners)
    print(
        json.dumps(
            {
                "sent": sent,
                "ivr_sessions": len(listeners),
                "ivr_pps_min": rates[0] if rates else 0.0,
                "ivr_pps_median": rates[len(rates) // 2] if rates else 0.0,
                "ivr_max_gap_ms": 1000 * gaps[-1] if gaps else 0.0,
                "ivr_gap_p99_ms": 1000 * gaps[int(0.99 * (len(gaps) - 1))] if gaps else 0.0,
                "ivr_jitter_p99_ms": jitters[int(0.99 * (len(jitters) - 1))] if jitters else 0.0,
            }
        )
    )
    for leg in legs:
        if leg.transport is not None:
            leg.transport.close()


def run_one(sessions: int, seconds: float) -> dict[str, float]:
    script = str(Path(__file__).resolve())
    port_base, phone_base = 10000, 16000
    app = subprocess.Popen(
        [sys.executable, script, "app", "--sessions", str(sessions), "--port-base",
         str(port_base), "--phone-base", str(phone_base), "--seconds", str(seconds)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert app.stdout is not None
        assert app.stdin is not None
        setup = json.loads(app.stdout.readline())
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(setup["legs"], handle)
        cpu0 = _cpu_seconds(app.pid)
        t0 = time.monotonic()
        gen = subprocess.run(
            [sys.executable, script, "generate", "--legs", handle.name, "--seconds",
             str(seconds), "--phone-base", str(phone_base)],
            capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
        elapsed = time.monotonic() - t0
        cpu = _cpu_seconds(app.pid) - cpu0
        rss = _rss_kib(app.pid)
        app.stdin.write("\n")
        app.stdin.flush()
        tail = json.loads(app.stdout.readline())
        app.wait(timeout=60)
        Path(handle.name).unlink()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    result = json.loads(gen.stdout.strip().splitlines()[-1])
    expected = tail["recordings"] * 50 * seconds
    return {
        "sessions": sessions,
        **result,
        **tail,
        # frames from the first to the last frame of tone, against 50 per second sent
        "tone_span_vs_sent_pct": 100 * tail["tone_span_frames"] / max(expected, 1),
        "cpu_pct": 100 * cpu / elapsed,
        "cpu_pct_per_session": 100 * cpu / elapsed / sessions,
        "rss_mib": rss / 1024,
        "kib_per_session": (rss - setup["rss_before"]) / sessions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "app", "generate"])
    parser.add_argument("--sessions", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port-base", type=int, default=10000)
    parser.add_argument("--phone-base", type=int, default=16000)
    parser.add_argument("--legs", default="")
    args = parser.parse_args()
    _raise_nofile()
    if args.mode != "run":
        import uvloop

        args.sessions = args.sessions[0]
        args.seconds = min(args.seconds, 120.0)
        if args.mode == "generate":
            args.leg_ports = json.loads(Path(args.legs).read_text())
        coro = app_main(args) if args.mode == "app" else generator_main(args)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(coro)
        return
    for sessions in args.sessions:
        row = run_one(sessions, args.seconds)
        print(json.dumps(row), flush=True)
        time.sleep(2)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
