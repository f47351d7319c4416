"""Concurrent browser-style legs (ICE-lite, DTLS-SRTP) bridged to plain RTP through the media
engine, with a lean load generator of our own (aiortc costs ~10 % of a core per call).

Run (numbers go to docs/performance.md, section "WebRTC legs bridged to plain RTP"):

    .venv/bin/python bench/media/webrtc_bench.py --calls 25 50 100 150 200 --seconds 20

Three processes on loopback only:
  * the relay: a `MediaEngine` on uvloop with its ticker running; per call a browser leg (the
    generator's WebRTC offer: `set_remote`, `offer_for`, `answer_for`, as the B2BUA does) and a
    plain-RTP leg, bridged. Centrex answers `a=setup:active` and sends the ClientHello once ICE
    selected the pair (the production code path, no shortcut);
  * the generator: per call a minimal browser (one UDP socket: STUN binding requests with
    USE-CANDIDATE and MESSAGE-INTEGRITY, a DTLS server handshake with pyOpenSSL through
    Centrex's `DtlsSession`, then SRTP with pylibsrtp through `SrtpContext`) and a plain phone
    (one UDP socket, plain RTP). Each sends 50 packets/s of G.711 (160 bytes, 20 ms), sends
    spread over each 20 ms period; each receives the other side's stream, measuring loss and
    RFC 3550 §A.8 jitter. Bounded: calls x 2 x 50 x seconds packets;
  * this orchestrator: passes offers and answers between them, waits until every DTLS
    handshake is done, samples the relay's CPU (/proc/PID/stat) over the sending window.

Loss = 1 - packets received / packets sent, per direction (browser->phone decrypted by Centrex,
phone->browser encrypted by Centrex), after a 1 s drain. Only packets carrying the sender's
payload count as received; anything else the relay sends (`extra`) is counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.media.relay_bench import _cpu_seconds, _raise_nofile, _rss_kib, _sdp  # noqa: E402

_HDR = struct.Struct("!BBHII")


# --- relay process ------------------------------------------------------------------------------


async def relay_main(args: argparse.Namespace) -> None:
    from centrex.clock import SystemClock
    from centrex.media.codecs import default_registry
    from centrex.media.engine import MediaEngine
    from centrex.media.ports import PortPool
    from centrex.media.ticker import Ticker

    clock = SystemClock()
    ticker = Ticker(clock)
    engine = MediaEngine(
        clock=clock,
        ticker=ticker,
        ports=PortPool(args.port_base, args.port_base + 4 * args.calls + 400),
        codecs=default_registry(),
        bind_address=LOOPBACK,
    )
    ticker.start()
    loop = asyncio.get_running_loop()
    setup = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    rss_before = _rss_kib()
    answers = []
    for i, (offer, phone_port) in enumerate(setup):
        a = await engine.allocate(f"a{i}")
        engine.set_remote(a, offer.encode(), signalling_host=LOOPBACK)
        b = await engine.allocate(f"b{i}")
        engine.offer_for(b, offer.encode())
        engine.set_remote(b, _sdp(phone_port, 0))
        answer = engine.answer_for(a, offer.encode(), peer=b).serialize().decode()
        engine.bridge(a, b)
        answers.append([answer, b.rtp_port])
    print(json.dumps({"answers": answers, "rss_before": rss_before, "rss_after": _rss_kib()}))
    sys.stdout.flush()
    await loop.run_in_executor(None, sys.stdin.readline)
    snaps = engine.snapshots()
    rtc = [s.webrtc for s in snaps.values() if s.webrtc is not None]
    print(
        json.dumps(
            {
                "relayed": sum(s.packets_out for s in snaps.values()),
                "dtls_connected": sum(1 for w in rtc if w.dtls_state == "connected"),
                "srtp_auth_failures": sum(w.srtp_auth_failures for w in rtc),
                "srtp_unsent": sum(w.srtp_unsent for w in rtc),
                "ticks_skipped": ticker.skipped,
            }
        )
    )
    sys.stdout.flush()
    ticker.stop()
    await engine.close()


# --- generator process --------------------------------------------------------------------------


def _offer(port: int, ufrag: str, pwd: str, fingerprint: str) -> str:
    """A browser's audio-only offer (RFC 8829 shape: BUNDLE, rtcp-mux, actpass)."""
    return (
        f"v=0\r\no=- {random.getrandbits(40)} 2 IN IP4 {LOOPBACK}\r\ns=-\r\nt=0 0\r\n"
        "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
        f"m=audio {port} UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 {LOOPBACK}\r\n"
        f"a=rtcp:{port} IN IP4 {LOOPBACK}\r\n"
        f"a=candidate:1 1 udp 2130706431 {LOOPBACK} {port} typ host\r\n"
        "a=end-of-candidates\r\n"
        f"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n"
        f"a=fingerprint:sha-256 {fingerprint}\r\na=setup:actpass\r\n"
        "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n"
    )


def _attr(sdp: str, name: str) -> str:
    found = re.search(rf"^a={name}:(.+?)\s*$", sdp, re.MULTILINE)
    if not found:
        raise ValueError(f"answer without a={name}")
    return found.group(1)


class BrowserLeg(asyncio.DatagramProtocol):
    """A minimal browser media stack on one socket: STUN out, DTLS (server), SRTP."""

    def __init__(self, certificate: Any) -> None:
        from centrex.media.jitter import ReceiveStats

        self.certificate = certificate
        self.ufrag = secrets.token_hex(4)
        self.pwd = secrets.token_hex(12)
        self.transport: asyncio.DatagramTransport | None = None
        self.target: tuple[str, int] = (LOOPBACK, 0)
        self.dtls: Any = None
        self.srtp: Any = None
        self.username = b""
        self.key = b""
        self.stats = ReceiveStats(0)
        self.received = 0
        self.extra = 0
        self.payload = b""
        self.undecryptable = 0
        self._now = time.monotonic

    def answer(self, answer: str, port: int) -> None:
        from centrex.media.webrtc.dtls import DtlsSession

        self.target = (LOOPBACK, port)
        remote_ufrag = _attr(answer, "ice-ufrag")
        self.key = _attr(answer, "ice-pwd").encode()
        self.username = f"{remote_ufrag}:{self.ufrag}".encode()  # RFC 8445 §7.2.2
        algorithm, value = _attr(answer, "fingerprint").split(" ", 1)
        if _attr(answer, "setup") != "active":
            raise ValueError("the bench expects Centrex to be the DTLS client")
        self.dtls = DtlsSession(
            self.certificate, client=False, remote_fingerprint=(algorithm, value)
        )

    def check(self) -> None:
        """One ICE connectivity check, nominating the pair (RFC 8445 §7.1.2)."""
        from centrex.media.webrtc.stun import Attr, StunClass, StunMethod, build

        message = build(
            StunMethod.BINDING,
            StunClass.REQUEST,
            secrets.token_bytes(12),
            [
                (Attr.USERNAME, self.username),
                (Attr.PRIORITY, struct.pack("!I", 1845501695)),
                (Attr.ICE_CONTROLLING, secrets.token_bytes(8)),
                (Attr.USE_CANDIDATE, b""),
            ],
            integrity_key=self.key,
        )
        assert self.transport is not None
        self.transport.sendto(message, self.target)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        first = data[0] if data else 0
        if 128 <= first <= 191:
            if self.srtp is None or 192 <= data[1] <= 223:  # SRTCP: not measured
                return
            plain = self.srtp.unprotect(data)
            if plain is None:
                self.undecryptable += 1
                return
            if plain[12:] != self.payload:  # not our stream's packet (the relay's own filler)
                self.extra += 1
                return
            self.received += 1
            _b0, _b1, seq, ts, ssrc = _HDR.unpack_from(plain)
            stats = self.stats
            if ssrc != stats.ssrc:
                stats.ssrc = ssrc
            stats.update(seq, ts, self._now(), len(plain) - 12)
        elif 20 <= first <= 63 and self.dtls is not None:
            out = self.dtls.receive(data)
            assert self.transport is not None
            for datagram in out:
                self.transport.sendto(datagram, self.target)
            if self.dtls.srtp is not None:
                self.srtp = self.dtls.srtp
        # STUN answers (0..3) need nothing: Centrex is ICE-lite, the check is ours


class PlainPhone(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        from centrex.media.jitter import ReceiveStats

        self.stats = ReceiveStats(0)
        self.received = 0
        self.extra = 0
        self.payload = b""
        self.transport: asyncio.DatagramTransport | None = None
        self._now = time.monotonic

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) >= 12 and not 192 <= data[1] <= 223:
            if data[12:] != self.payload:  # not our stream's packet (the relay's own filler)
                self.extra += 1
                return
            self.received += 1
            _b0, _b1, seq, ts, ssrc = _HDR.unpack_from(data)
            if ssrc != self.stats.ssrc:
                self.stats.ssrc = ssrc
            self.stats.update(seq, ts, self._now(), len(data) - 12)


def _summary(sent: int, legs: list[Any]) -> dict[str, float]:
    received = sum(x.received for x in legs)
    jitters = sorted(x.stats.jitter_ms for x in legs)
    return {
        "sent": sent,
        "received": received,
        "loss_pct": 100 * (1 - received / sent) if sent else 0.0,
        "jitter_mean_ms": sum(jitters) / len(jitters),
        "jitter_max_ms": jitters[-1],
    }


async def _open_legs(calls: int) -> tuple[list[BrowserLeg], list[PlainPhone], list[Any]]:
    """One browser socket and one plain phone socket per call, and the offers for the relay."""
    from centrex.media.webrtc.dtls import DtlsCertificate

    loop = asyncio.get_running_loop()
    certificate = DtlsCertificate(common_name="bench-browser")
    browsers: list[BrowserLeg] = []
    phones: list[PlainPhone] = []
    setup = []
    for _ in range(calls):
        browser = BrowserLeg(certificate)
        transport, _ = await loop.create_datagram_endpoint(
            lambda b=browser: b, local_addr=(LOOPBACK, 0)
        )
        browser.transport = transport
        phone = PlainPhone()
        phone.transport, _ = await loop.create_datagram_endpoint(
            lambda p=phone: p, local_addr=(LOOPBACK, 0)
        )
        port = transport.get_extra_info("sockname")[1]
        setup.append([_offer(port, browser.ufrag, browser.pwd, certificate.fingerprint),
                      phone.transport.get_extra_info("sockname")[1]])  # fmt: skip
        browsers.append(browser)
        phones.append(phone)
    return browsers, phones, setup


async def generator_main(args: argparse.Namespace) -> None:
    from centrex.media.codecs import ulaw_encode
    from centrex.media.tones import SineGenerator

    loop = asyncio.get_running_loop()
    browsers, phones, setup = await _open_legs(args.calls)
    print(json.dumps(setup))
    sys.stdout.flush()
    answers = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    for browser, (answer, _b_port) in zip(browsers, answers, strict=True):
        browser.answer(answer, int(re.search(r"^m=audio (\d+)", answer, re.MULTILINE)[1]))  # type: ignore[index]
    phone_targets = [(LOOPBACK, int(b_port)) for _answer, b_port in answers]
    t0 = loop.time()
    for _ in range(int(args.handshake_timeout / 0.25)):  # checks every 250 ms until keyed
        pending = [b for b in browsers if b.srtp is None]
        if not pending:
            break
        for browser in pending:
            browser.check()
        await asyncio.sleep(0.25)
    keyed = sum(1 for b in browsers if b.srtp is not None)
    handshake_s = loop.time() - t0
    print(json.dumps({"keyed": keyed, "handshake_s": handshake_s}))
    sys.stdout.flush()
    await loop.run_in_executor(None, sys.stdin.readline)  # the orchestrator starts its CPU clock

    payload = ulaw_encode(SineGenerator((1000.0,)).next_frame())
    for leg in (*browsers, *phones):
        leg.payload = payload  # what the far side sends: anything else is counted `extra`
    ssrcs = [random.getrandbits(32) for _ in range(2 * args.calls)]
    packets = int(args.seconds * 50)
    slots = 20
    n = args.calls
    sent_browser = sent_phone = 0
    late = 0.0
    start = loop.time() + 0.1
    for k in range(packets * slots):  # bounded: seconds x 50 x 20 iterations
        due = start + k * 0.001
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay)
        index, slot = divmod(k, slots)
        seq = index & 0xFFFF
        ts = (index * 160) & 0xFFFFFFFF
        for i in range(slot, n, slots):
            browser = browsers[i]
            if browser.srtp is not None and browser.transport is not None:
                packet = browser.srtp.protect(_HDR.pack(0x80, 0, seq, ts, ssrcs[i]) + payload)
                if packet is not None:
                    browser.transport.sendto(packet, browser.target)
                    sent_browser += 1
            phone = phones[i]
            if phone.transport is not None:
                phone.transport.sendto(
                    _HDR.pack(0x80, 0, seq, ts, ssrcs[n + i]) + payload, phone_targets[i]
                )
                sent_phone += 1
    await asyncio.sleep(1.0)  # drain
    print(
        json.dumps(
            {
                "to_phone": _summary(sent_browser, phones),
                "to_browser": _summary(sent_phone, browsers),
                "undecryptable": sum(b.undecryptable for b in browsers),
                "extra": sum(x.extra for x in (*browsers, *phones)),
                "generator_max_late_ms": 1000 * late,
            }
        )
    )
    sys.stdout.flush()


# --- orchestrator -------------------------------------------------------------------------------


def _line(process: subprocess.Popen[str]) -> Any:
    assert process.stdout is not None
    text = process.stdout.readline()
    if not text:
        raise RuntimeError(f"{process.args!r} ended early")
    return json.loads(text)


def _send(process: subprocess.Popen[str], value: Any) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(value) + "\n")
    process.stdin.flush()


def run_one(calls: int, seconds: float, loop_name: str, port_base: int) -> dict[str, Any]:
    script = str(Path(__file__).resolve())
    common = ["--calls", str(calls), "--loop", loop_name, "--seconds", str(seconds)]
    relay = subprocess.Popen(
        [sys.executable, script, "relay", *common, "--port-base", str(port_base)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    gen = subprocess.Popen(
        [sys.executable, script, "generate", *common],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        offers = _line(gen)
        _send(relay, offers)
        setup = _line(relay)
        _send(gen, setup["answers"])
        keyed = _line(gen)
        cpu0 = _cpu_seconds(relay.pid)
        gen_cpu0 = _cpu_seconds(gen.pid)
        t0 = time.monotonic()
        _send(gen, "go")
        result = _line(gen)
        elapsed = time.monotonic() - t0 - 1.0  # minus the drain pause
        cpu = _cpu_seconds(relay.pid) - cpu0
        gen_cpu = _cpu_seconds(gen.pid) - gen_cpu0
        rss = _rss_kib(relay.pid)
        _send(relay, "done")
        tail = _line(relay)
        relay.wait(timeout=60)
        gen.wait(timeout=60)
    finally:
        for process in (relay, gen):
            if process.poll() is None:
                process.kill()
                process.wait()
    to_phone, to_browser = result["to_phone"], result["to_browser"]
    return {
        "calls": calls,
        "keyed": keyed["keyed"],
        "handshake_s": keyed["handshake_s"],
        "loss_to_phone_pct": to_phone["loss_pct"],
        "loss_to_browser_pct": to_browser["loss_pct"],
        "jitter_mean_ms": (to_phone["jitter_mean_ms"] + to_browser["jitter_mean_ms"]) / 2,
        "jitter_max_ms": max(to_phone["jitter_max_ms"], to_browser["jitter_max_ms"]),
        "relay_cpu_pct": 100 * cpu / elapsed,
        "cpu_pct_per_call": 100 * cpu / elapsed / calls,
        "cpu_us_per_packet": 1e6 * cpu / max(tail["relayed"], 1),
        "generator_cpu_pct": 100 * gen_cpu / elapsed,
        "rss_mib": rss / 1024,
        "kib_per_call": (rss - setup["rss_before"]) / calls,
        "generator_max_late_ms": result["generator_max_late_ms"],
        "undecryptable": result["undecryptable"],
        "extra": result["extra"],
        **tail,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "relay", "generate"])
    parser.add_argument("--calls", type=int, nargs="+", default=[25, 50, 100, 150, 200])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--port-base", type=int, default=50000)
    parser.add_argument("--handshake-timeout", type=float, default=60.0)
    args = parser.parse_args()
    _raise_nofile()
    if args.mode in ("relay", "generate"):
        args.calls = args.calls[0]
        args.seconds = min(args.seconds, 120.0)
        factory = None
        if args.loop == "uvloop":
            import uvloop

            factory = uvloop.new_event_loop
        coro = relay_main(args) if args.mode == "relay" else generator_main(args)
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(coro)
        return
    if max(args.calls) > 500:
        parser.error("at most 500 calls (the relay's port range is 4 ports per call + 400)")
    print(f"# {args.loop}, {args.seconds:.0f} s per run, {os.cpu_count()} CPUs")
    columns = [
        "calls", "keyed", "handshake_s", "loss_to_phone_pct", "loss_to_browser_pct",
        "jitter_mean_ms", "jitter_max_ms", "relay_cpu_pct", "cpu_pct_per_call",
        "cpu_us_per_packet", "generator_cpu_pct", "rss_mib", "kib_per_call",
        "generator_max_late_ms", "undecryptable", "extra", "srtp_auth_failures", "ticks_skipped",
    ]  # fmt: skip
    print(" | ".join(columns))
    for calls in args.calls:
        row = run_one(calls, args.seconds, args.loop, args.port_base)
        print(" | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c])
                         for c in columns))  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
