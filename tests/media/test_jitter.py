"""Receive statistics (RFC 3550 §A.1 sequence, §A.3 loss, §A.8 jitter)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media import rtcp
from centrex.media.jitter import MAX_DROPOUT, ReceiveStats


def feed(stats: ReceiveStats, seqs: list[int], *, start_ts: int = 0, period: float = 0.02) -> None:
    """Packets sent every 20 ms (160 ts units) and arriving with constant delay."""
    for seq in seqs:
        n = (seq - seqs[0]) & 0xFFFF
        stats.update(seq & 0xFFFF, (start_ts + 160 * n) & 0xFFFFFFFF, 1.0 + n * period, 160)


def test_probation_then_valid() -> None:
    stats = ReceiveStats(ssrc=7)
    assert not stats.update(100, 0, 1.0, 160)
    assert not stats.valid
    assert stats.snapshot().packets == 0
    assert stats.update(101, 160, 1.02, 160)
    assert stats.valid
    snap = stats.snapshot()
    assert (snap.packets, snap.expected, snap.lost, snap.bytes) == (1, 1, 0, 160)


def test_probation_restarts_on_gap() -> None:
    stats = ReceiveStats(1)
    stats.update(10, 0, 1.0, 1)
    stats.update(20, 0, 1.0, 1)  # not sequential: probation restarts from 20
    assert not stats.valid
    stats.update(21, 0, 1.0, 1)
    assert stats.valid


def test_clean_stream() -> None:
    stats = ReceiveStats(1)
    feed(stats, list(range(1000, 1100)))
    snap = stats.snapshot()
    assert snap.packets == 99  # the first packet was on probation
    assert snap.expected == 99
    assert snap.lost == 0
    assert snap.jitter == 0
    assert snap.fraction_lost == 0.0
    assert snap.highest_seq == 1099
    assert snap.last_arrival == pytest.approx(1.0 + 99 * 0.02)


def test_loss_counts_and_fraction() -> None:
    stats = ReceiveStats(1)
    seqs = [s for s in range(0, 101) if s not in {10, 20, 30, 40, 50}]
    feed(stats, seqs)
    snap = stats.snapshot()
    assert snap.expected == 100  # base is seq 1 (after probation) to 100
    assert snap.lost == 5
    assert snap.fraction_lost == pytest.approx(0.05)
    block = stats.report_block(now=5.0)
    assert block.cumulative_lost == 5
    assert block.fraction_lost == (5 * 256) // 100
    assert block.highest_seq == 100
    # The next interval has no loss: the fraction is per interval (§A.3), the total is not.
    feed(stats, list(range(101, 151)), start_ts=160 * 101)
    block = stats.report_block(now=6.0)
    assert block.fraction_lost == 0
    assert block.cumulative_lost == 5


def test_sequence_wraparound() -> None:
    stats = ReceiveStats(1)
    seqs = [(65500 + i) & 0xFFFF for i in range(100)]
    feed(stats, seqs)
    snap = stats.snapshot()
    assert snap.highest_seq == 65536 + (65500 + 99 - 65536)
    assert snap.expected == 99
    assert snap.lost == 0
    assert stats.report_block(0.0).highest_seq == 65536 + 63


def test_out_of_order_is_not_loss() -> None:
    stats = ReceiveStats(1)
    feed(stats, [1, 2, 3, 5, 4, 6, 7])
    snap = stats.snapshot()
    assert snap.out_of_order == 1
    assert snap.lost == 0
    assert snap.duplicates == 0


def test_duplicates_do_not_hide_loss() -> None:
    """Deliberate deviation from §A.1 (see jitter.py): duplicates are not counted as received."""
    stats = ReceiveStats(1)
    for seq in [1, 2, 3, 3, 6, 6, 5, 5, 7]:
        stats.update(seq, seq * 160, seq * 0.02, 160)
    snap = stats.snapshot()
    assert snap.duplicates == 3
    assert snap.lost == 1  # seq 4 is missing; three duplicates must not make that 0 or -2
    assert snap.packets == 5


def test_large_jump_is_restart_only_when_confirmed() -> None:
    stats = ReceiveStats(1)
    feed(stats, [1, 2, 3])
    jump = 3 + MAX_DROPOUT + 10
    assert not stats.update(jump, 0, 1.0, 1)  # one stray packet: ignored
    assert stats.restarts == 0
    assert stats.update(4, 480, 1.06, 1)
    assert not stats.update(jump, 0, 1.1, 1)
    assert stats.update(jump + 1, 160, 1.12, 1)  # confirmed: the sender restarted
    assert stats.restarts == 1
    assert stats.snapshot().expected == 1


def test_jitter_matches_rfc_formula() -> None:
    stats = ReceiveStats(1, clock_rate=8000)
    offsets = [0.0, 0.005, -0.003, 0.010, 0.0, 0.002, 0.020, -0.004] * 5
    expected_j = 0.0
    last_transit: float | None = None
    for i, off in enumerate(offsets):
        arrival = 10.0 + 0.02 * i + off
        counted = stats.update(i, 160 * i, arrival, 160)
        if counted:
            transit = arrival * 8000 - 160 * i
            if last_transit is not None:
                expected_j += (abs(transit - last_transit) - expected_j) / 16
            last_transit = transit
    assert stats.jitter == int(expected_j)
    assert stats.jitter > 0
    assert stats.jitter_ms == pytest.approx(expected_j / 8.0)


def test_jitter_converges_to_mean_deviation() -> None:
    """Alternating ±10 ms arrival error: |D| = 20 ms = 160 units; J converges to 160."""
    stats = ReceiveStats(1)
    for i in range(400):
        stats.update(i, 160 * i, 0.02 * i + (0.01 if i % 2 else -0.01), 160)
    assert stats.jitter == pytest.approx(160, abs=1)
    assert stats.snapshot().jitter_ms == pytest.approx(20.0, abs=0.2)


def test_jitter_survives_timestamp_wrap() -> None:
    stats = ReceiveStats(1)
    feed(stats, list(range(50)), start_ts=0xFFFFFFFF - 160 * 20)
    assert stats.jitter == 0


def test_lsr_dlsr_from_sender_report() -> None:
    stats = ReceiveStats(1)
    feed(stats, [1, 2, 3])
    ntp = rtcp.ntp_from_unix(1_700_000_000.0)
    stats.on_sender_report(ntp, arrival=2.0)
    block = stats.report_block(now=2.5)
    assert block.lsr == rtcp.ntp_middle32(ntp)
    assert block.dlsr == 32768
    assert ReceiveStats(2).report_block(1.0).lsr == 0


def test_snapshot_is_frozen() -> None:
    snap = ReceiveStats(1).snapshot()
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.lost = 3  # type: ignore[misc]
    assert snap.loss_ratio == 0.0
    assert not snap.valid


def test_bad_clock_rate() -> None:
    with pytest.raises(ValueError, match="clock rate"):
        ReceiveStats(1, clock_rate=0)


@given(
    st.lists(
        st.tuples(
            st.integers(-5, 70000), st.integers(0, 1 << 33), st.floats(0, 1e6), st.integers(0, 1500)
        ),
        max_size=60,
    )
)
def test_update_never_raises_and_stays_consistent(
    packets: list[tuple[int, int, float, int]],
) -> None:
    stats = ReceiveStats(1)
    for seq, ts, arrival, size in packets:
        stats.update(seq, ts, arrival, size)
    snap = stats.snapshot()
    assert snap.packets <= len(packets)
    assert snap.expected >= 0
    assert snap.jitter >= 0
    block = stats.report_block(now=1e6)
    assert 0 <= block.fraction_lost <= 255


@given(st.integers(0, 0xFFFF), st.lists(st.integers(0, 199), max_size=40, unique=True))
def test_loss_equals_missing_packets(start: int, missing: list[int]) -> None:
    stats = ReceiveStats(1)
    present = [i for i in range(200) if i not in set(missing) or i < 2 or i == 199]
    for i in present:
        stats.update((start + i) & 0xFFFF, 160 * i, 0.02 * i, 160)
    snap = stats.snapshot()
    assert snap.lost == 199 - (len(present) - 1)
    assert snap.highest_seq & 0xFFFF == (start + 199) & 0xFFFF
