"""Fake phones for the media engine tests: plain asyncio UDP sockets on loopback.

Every wait is bounded (a few seconds) and waits for a *count*, never for a duration: the tests
assert what arrived, never how fast (DESIGN.md habit 11).
"""

from __future__ import annotations

import asyncio
import random

from centrex.clock import ManualClock
from centrex.media.codecs import default_registry
from centrex.media.engine import MediaEngine
from centrex.media.ports import PortPool
from centrex.media.rtp import RtpPacket
from centrex.media.session import LatchPolicy, MediaLeg
from centrex.media.ticker import Ticker

LOOPBACK = "127.0.0.1"
WAIT_S = 5.0

_NAMES = {0: "PCMU", 8: "PCMA", 9: "G722", 18: "G729"}


class Phone(asyncio.DatagramProtocol):
    """A UDP socket that records what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, tuple[str, int]]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self._arrived = asyncio.Event()

    @classmethod
    async def open(cls, host: str = LOOPBACK) -> Phone:
        loop = asyncio.get_running_loop()
        phone = cls()
        transport, _ = await loop.create_datagram_endpoint(lambda: phone, local_addr=(host, 0))
        phone.transport = transport
        return phone

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    @property
    def port(self) -> int:
        return self.address[1]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append((data, addr))
        self._arrived.set()

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)

    def packets(self) -> list[RtpPacket]:
        return [RtpPacket.parse(d) for d, _ in self.received]

    async def wait_for(self, count: int, limit: float = WAIT_S) -> list[RtpPacket]:
        async def until() -> None:
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(until(), limit)
        return self.packets()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def wait_until(predicate: object, limit: float = WAIT_S) -> None:
    """Poll a zero-argument predicate (bounded), yielding to the loop between checks."""
    assert callable(predicate)
    for _ in range(int(limit / 0.002)):
        if predicate():
            return
        await asyncio.sleep(0.002)
    raise TimeoutError("condition not reached")


def sdp(
    port: int,
    payload_types: tuple[int, ...] = (0,),
    *,
    te: int | None = 101,
    direction: str = "sendrecv",
    address: str = LOOPBACK,
    extra: str = "",
) -> bytes:
    """A phone's SDP with static G.711 payload types and optional telephone-event."""
    formats = [str(pt) for pt in payload_types] + ([str(te)] if te is not None else [])
    lines = [
        "v=0",
        f"o=phone 1 1 IN IP4 {address}",
        "s=-",
        f"c=IN IP4 {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(formats)}",
    ]
    lines += [f"a=rtpmap:{pt} {_NAMES[pt]}/8000" for pt in payload_types]
    if te is not None:
        lines += [f"a=rtpmap:{te} telephone-event/8000", f"a=fmtp:{te} 0-16"]
    lines += ["a=ptime:20", f"a={direction}"]
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + "\r\n").encode()


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    return RtpPacket(pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc, payload, marker).serialize()


def make_engine(
    *, pairs: int = 40, latch_policy: LatchPolicy = LatchPolicy.EXPECTED_HOSTS
) -> tuple[MediaEngine, ManualClock]:
    """An engine on a random loopback port range with a manual clock and a manual ticker."""
    clock = ManualClock()
    # Above Linux's ephemeral range (32768-60999) and Centrex's default RTP range, so that
    # parallel test runs and phones bound to port 0 rarely collide; binding retries cover it.
    base = random.randrange(61000, 65000 - 2 * pairs, 2)
    engine = MediaEngine(
        clock=clock,
        ticker=Ticker(clock),
        ports=PortPool(base, base + 2 * pairs - 1),
        codecs=default_registry(),
        bind_address=LOOPBACK,
        latch_policy=latch_policy,
        rng=random.Random(7),
    )
    return engine, clock


async def bridged_call(
    engine: MediaEngine,
    phone_a: Phone,
    phone_b: Phone,
    a_pts: tuple[int, ...] = (0,),
    b_pts: tuple[int, ...] = (0,),
    *,
    a_te: int | None = 101,
    b_te: int | None = 101,
) -> tuple[MediaLeg, MediaLeg]:
    """The B2BUA's media steps for A calling B: offer, rewritten offer, answer, answer, bridge."""
    a = await engine.allocate("a")
    offer_a = sdp(phone_a.port, a_pts, te=a_te)
    engine.set_remote(a, offer_a, signalling_host=LOOPBACK)
    b = await engine.allocate("b")
    offer_b = engine.offer_for(b, offer_a)
    assert offer_b.media[0].port == b.rtp_port
    engine.set_remote(b, sdp(phone_b.port, b_pts, te=b_te))
    answer_a = engine.answer_for(a, offer_a, peer=b)
    assert answer_a.media[0].port == a.rtp_port
    engine.bridge(a, b)
    return a, b


def manual_ticks(engine: MediaEngine, clock: ManualClock, count: int) -> None:
    """Advance the manual clock tick by tick and run the ticker."""
    for _ in range(count):
        clock.advance(engine.ticker.interval)
        engine.ticker.run_due(clock.monotonic())
