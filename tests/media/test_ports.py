"""RTP port pool: even/odd pairs, FIFO reuse, exhaustion, quarantine, engine integration."""

from __future__ import annotations

import asyncio

import pytest

from centrex.media.ports import PortPair, PortPool, PortPoolExhausted
from tests.media.phones import make_engine


def test_pairs_are_even_rtp_and_odd_rtcp() -> None:
    pool = PortPool(20001, 20010)  # rounds up to 20002
    pairs = [pool.allocate() for _ in range(4)]
    assert [p.rtp for p in pairs] == [20002, 20004, 20006, 20008]
    assert all(p.rtp % 2 == 0 and p.rtcp == p.rtp + 1 for p in pairs)
    assert pool.capacity == 4
    assert pool.in_use == 4


def test_exhaustion_and_release_reuse_least_recently_used() -> None:
    pool = PortPool(30000, 30005)
    first, second, third = pool.allocate(), pool.allocate(), pool.allocate()
    with pytest.raises(PortPoolExhausted):
        pool.allocate()
    pool.release(second)
    pool.release(first)
    assert pool.allocate() == second  # released first, reused first
    assert pool.allocate() == first
    assert third in pool
    with pytest.raises(ValueError, match="not allocated"):
        pool.release(PortPair(30100))


def test_quarantine_takes_a_pair_out_of_service() -> None:
    pool = PortPool(30000, 30003)
    bad = pool.allocate()
    pool.quarantine(bad)
    assert pool.capacity == 1
    assert pool.allocate() == PortPair(30002)
    with pytest.raises(PortPoolExhausted):
        pool.allocate()


@pytest.mark.parametrize(("low", "high"), [(80, 2000), (3000, 2000), (4001, 4001), (65535, 65535)])
def test_bad_ranges_are_refused(low: int, high: int) -> None:
    with pytest.raises(ValueError, match="range"):
        PortPool(low, high)


async def test_engine_runs_out_of_ports_and_gets_them_back() -> None:
    engine, _ = make_engine(pairs=2)
    legs = [await engine.allocate(), await engine.allocate()]
    with pytest.raises(PortPoolExhausted):
        await engine.allocate()
    engine.release(legs[0])
    engine.release(legs[0])  # twice is harmless
    await asyncio.sleep(0)  # the transport closes its socket on the next loop iteration
    again = await engine.allocate()
    assert again.rtp_port % 2 == 0
    assert engine.ports.in_use == 2
    await engine.close()
    assert engine.ports.in_use == 0
    assert engine.legs == {}
