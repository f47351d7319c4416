"""Per-stream receive statistics (RFC 3550 §A.1, §A.3, §A.8) and their frozen snapshot.

Theory of operation
-------------------
`ReceiveStats.update(seq, timestamp, arrival, size)` is called once per received RTP packet of one
SSRC. It is O(1), allocates nothing and never raises for any 16/32-bit input: a packet stream from
the network can be garbage without hurting the relay.

* Sequence tracking is the algorithm of §A.1: a new source is on probation until
  `MIN_SEQUENTIAL` packets arrive in order; a jump larger than `MAX_DROPOUT` (or a step back of
  more than `MAX_MISORDER`) is treated as a restart only when the *next* packet confirms it;
  the 16-bit sequence wraps into a cycle count so the *extended* highest sequence grows forever.
* Loss is §A.3: expected = extended max - base + 1; cumulative lost = expected - received (it can
  be negative when duplicates arrive); the fraction lost is computed over the interval since the
  previous report and is consumed by `report_block()`, which is why that method mutates.
* Interarrival jitter is §A.8: `D = (Rj - Ri) - (Sj - Si)` in timestamp units and
  `J += (|D| - J) / 16`. Arrival times are seconds on any monotonic clock, passed in by the caller
  (time is an argument, DESIGN.md habit 2); they are converted to timestamp units with the
  stream's clock rate.
* Duplicates are detected with a 64-packet bitmap behind the highest sequence number; packets
  older than the highest are counted as out of order. Unlike §A.1, a detected duplicate is not
  counted as received (see `_update_seq`). `packets` and `bytes` count from the packet that ended
  probation; the first packet of a new source is on probation and not counted.

`snapshot()` returns `ReceiveSnapshot`, a frozen dataclass that the API and CDR writer can keep.
"""

from __future__ import annotations

from dataclasses import dataclass

from centrex.media.rtcp import ReportBlock, dlsr_from_seconds, ntp_middle32

__all__ = ["MAX_DROPOUT", "MAX_MISORDER", "MIN_SEQUENTIAL", "ReceiveSnapshot", "ReceiveStats"]

# RFC 3550 §A.1 constants.
MAX_DROPOUT = 3000
MAX_MISORDER = 100
MIN_SEQUENTIAL = 2
RTP_SEQ_MOD = 1 << 16
_WINDOW = 64  # duplicate-detection bitmap size (packets behind the highest seq)
_WINDOW_MASK = (1 << _WINDOW) - 1


@dataclass(frozen=True, slots=True)
class ReceiveSnapshot:
    """Receive statistics of one stream at one instant; safe to hand to another layer."""

    ssrc: int
    clock_rate: int
    packets: int
    bytes: int
    expected: int
    lost: int
    fraction_lost: float
    jitter: int
    jitter_ms: float
    highest_seq: int
    duplicates: int
    out_of_order: int
    restarts: int
    last_arrival: float | None
    valid: bool

    @property
    def loss_ratio(self) -> float:
        """Cumulative lost / expected, 0.0 when nothing was expected (never negative)."""
        if self.expected <= 0:
            return 0.0
        return max(self.lost, 0) / self.expected


class ReceiveStats:
    """RFC 3550 §A.1/§A.3/§A.8 state for one SSRC. Not thread-safe; one owner per stream."""

    __slots__ = (
        "_bad_seq",
        "_base_seq",
        "_bytes",
        "_cycles",
        "_expected_prior",
        "_jitter",
        "_last_arrival",
        "_last_sr",
        "_last_sr_arrival",
        "_last_transit",
        "_max_seq",
        "_probation",
        "_received",
        "_received_prior",
        "_seen",
        "_started",
        "_valid_received",
        "clock_rate",
        "duplicates",
        "out_of_order",
        "restarts",
        "ssrc",
    )

    def __init__(self, ssrc: int, clock_rate: int = 8000) -> None:
        if clock_rate <= 0:
            raise ValueError("clock rate must be positive")
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.duplicates = 0
        self.out_of_order = 0
        self.restarts = 0
        self._max_seq = 0
        self._cycles = 0
        self._base_seq = 0
        self._bad_seq = RTP_SEQ_MOD + 1  # "so seq == bad_seq is false" (§A.1)
        self._probation = MIN_SEQUENTIAL
        self._received = 0
        self._valid_received = 0
        self._bytes = 0
        self._expected_prior = 0
        self._received_prior = 0
        self._jitter = 0.0
        self._last_transit: float | None = None
        self._last_arrival: float | None = None
        self._seen = 0
        self._started = False
        self._last_sr = 0
        self._last_sr_arrival: float | None = None

    # --- §A.1 ---------------------------------------------------------------------------------

    def _init_seq(self, seq: int) -> None:
        self._base_seq = seq
        self._max_seq = seq
        self._bad_seq = RTP_SEQ_MOD + 1
        self._cycles = 0
        self._received = 0
        self._received_prior = 0
        self._expected_prior = 0
        self._seen = 1

    def _update_seq(self, seq: int) -> bool:
        """RFC 3550 §A.1 `update_seq`: True when the packet counts as valid."""
        if not self._started:
            # §A.1: the first packet starts probation with max_seq = seq - 1.
            self._started = True
            self._init_seq(seq)
            self._max_seq = (seq - 1) & 0xFFFF
            self._probation = MIN_SEQUENTIAL
        udelta = (seq - self._max_seq) & 0xFFFF
        if self._probation:
            # Source not valid until MIN_SEQUENTIAL packets with sequential numbers arrived.
            if seq == (self._max_seq + 1) & 0xFFFF:
                self._probation -= 1
                self._max_seq = seq
                if self._probation == 0:
                    self._init_seq(seq)
                    self._received += 1
                    return True
            else:
                self._probation = MIN_SEQUENTIAL - 1
                self._max_seq = seq
            return False
        if udelta == 0:
            # Deliberate deviation from §A.1, which counts a duplicate as received (so that
            # cumulative loss may go negative, §6.4.1): duplicates would hide real loss from the
            # operator, so they are counted separately and not as received. Fixture:
            # test_duplicates_do_not_hide_loss.
            self.duplicates += 1
            return False
        if udelta < MAX_DROPOUT:
            # In order, with a permissible gap.
            if seq < self._max_seq:
                self._cycles += RTP_SEQ_MOD  # sequence number wrapped
            shift = udelta
            self._seen = ((self._seen << shift) | 1) & _WINDOW_MASK if shift < _WINDOW else 1
            self._max_seq = seq
        elif udelta <= RTP_SEQ_MOD - MAX_MISORDER:
            # A very large jump: a restart if the next packet confirms it.
            if seq == self._bad_seq:
                self.restarts += 1
                self._init_seq(seq)
                self._last_transit = None  # a restarted sender has a new timestamp base
            else:
                self._bad_seq = (seq + 1) & 0xFFFF
                return False
        else:
            # Duplicate or reordered packet (behind max_seq by fewer than MAX_MISORDER).
            behind = RTP_SEQ_MOD - udelta
            if behind < _WINDOW:
                bit = 1 << behind
                if self._seen & bit:
                    self.duplicates += 1
                    return False
                self._seen |= bit
            self.out_of_order += 1
        self._received += 1
        return True

    # --- per packet -----------------------------------------------------------------------------

    def update(self, seq: int, timestamp: int, arrival: float, size: int) -> bool:
        """Account one packet; returns True when it counted (not a duplicate, not on probation).

        `size` is the payload length in bytes (RFC 3550 §6.4.1 counts payload octets).
        `arrival` is the receive time in seconds, read by the caller from its clock.
        O(1), no allocation beyond float arithmetic.
        """
        seq &= 0xFFFF
        timestamp &= 0xFFFFFFFF
        self._last_arrival = arrival
        if not self._update_seq(seq):
            return False
        self._valid_received += 1
        self._bytes += size
        # §A.8: transit = arrival (in timestamp units) - RTP timestamp; J += (|D| - J) / 16.
        transit = arrival * self.clock_rate - timestamp
        last = self._last_transit
        self._last_transit = transit
        if last is not None:
            d = transit - last
            # Timestamp wrap: transit jumps by ~2**32; fold it back into a signed difference.
            if d > 2147483648.0:
                d -= 4294967296.0
            elif d < -2147483648.0:
                d += 4294967296.0
            self._jitter += (abs(d) - self._jitter) / 16.0
        return True

    # --- RTCP ---------------------------------------------------------------------------------

    def on_sender_report(self, ntp_timestamp: int, arrival: float) -> None:
        """Remember the last SR of this source for the LSR/DLSR fields (RFC 3550 §6.4.1)."""
        self._last_sr = ntp_middle32(ntp_timestamp)
        self._last_sr_arrival = arrival

    @property
    def valid(self) -> bool:
        """False while the source is on probation (§A.1)."""
        return self._probation == 0

    @property
    def extended_max_seq(self) -> int:
        """Highest sequence number with the wrap count (§A.1 cycles + max_seq)."""
        return self._cycles + self._max_seq

    @property
    def expected(self) -> int:
        """§A.3: extended highest sequence - base sequence + 1 (0 while on probation)."""
        if not self.valid:
            return 0
        return self.extended_max_seq - self._base_seq + 1

    @property
    def lost(self) -> int:
        """§A.3 cumulative packets lost; negative when duplicates outnumber losses."""
        return self.expected - self._received

    @property
    def jitter(self) -> int:
        """Interarrival jitter in timestamp units, as sent in a report block."""
        return int(self._jitter)

    @property
    def jitter_ms(self) -> float:
        """Interarrival jitter in milliseconds (for people and the API)."""
        return self._jitter * 1000.0 / self.clock_rate

    def report_block(self, now: float) -> ReportBlock:
        """Build this source's RR block and start a new loss interval (§A.3, §6.4.1).

        `now` is the current time on the same clock as the arrival times; it gives DLSR.
        """
        expected = self.expected
        expected_interval = expected - self._expected_prior
        self._expected_prior = expected
        received_interval = self._received - self._received_prior
        self._received_prior = self._received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = min((lost_interval << 8) // expected_interval, 255)
        cumulative = max(min(self.lost, 0x7FFFFF), -0x800000)
        dlsr = 0
        if self._last_sr_arrival is not None:
            dlsr = dlsr_from_seconds(now - self._last_sr_arrival)
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=fraction,
            cumulative_lost=cumulative,
            highest_seq=self.extended_max_seq & 0xFFFFFFFF,
            jitter=min(self.jitter, 0xFFFFFFFF),
            lsr=self._last_sr,
            dlsr=dlsr,
        )

    def snapshot(self) -> ReceiveSnapshot:
        """Frozen copy for the API; `fraction_lost` here is cumulative lost / expected."""
        expected = self.expected
        lost = self.lost
        fraction = max(lost, 0) / expected if expected > 0 else 0.0
        return ReceiveSnapshot(
            ssrc=self.ssrc,
            clock_rate=self.clock_rate,
            packets=self._valid_received,
            bytes=self._bytes,
            expected=expected,
            lost=lost,
            fraction_lost=fraction,
            jitter=self.jitter,
            jitter_ms=self.jitter_ms,
            highest_seq=self.extended_max_seq,
            duplicates=self.duplicates,
            out_of_order=self.out_of_order,
            restarts=self.restarts,
            last_arrival=self._last_arrival,
            valid=self.valid,
        )
