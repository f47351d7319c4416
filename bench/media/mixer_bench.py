"""Conference mixing rooms in one Centrex media process, with real RTP on loopback.

Run (numbers go to docs/performance.md, section "Conference mixer"):

    .venv/bin/python bench/media/mixer_bench.py --participants 100 200 300 --seconds 20
    .venv/bin/python bench/media/mixer_bench.py --participants 300 --talkers 1   # one speaker
    .venv/bin/python bench/media/mixer_bench.py micro         # the mixing step alone, no sockets

N participants in rooms of `--room-size` (5): each is a media leg answered with G.711, µ-law
and A-law alternating (so every room mixes both laws), joined to its room with
`MediaEngine.mixing_room().join` on the single 20 ms ticker (uvloop). Three processes:

  * the mixer: the engine, the rooms, the legs;
  * the generator: one UDP socket per participant. `--talkers` participants of every room send a
    continuous tone of their own frequency at 50 packets/s (sends spread over each 20 ms, bounded
    to 50 x seconds per talker); every socket measures what it receives: packets per second,
    largest inter-arrival gap, RFC 3550 jitter, sequence loss, and *audio gaps*: silent frames
    (the law's silence payload) between its first and last voiced frame, counted only for
    participants that have someone to hear (a lone talker hears silence by design);
  * this orchestrator: samples the mixer's CPU time and RSS from /proc and the machine's CPU
    pressure (/proc/pressure/cpu), prints one JSON row per N.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from relay_bench import (  # noqa: E402
    _HDR,
    LOOPBACK,
    _cpu_seconds,
    _raise_nofile,
    _rss_kib,
    _sdp,
)


def _law(i: int) -> int:
    return 0 if i % 2 == 0 else 8  # PCMU, PCMA alternating: every room mixes both laws


def _talks(i: int, room_size: int, talkers: int) -> bool:
    return i % room_size < talkers


def _pressure() -> float:
    """`some avg10` of /proc/pressure/cpu: share of time runnable tasks waited for a CPU."""
    try:
        text = Path("/proc/pressure/cpu").read_text()
    except OSError:
        return -1.0
    return float(text.split()[1].split("=")[1])


async def mixer_main(args: argparse.Namespace) -> None:
    from centrex.clock import SystemClock
    from centrex.media.codecs import default_registry
    from centrex.media.engine import MediaEngine
    from centrex.media.ports import PortPool
    from centrex.media.ticker import Ticker

    clock = SystemClock()
    ticker = Ticker(clock)
    n = args.participants
    engine = MediaEngine(
        clock=clock,
        ticker=ticker,
        ports=PortPool(args.port_base, args.port_base + 2 * n + 200),
        codecs=default_registry(),
        bind_address=LOOPBACK,
    )
    ticker.start()
    # as `Server.start` does once it is built, before any call: the rooms and legs below stay
    # in the collector's reach, as a server's calls do
    gc.freeze()
    rss_before = _rss_kib()
    ports: list[int] = []
    rooms = []
    for i in range(n):
        if i % args.room_size == 0:
            rooms.append(engine.mixing_room(f"room{len(rooms)}"))
        leg = await engine.allocate(f"p{i}")
        offer = _sdp(args.phone_base + 2 * i, _law(i))
        engine.set_remote(leg, offer, signalling_host=LOOPBACK)
        engine.answer_for(leg, offer)
        rooms[-1].join(leg)
        ports.append(leg.rtp_port)
    print(json.dumps({"legs": ports, "rss_before": rss_before}))
    sys.stdout.flush()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    members = [m for room in rooms for m in room.members]
    print(
        json.dumps(
            {
                "rooms": len(rooms),
                "ticks_skipped": ticker.skipped,
                "listener_errors": ticker.listener_errors,
                "input_late": sum(m.buffer.late for m in members),
                "input_overflow": sum(m.buffer.overflow for m in members),
                "input_underruns": sum(m.buffer.underruns for m in members),
                "packets_out": sum(m.sent for m in members),
            }
        )
    )
    ticker.stop()
    await engine.close()


class Phone(asyncio.DatagramProtocol):
    """One participant's socket: counts, gaps, jitter, loss and silent frames received."""

    def __init__(self, silence: bytes, hears_someone: bool) -> None:
        from centrex.media.jitter import ReceiveStats

        self.stats = ReceiveStats(0)
        self.silence = silence
        self.hears_someone = hears_someone
        self.received = 0
        self.first = 0.0
        self.last = 0.0
        self.max_gap = 0.0
        self.voiced = 0
        self.silent_run = 0  # silent frames since the last voiced one
        self.gap_frames = 0
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
        if data[12:] == self.silence:
            self.silent_run += 1
        else:
            if self.voiced:
                self.gap_frames += self.silent_run  # silence between two voiced frames
            self.silent_run = 0
            self.voiced += 1


async def generator_main(args: argparse.Namespace) -> None:
    from centrex.media.codecs import PCMA, PCMU
    from centrex.media.tones import SineGenerator

    loop = asyncio.get_running_loop()
    ports: list[int] = args.leg_ports
    codecs = {0: PCMU, 8: PCMA}
    size, talkers = args.room_size, args.talkers
    phones: list[Phone] = []
    for i, _port in enumerate(ports):
        codec = codecs[_law(i)]
        room = range(i - i % size, min(i - i % size + size, len(ports)))
        hears = any(_talks(j, size, talkers) for j in room if j != i)
        phone = Phone(codec.encode(bytes(320)), hears)
        transport, _ = await loop.create_datagram_endpoint(
            lambda p=phone: p, local_addr=(LOOPBACK, args.phone_base + 2 * i)
        )
        phone.transport = transport
        phones.append(phone)
    # One second of each talker's tone (integer Hz: the second loops without a phase jump).
    tones: dict[tuple[int, int], list[bytes]] = {}
    for pt, codec in codecs.items():
        for slot in range(size):
            gen = SineGenerator((300.0 + 150.0 * slot,), level_dbm0=-16.0)
            tones[pt, slot] = [codec.encode(gen.next_frame()) for _ in range(50)]
    senders = [i for i in range(len(ports)) if _talks(i, size, talkers)]
    ssrcs = {i: random.getrandbits(32) for i in senders}
    gc.freeze()  # the generator's own collections must not make late packets (input underruns)
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
            transport = phones[i].transport
            assert transport is not None
            pt = _law(i)
            header = _HDR.pack(0x80, pt, index & 0xFFFF, (index * 160) & 0xFFFFFFFF, ssrcs[i])
            transport.sendto(header + tones[pt, i % size][index % 50], (LOOPBACK, ports[i]))
            sent += 1
    await asyncio.sleep(0.5)
    rates = sorted(p.received / max(p.last - p.first, 1e-3) for p in phones if p.received > 1)
    gaps = sorted(p.max_gap for p in phones)
    jitters = sorted(p.stats.jitter_ms for p in phones)
    listening = [p for p in phones if p.hears_someone]
    print(
        json.dumps(
            {
                "sent": sent,
                "received": sum(p.received for p in phones),
                "lost": sum(max(p.stats.lost, 0) for p in phones),
                "pps_min": rates[0] if rates else 0.0,
                "pps_median": rates[len(rates) // 2] if rates else 0.0,
                "max_gap_ms": 1000 * gaps[-1] if gaps else 0.0,
                "gap_p99_ms": 1000 * gaps[int(0.99 * (len(gaps) - 1))] if gaps else 0.0,
                "jitter_p99_ms": jitters[int(0.99 * (len(jitters) - 1))] if jitters else 0.0,
                "voiced_frames": sum(p.voiced for p in listening),
                "audio_gap_frames": sum(p.gap_frames for p in listening),
                "listeners_hearing_nothing": sum(1 for p in listening if not p.voiced),
            }
        )
    )
    for phone in phones:
        if phone.transport is not None:
            phone.transport.close()


def run_one(args: argparse.Namespace, participants: int) -> dict[str, float]:
    script = str(Path(__file__).resolve())
    common = ["--room-size", str(args.room_size), "--talkers", str(args.talkers),
              "--phone-base", str(args.phone_base), "--seconds", str(args.seconds)]  # fmt: skip
    mixer = subprocess.Popen(
        [sys.executable, script, "mixer", "--participants", str(participants),
         "--port-base", str(args.port_base), *common],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert mixer.stdout is not None
        assert mixer.stdin is not None
        setup = json.loads(mixer.stdout.readline())
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(setup["legs"], handle)
        pressure0 = _pressure()
        cpu0 = _cpu_seconds(mixer.pid)
        t0 = time.monotonic()
        gen = subprocess.run(
            [sys.executable, script, "generate", "--legs", handle.name, *common],
            capture_output=True, text=True, check=True, timeout=900,
        )  # fmt: skip
        elapsed = time.monotonic() - t0
        cpu = _cpu_seconds(mixer.pid) - cpu0
        pressure1 = _pressure()
        rss = _rss_kib(mixer.pid)
        mixer.stdin.write("\n")
        mixer.stdin.flush()
        tail = json.loads(mixer.stdout.readline())
        mixer.wait(timeout=60)
        Path(handle.name).unlink()
    finally:
        if mixer.poll() is None:
            mixer.kill()
            mixer.wait()
    result = json.loads(gen.stdout.strip().splitlines()[-1])
    return {
        "participants": participants,
        "room_size": args.room_size,
        "talkers_per_room": args.talkers,
        **result,
        **tail,
        "mixer_cpu_s": cpu,
        "elapsed_s": elapsed,
        # one packet out = one participant-tick (its frame in, its mix encoded and sent)
        "cpu_us_per_participant_tick": 1e6 * cpu / max(tail["packets_out"], 1),
        "mixer_cpu_pct": 100 * cpu / elapsed,
        "cpu_ms_per_participant_second": 1000 * cpu / elapsed / participants,
        "rss_mib": rss / 1024,
        "kib_per_participant": (rss - setup["rss_before"]) / participants,
        "cpu_pressure_avg10": [pressure0, pressure1],
    }


def micro(repeats: int = 7, number: int = 500) -> None:
    """One room tick without sockets, as `MixingRoom._on_tick` does it: decode the talkers'
    packets, the mixing step, one encode per distinct mix and law (`room._encode`: a lone
    voice heard goes through a byte table). Best of `repeats` runs (the minimum is the least
    disturbed by other load on a shared machine). On a tree without `room._encode` (before
    2026-12-03) each distinct mix is `codec.encode`d, which is what its room did."""
    import timeit
    from array import array

    from centrex.media.codecs import PCMA, PCMU, Codec
    from centrex.media.mixer import Voice, mix_step
    from centrex.media.pcm import to_samples
    from centrex.media.tones import SineGenerator

    def plain(codec: Codec, mix: array[int], _packet: object) -> bytes:
        return codec.encode(mix.tobytes())

    try:
        from centrex.media.room import _encode as encode
    except ImportError:
        encode = plain  # type: ignore[assignment]
    size = 5
    codecs: list[Codec] = [PCMU if i % 2 == 0 else PCMA for i in range(size)]
    payloads = [
        codecs[i].encode(SineGenerator((300.0 + 150.0 * i,), -16.0).next_frame())
        for i in range(size)
    ]
    voices = {i: Voice() for i in range(size)}

    def tick(talkers: int) -> None:
        frames, packets = {}, {}
        for i in range(talkers):
            frame = frames[i] = to_samples(codecs[i].decode(payloads[i]))
            packets[id(frame)] = (codecs[i], payloads[i])
        mixes = mix_step(voices, frames, drop_quiet=True)
        encoded: dict[tuple[int, str], bytes] = {}
        for i in range(size):
            mix = mixes[i]
            if mix is not None and (id(mix), codecs[i].name) not in encoded:
                encoded[id(mix), codecs[i].name] = encode(codecs[i], mix, packets.get(id(mix)))

    print(json.dumps({"encode": "room._encode" if encode is not plain else "codec.encode"}))
    for talkers in (size, 2, 1, 0):
        best = min(timeit.repeat(lambda t=talkers: tick(t), repeat=repeats, number=number))
        per = 1e6 * best / number
        row = {"talkers_per_room": talkers, "room_tick_us": per, "per_participant_us": per / size}
        print(json.dumps(row))
    mix = to_samples(PCMU.decode(payloads[0]))
    for name, call in (("codec", plain), ("room", encode)):
        best = min(timeit.repeat(lambda c=call: c(PCMU, mix, None), repeat=repeats, number=2000))
        print(json.dumps({f"g711_encode_us_{name}": 1e6 * best / 2000}))


async def ticks_main(args: argparse.Namespace) -> None:
    """The real rooms and legs, without the ticker or a generator: each tick every talker's
    packet goes into its member's tap (`RoomMember._tap`, as the leg's receive path does), then
    every room's `_on_tick` runs (playout, mix, encode, header, `sendto` to one sink socket that
    never reads). CPU time of the process (`time.process_time`) over `--ticks` ticks, so the
    figure is the room's own work, much less disturbed by other load than the loopback run
    (no receive syscalls: those are in the loopback figures)."""
    import socket

    from centrex.clock import SystemClock
    from centrex.media.codecs import PCMA, PCMU, default_registry
    from centrex.media.engine import MediaEngine
    from centrex.media.ports import PortPool
    from centrex.media.ticker import Ticker
    from centrex.media.tones import SineGenerator

    clock = SystemClock()
    n = args.participants
    engine = MediaEngine(  # its ticker is never started: the ticks are driven here
        clock=clock, ticker=Ticker(clock),
        ports=PortPool(args.port_base, args.port_base + 2 * n + 200),
        codecs=default_registry(), bind_address=LOOPBACK,
    )  # fmt: skip
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind((LOOPBACK, 0))
    sink_port = sink.getsockname()[1]
    rooms, talkers = [], []
    codecs = {0: PCMU, 8: PCMA}
    for i in range(n):
        if i % args.room_size == 0:
            rooms.append(engine.mixing_room(f"room{len(rooms)}"))
        leg = await engine.allocate(f"p{i}")
        offer = _sdp(sink_port, _law(i))
        engine.set_remote(leg, offer, signalling_host=LOOPBACK)
        engine.answer_for(leg, offer)
        member = rooms[-1].join(leg)
        if _talks(i, args.room_size, args.talkers):
            gen = SineGenerator((300.0 + 150.0 * (i % args.room_size),), level_dbm0=-16.0)
            tone = [codecs[_law(i)].encode(gen.next_frame()) for _ in range(50)]
            talkers.append((member, _law(i), tone))
    ssrc = random.getrandbits(32)

    def run(count: int, first: int) -> None:
        for k in range(first, first + count):
            for member, pt, tone in talkers:
                packet = _HDR.pack(0x80, pt, k & 0xFFFF, (k * 160) & 0xFFFFFFFF, ssrc)
                member._tap(packet + tone[k % 50], pt, k * 160)
            now = clock.monotonic()
            for room in rooms:
                room._on_tick(now)

    run(10, 0)  # primed playout buffers, warm caches
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run(args.ticks, 10)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    members = [m for room in rooms for m in room.members]
    print(json.dumps({
        "participants": n, "talkers_per_room": args.talkers, "ticks": args.ticks,
        "cpu_s": cpu, "wall_s": wall, "sent": sum(m.sent for m in members),
        "cpu_us_per_participant_tick": 1e6 * cpu / (n * args.ticks),
        "cpu_pct_at_50_ticks_per_s": 100 * cpu / (n * args.ticks) * n * 50,
        "cpu_pressure_avg10": _pressure(),
    }))  # fmt: skip
    sink.close()
    await engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument(
        "mode", nargs="?", default="run", choices=["run", "mixer", "generate", "micro", "ticks"]
    )
    parser.add_argument("--participants", type=int, nargs="+", default=[100, 200, 300])
    parser.add_argument("--room-size", type=int, default=5)
    parser.add_argument("--talkers", type=int, default=5, help="talkers per room")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port-base", type=int, default=20000)
    parser.add_argument("--phone-base", type=int, default=26000)
    parser.add_argument("--legs", default="")
    parser.add_argument("--ticks", type=int, default=500, help="ticks mode: ticks timed")
    args = parser.parse_args()
    _raise_nofile()
    if args.mode == "micro":
        micro()
        return
    if args.mode != "run":
        import uvloop

        args.participants = args.participants[0]
        args.seconds = min(args.seconds, 120.0)
        if args.mode == "generate":
            args.leg_ports = json.loads(Path(args.legs).read_text())
        coro = {"mixer": mixer_main, "generate": generator_main, "ticks": ticks_main}[args.mode](
            args
        )
        profile = os.environ.get("MIXER_BENCH_PROFILE") if args.mode == "mixer" else None
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            if profile:  # MIXER_BENCH_PROFILE=/tmp/mixer.prof: cProfile of the mixer process
                import cProfile

                cProfile.runctx("runner.run(coro)", globals(), locals(), profile)
            else:
                runner.run(coro)
        return
    for participants in args.participants:
        row = run_one(args, participants)
        print(json.dumps(row), flush=True)
        time.sleep(2)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
