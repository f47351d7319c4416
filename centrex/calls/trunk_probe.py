"""One SIP OPTIONS ping to a carrier trunk, for the provider's "test" button.

Why a short-lived socket of its own rather than the server's SIP endpoint: the portal may run in
a process without SIP transports (the API app alone, tests), and a test must never disturb the
server's transactions. The request is a real OPTIONS (RFC 3261 §11) built by the SIP core's
`build_options`, sent over the trunk's transport from an ephemeral local port; over UDP it is
retransmitted as a non-INVITE client transaction would (§17.1.2.2: Timer E starts at T1 and
doubles up to T2) until a final answer arrives or the probe's time is up. A provisional answer
(1xx) keeps the probe waiting; any final answer, even 404 or 503, proves the carrier alive and is
reported with the round-trip time from the first send. No answer in time is a timeout; an ICMP
"port unreachable" seen meanwhile is reported with it (the port is closed, not just slow).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from centrex.sip.builders import (
    build_options,
    generate_branch,
    generate_call_id,
    generate_tag,
    make_via,
)
from centrex.sip.errors import SipParseError
from centrex.sip.framing import StreamFramer
from centrex.sip.headers import NameAddr
from centrex.sip.message import Request, Response, parse_message
from centrex.sip.timers import TimerConfig
from centrex.sip.uri import parse_uri

DEFAULT_TIMEOUT_S = 4.0
TRANSPORTS = ("udp", "tcp", "tls")
TIMERS = TimerConfig()  # T1 = 0.5 s, T2 = 4 s


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What the ping found: a final status with its round trip, or why there was none."""

    target: str  # "udp:carrier.example:5060"
    status: int | None = None
    reason: str = ""
    rtt_ms: float | None = None
    timed_out: bool = False
    unreachable: bool = False  # ICMP port unreachable (UDP) or connection refused (TCP/TLS)
    error: str | None = None  # the host does not resolve, TLS failed...

    @property
    def answered(self) -> bool:
        return self.status is not None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _options(host: str, port: int, transport: str, local: tuple[str, int]) -> Request:
    scheme = "sips" if transport == "tls" else "sip"
    suffix = ";transport=tcp" if transport == "tcp" else ""
    uri = parse_uri(f"{scheme}:{_bracket(host)}:{port}{suffix}")
    local_host = str(local[0])
    me = parse_uri(f"sip:centrex-probe@{_bracket(local_host)}")
    return build_options(
        uri,
        from_=NameAddr(me, params=(("tag", generate_tag()),)),
        to=NameAddr(parse_uri(f"{scheme}:{_bracket(host)}")),
        call_id=generate_call_id(local_host),
        cseq=1,
        via=make_via(local_host, int(local[1]), transport.upper(), generate_branch()),
    )


def _answer_to(request: Request, data: bytes) -> Response | None:
    """`data` parsed if it is a response to `request` (same branch, Call-ID and CSeq method)."""
    try:
        message = parse_message(data)
    except SipParseError:
        return None
    if not isinstance(message, Response):
        return None
    mine, theirs = request.top_via, message.top_via
    cseq = message.cseq
    if mine is None or theirs is None or theirs.branch != mine.branch:
        return None
    if message.call_id != request.call_id or cseq is None or cseq.method != "OPTIONS":
        return None
    return message


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.refused = False

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.received.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError):
            self.refused = True


async def options_ping(
    host: str,
    port: int,
    transport: str = "udp",
    *,
    monotonic: Callable[[], float],
    wait_s: float = DEFAULT_TIMEOUT_S,
) -> ProbeResult:
    """Send one OPTIONS to `host:port` over `transport` and wait up to `wait_s` seconds."""
    transport = transport.lower()
    target = f"{transport}:{host}:{port}"
    if transport not in TRANSPORTS:
        return ProbeResult(target, error=f"transport {transport!r} is not udp, tcp or tls")
    if transport == "udp":
        return await _udp(host, port, target, monotonic, wait_s)
    return await _stream(host, port, transport, target, monotonic, wait_s)


async def _udp(
    host: str, port: int, target: str, monotonic: Callable[[], float], wait_s: float
) -> ProbeResult:
    loop = asyncio.get_running_loop()
    try:
        sock, proto = await loop.create_datagram_endpoint(_Datagrams, remote_addr=(host, port))
    except OSError as exc:
        return ProbeResult(target, error=f"{host} cannot be reached: {exc.strerror or exc}")
    try:
        request = _options(host, port, "udp", sock.get_extra_info("sockname"))
        wire = request.serialize()
        started = monotonic()
        deadline = started + wait_s
        interval = TIMERS.t1
        next_send = started
        while True:
            now = monotonic()
            if now >= deadline:
                return ProbeResult(target, timed_out=True, unreachable=proto.refused)
            if now >= next_send:
                sock.sendto(wire)  # §17.1.2.2: Timer E, T1 doubling up to T2
                next_send = now + interval
                interval = min(interval * 2, TIMERS.t2)
            wait = max(0.0, min(next_send, deadline) - now)
            try:
                data = await asyncio.wait_for(proto.received.get(), wait)
            except TimeoutError:
                continue
            answer = _answer_to(request, data)
            if answer is not None and answer.status >= 200:
                rtt = (monotonic() - started) * 1000.0
                return ProbeResult(target, answer.status, answer.reason, round(rtt, 1))
    finally:
        sock.close()


async def _stream(
    host: str,
    port: int,
    transport: str,
    target: str,
    monotonic: Callable[[], float],
    wait_s: float,
) -> ProbeResult:
    started = monotonic()
    context = ssl.create_default_context() if transport == "tls" else None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host, port, ssl=context, server_hostname=host if context else None
            ),
            wait_s,
        )
    except TimeoutError:
        return ProbeResult(target, timed_out=True)
    except ConnectionRefusedError:
        return ProbeResult(target, unreachable=True, error="connection refused")
    except (OSError, ssl.SSLError) as exc:
        return ProbeResult(target, error=f"{host} cannot be reached: {exc}")
    try:
        request = _options(host, port, transport, writer.get_extra_info("sockname"))
        writer.write(request.serialize())
        framer = StreamFramer()
        while True:
            left = started + wait_s - monotonic()
            if left <= 0:
                return ProbeResult(target, timed_out=True)
            try:
                data = await asyncio.wait_for(reader.read(65536), left)
            except TimeoutError:
                return ProbeResult(target, timed_out=True)
            if not data:
                return ProbeResult(target, error="the carrier closed the connection")
            try:
                messages = framer.feed(data)
            except SipParseError as exc:
                return ProbeResult(target, error=f"unreadable answer: {exc}")
            for raw in messages:
                answer = _answer_to(request, raw)
                if answer is not None and answer.status >= 200:
                    rtt = (monotonic() - started) * 1000.0
                    return ProbeResult(target, answer.status, answer.reason, round(rtt, 1))
    except OSError as exc:
        return ProbeResult(target, error=f"connection failed: {exc}")
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
