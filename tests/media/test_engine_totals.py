"""`MediaEngine.totals()`: RTP counters since start for monitoring, which keep a released
leg's counts (a Prometheus counter must not go down when a call ends)."""

from __future__ import annotations

from centrex.media.engine import MediaTotals
from tests.media.phones import LOOPBACK, Phone, bridged_call, make_engine, rtp


async def test_totals_sum_live_legs_and_keep_released_ones() -> None:
    engine, _clock = make_engine()
    pa, pb = await Phone.open(), await Phone.open()
    try:
        assert engine.totals() == MediaTotals()
        a, b = await bridged_call(engine, pa, pb)
        # sequence numbers 0..9 with 3 and 4 missing: 8 packets in, 2 lost (RFC 3550 §A.3)
        for i in (0, 1, 2, 5, 6, 7, 8, 9):
            pa.send(rtp(0, i, 160 * i, 0xAAAA, bytes(160)), (LOOPBACK, a.rtp_port))
        await pb.wait_for(8)
        live = engine.totals()
        assert (live.live_legs, live.packets_in, live.packets_out, live.lost) == (2, 8, 8, 2)
        engine.release(a)
        engine.release(b)
        after = engine.totals()
        assert (after.live_legs, after.packets_in, after.packets_out, after.lost) == (0, 8, 8, 2)
    finally:
        pa.close()
        pb.close()
        await engine.close()
