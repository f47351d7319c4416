"""A media leg: one RTP/RTCP port pair of Centrex facing one party, with symmetric RTP latching.

Theory of operation
-------------------
A `MediaLeg` owns two UDP sockets (even RTP port, odd RTCP port, RFC 3550 §11), knows the remote
party's stream from its SDP (`StreamParams`), keeps receive statistics (RFC 3550 §A.1/§A.3/§A.8)
and owns the *outgoing* stream toward the party: one SSRC of our own with a continuous sequence
and timestamp (`OutStream`), whatever feeds it (the other leg through the relay, a player,
music on hold). This is the RTP translator of RFC 7667 §3.2.1.1 / RFC 3550 §7.

Symmetric RTP latching (RFC 4961): a phone behind NAT announces a private address in its SDP,
but its packets arrive from the NAT's public address and port, and only packets sent back to that
address and port get through the NAT. So the leg sends to the SDP address until the first valid
RTP packet arrives, then *latches* and sends to the packet's source from then on. Which first
packet to accept is the `LatchPolicy`:

* `EXPECTED_HOSTS` (default): the source IP must be the SDP `c=` address or one of the extra
  hosts the call layer adds (the address the SIP signalling came from: a NATed phone's RTP comes
  from the same public IP as its SIP). Any port is accepted, since NAT rewrites ports. This stops
  a stranger who sprays the port range from hijacking a call (the "RTP bleed" attack).
* `ANY` (lenient, configurable): the first packet from anywhere wins. Needed for carriers whose
  media gateways differ from their signalling hosts and hide it from the SDP; the price is the
  hijack window before the real party's first packet.

Once latched, packets from another source are dropped and counted (`foreign`), unless the latched
source has been silent for `relatch_after` seconds and the newcomer passes the policy: the NAT
rebinding of a phone that changes network must not end the call's audio.

The per-packet path (`_RtpProtocol.datagram_received`) is the relay hot path (DESIGN.md habit
11): a source compare, a version/length check, one header unpack, the statistics update, one
dict lookup for the payload-type route, a copy into a bytearray, an optional in-place G.711
table translate, the in-place header rewrite and `sendto`. No logging, no string formatting,
no decoding when the codecs match. Junk (not RTP v2, too short) is counted and dropped.

RTCP is terminated, not relayed: each leg is its own RTP session toward its party, so report
blocks arriving from party A describe *our* SSRC on leg A and mean nothing to party B. The leg
counts and parses incoming RTCP (SR arrival feeds LSR/DLSR, the last report block gives the
party's view of our stream and the round-trip time) and `rtcp_report` builds our own SR/RR with
SDES CNAME (RFC 3550 §6.1) for the engine's report timer.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from centrex.media.jitter import ReceiveStats
from centrex.media.rtcp import (
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpParseError,
    Sdes,
    SenderReport,
    build_compound,
    ntp_from_unix,
    parse_compound,
    round_trip_seconds,
)
from centrex.media.rtp import RtpParseError, is_rtcp, translate_payload
from centrex.media.sdp_rewrite import PtRoute, StreamParams
from centrex.media.webrtc.counters import WebRtcCounters

if TYPE_CHECKING:
    from centrex.media.webrtc.leg import WebRtcEdge
    from centrex.media.webrtc.srtp import SrtpContext

__all__ = ["LatchPolicy", "LegSnapshot", "MediaLeg", "OutStream", "RtpTap"]

log = logging.getLogger(__name__)

_FIXED = struct.Struct("!BBHII")
_SEQ_TS_SSRC = struct.Struct("!HII")
_TS = struct.Struct("!I")
_HOLD_ADDRESSES = frozenset({"0.0.0.0", "::"})  # noqa: S104 - RFC 2543 hold marker, not a bind

Address = tuple[str, int]
# A tap sees every valid RTP packet a leg receives: (datagram, payload type, timestamp).
RtpTap = Callable[[bytes, int, int], None]


class LatchPolicy(Enum):
    """Which first packet a leg latches onto (module docstring)."""

    EXPECTED_HOSTS = "expected_hosts"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class LegSnapshot:
    """Counters of one leg at one instant (for the API, CDRs and monitoring)."""

    leg_id: str
    local_port: int
    remote: Address | None
    latched: bool
    codec: str | None
    direction: str
    packets_in: int
    bytes_in: int
    packets_out: int
    bytes_out: int
    lost: int
    loss_ratio: float
    jitter_ms: float
    last_packet: float | None
    garbage: int
    dropped: int
    foreign: int
    relatched: int
    rtcp_in: int
    rtcp_out: int
    rtcp_garbage: int
    remote_fraction_lost: float | None
    remote_jitter_ms: float | None
    round_trip_ms: float | None
    webrtc: WebRtcCounters | None = None  # ICE/DTLS/SRTP counters of a browser leg
    # SDES-SRTP of a desk phone's leg (`sdes.py`), named like the WebRTC counters.
    srtp_packets_in: int = 0
    srtp_packets_out: int = 0
    srtp_auth_failures: int = 0


class OutStream:
    """Our outgoing stream toward one party: one SSRC, continuous sequence and timestamp.

    Same contract as `rtp.StreamRewriter` (RFC 7667 §3.2.1.1 translator, RFC 3550 §8.2): on a
    new input SSRC the offsets are chosen so that the next packet follows the last one sent
    (sequence + 1, timestamp advanced by the arrival gap) and the marker bit is set (RFC 3551
    §4.1). It exists because the relay inlines the steady-state rewrite (two additions and one
    `pack_into`) instead of calling a method that peeks the header a second time: measured at
    ~2 us of the ~8 us per packet. Difference: the last *written* packet, not the newest, is
    what a switch continues from; a reordered packet just before a switch may repeat a sequence
    number once, which a receiver treats as a duplicate.
    """

    __slots__ = ("arrival", "clock_rate", "in_ssrc", "seq", "seq_offset", "ssrc", "ts", "ts_offset")

    def __init__(self, ssrc: int, initial_seq: int = 0, initial_ts: int = 0) -> None:
        self.ssrc = ssrc & 0xFFFFFFFF
        self.clock_rate = 8000
        self.in_ssrc = -1  # no input yet: the first packet is a switch
        self.seq_offset = 0
        self.ts_offset = 0
        self.seq = (initial_seq - 1) & 0xFFFF  # "previous packet": the first gets the initials
        self.ts = initial_ts & 0xFFFFFFFF
        self.arrival: float | None = None

    def switch(self, buf: bytearray, seq: int, ts: int, in_ssrc: int, now: float) -> None:
        """A new input source: re-anchor the offsets and mark the packet. O(1)."""
        gap = 0
        if self.arrival is not None:
            gap = max(1, round((now - self.arrival) * self.clock_rate))
        self.seq_offset = self.seq + 1 - seq
        self.ts_offset = self.ts + gap - ts
        self.in_ssrc = in_ssrc
        buf[1] |= 0x80

    def rewrite(self, buf: bytearray, now: float) -> None:
        """Rewrite a whole packet in place (players; the relay inlines the same steps)."""
        _b0, _b1, seq, ts, in_ssrc = _FIXED.unpack_from(buf)
        if in_ssrc != self.in_ssrc:
            self.switch(buf, seq, ts, in_ssrc, now)
        out_seq = (seq + self.seq_offset) & 0xFFFF
        out_ts = (ts + self.ts_offset) & 0xFFFFFFFF
        _SEQ_TS_SSRC.pack_into(buf, 2, out_seq, out_ts, self.ssrc)
        self.seq = out_seq
        self.ts = out_ts
        self.arrival = now


class _RtpProtocol(asyncio.DatagramProtocol):
    __slots__ = ("leg",)

    def __init__(self, leg: MediaLeg) -> None:
        self.leg = leg

    def datagram_received(self, data: bytes, addr: Address) -> None:
        leg = self.leg
        # Zero-cost in CPython 3.11 unless something raises: junk never kills the transport
        # (asyncio closes a transport whose protocol raises), habit 5.
        try:
            if addr != leg.latched and not leg._accept_source(data, addr):
                return
            if len(data) < 12 or data[0] & 0xC0 != 0x80:
                leg.garbage += 1
                return
            _b0, b1, seq, ts, ssrc = _FIXED.unpack_from(data)
            if 191 < b1 < 224:  # RFC 5761 §4: RTCP on the RTP port (rtcp-mux) never counts as RTP
                leg.on_rtcp(data, addr)
                return
            now = leg._monotonic()
            size = len(data)
            leg.packets_in += 1
            leg.bytes_in += size
            leg.last_packet = now
            stats = leg.stats
            if ssrc != stats.ssrc:
                stats = leg._new_source(ssrc)
            stats.update(seq, ts, now, size - 12)
            pt = b1 & 0x7F
            if leg.taps:
                for tap in leg.taps:
                    tap(data, pt, ts)
            route = leg.route
            if route is None:
                return
            how = route.get(pt)
            if how is None:
                leg._unrouted(data, addr)
                return
            peer: MediaLeg = leg.peer  # type: ignore[assignment]  # set whenever route is
            buf = bytearray(data)
            out_pt, table = how
            if table is not None:
                if table.__class__ is not bytes:  # a stateful transcoder (G.722, Opus)
                    buf = table.rewrite(buf, out_pt)  # type: ignore[union-attr]
                    ts = _TS.unpack_from(buf, 4)[0]  # rescaled across RTP clocks (Opus)
                elif data[0] == 0x80:  # no CSRC, extension or padding: the payload starts at 12
                    buf[12:] = data[12:].translate(table)
                    buf[1] = (b1 & 0x80) | out_pt
                else:
                    translate_payload(buf, table, out_pt)
            elif out_pt != pt:
                buf[1] = (b1 & 0x80) | out_pt
            out = peer.out
            if ssrc != out.in_ssrc:
                out.switch(buf, seq, ts, ssrc, now)
            seq = (seq + out.seq_offset) & 0xFFFF
            ts = (ts + out.ts_offset) & 0xFFFFFFFF
            _SEQ_TS_SSRC.pack_into(buf, 2, seq, ts, out.ssrc)
            out.seq = seq
            out.ts = ts
            out.arrival = now
            peer.rtp_transport.sendto(buf, peer.send_addr)  # type: ignore[union-attr]
            peer.packets_out += 1
            peer.bytes_out += len(buf)
        except RtpParseError:
            leg.garbage += 1  # header fields that contradict the datagram length
        except Exception:  # noqa: BLE001 - logged with traceback, rate-limited, in _internal_error
            leg._internal_error()

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable from a phone that went away: counted, the call goes on.
        self.leg.send_errors += 1


class _RtcpProtocol(asyncio.DatagramProtocol):
    __slots__ = ("leg",)

    def __init__(self, leg: MediaLeg) -> None:
        self.leg = leg

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.leg.on_rtcp(data, addr)

    def error_received(self, exc: Exception) -> None:
        self.leg.send_errors += 1


class MediaLeg:
    """One party's media endpoint on Centrex. Create through `MediaEngine.allocate`."""

    def __init__(
        self,
        leg_id: str,
        local_address: str,
        rtp_port: int,
        *,
        monotonic: Callable[[], float],
        ssrc: int,
        initial_seq: int = 0,
        initial_ts: int = 0,
        latch_policy: LatchPolicy = LatchPolicy.EXPECTED_HOSTS,
        relatch_after: float = 2.0,
        cname: str = "centrex",
    ) -> None:
        self.leg_id = leg_id
        self.local_address = local_address
        self.rtp_port = rtp_port
        self.rtcp_port = rtp_port + 1
        self._monotonic = monotonic
        self.latch_policy = latch_policy
        self.relatch_after = relatch_after
        self.cname = cname
        self.rtp_transport: asyncio.DatagramTransport | None = None
        self.rtcp_transport: asyncio.DatagramTransport | None = None
        self.remote: StreamParams | None = None
        self.expected_hosts: set[str] = set()
        self.latched: Address | None = None
        self.send_addr: Address | None = None
        self.rtcp_addr: Address | None = None
        self.rtcp_latched = False
        # Outgoing stream (our SSRC toward this party) and what feeds it.
        self.out = OutStream(ssrc, initial_seq, initial_ts)
        self.source: object | None = None  # None: the relay; else a player owns the stream
        # Relay wiring, maintained by `relay.Bridge`.
        self.peer: MediaLeg | None = None
        self.route: dict[int, PtRoute] | None = None
        self.on_change: Callable[[], None] | None = None
        self.taps: list[RtpTap] = []
        self.webrtc: WebRtcEdge | None = None  # ICE-lite + DTLS-SRTP edge of a browser leg
        # SDES-SRTP (`sdes.py` sets the context when keys are agreed) and the party's policy
        # as the call layer gave it (a `sdes.SrtpPolicy` value).
        self.srtp: SrtpContext | None = None
        self.srtp_policy = "optional"
        # Counters.
        self.stats = ReceiveStats(0)
        self._lost_before = 0
        self._expected_before = 0
        self.packets_in = 0
        self.bytes_in = 0
        self.packets_out = 0
        self.bytes_out = 0
        self.last_packet: float | None = None
        self.garbage = 0
        self.dropped = 0
        self.foreign = 0
        self.relatched = 0
        self.send_errors = 0
        self.errors = 0
        self.rtcp_in = 0
        self.rtcp_out = 0
        self.rtcp_garbage = 0
        self.remote_report: ReportBlock | None = None
        self.round_trip: float | None = None
        self._last_report_packets = 0
        self.closed = False
        # SDP origin of Centrex on this leg (RFC 3264 §8: version grows with every change).
        self.sdp_session_id = str(ssrc)
        self.sdp_version = 0

    # --- remote description -------------------------------------------------------------------

    def set_remote(self, params: StreamParams, *, extra_hosts: tuple[str, ...] = ()) -> None:
        """Apply the party's SDP: where to send before latching, direction, codecs.

        A hold SDP with `c=0.0.0.0` (RFC 2543 style) keeps the previous address. A new address
        or port (a re-INVITE after a transfer or a network change) drops the latch: the party is
        a new one, and waiting for the old source to fall silent would cost seconds of one-way
        audio; the new party's first packet latches again (RFC 4961).
        """
        old = self.remote
        moved = (
            old is not None
            and params.address not in _HOLD_ADDRESSES
            and (params.address, params.port) != (old.address, old.port)
        )
        if moved:
            self.latched = None
            self.rtcp_latched = False
        self.remote = params
        if params.address and params.address not in _HOLD_ADDRESSES:
            self.expected_hosts.add(params.address)
            if self.latched is None:
                self.send_addr = (params.address, params.port)
            if not self.rtcp_latched:
                self.rtcp_addr = (params.address, params.rtcp_port)
        self.expected_hosts.update(extra_hosts)
        clock_rate = params.codec.clock_rate if params.codec else 8000
        self.out.clock_rate = clock_rate
        self._changed()

    @property
    def receives(self) -> bool:
        """The party wants our media: sendrecv/recvonly and not the c=0.0.0.0 hold of RFC 2543
        (which RFC 3264 §8.4 still asks us to understand)."""
        return self.remote is not None and not self.remote.on_hold

    @property
    def sends(self) -> bool:
        return self.remote is not None and self.remote.sends

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # --- slow paths of the receive side -------------------------------------------------------

    def _acceptable(self, host: str) -> bool:
        return self.latch_policy is LatchPolicy.ANY or host in self.expected_hosts

    def _accept_source(self, data: bytes, addr: Address) -> bool:
        """A packet from a source other than the latched one: latch, relatch or drop."""
        if len(data) < 12 or data[0] & 0xC0 != 0x80:
            self.garbage += 1  # never latch onto junk
            return False
        if is_rtcp(data):
            self.on_rtcp(data, addr)  # RFC 5761 rtcp-mux
            return False
        if not self._acceptable(addr[0]):
            self.foreign += 1
            return False
        if self.latched is not None:
            last = self.last_packet
            if last is not None and self._monotonic() - last < self.relatch_after:
                self.foreign += 1
                return False
            self.relatched += 1
        self.latched = addr
        self.send_addr = addr
        self._changed()
        return True

    def latch(self, addr: Address) -> None:
        """Send to `addr` from now on: the ICE-selected address of a browser leg (RFC 8445
        §8.1.1 nomination replaces RFC 4961 first-packet latching); RTCP is muxed there."""
        self.latched = addr
        self.send_addr = addr
        self.rtcp_addr = addr
        self.rtcp_latched = True
        self._changed()

    def _internal_error(self) -> None:
        """A bug or a broken tap hit by one packet: count it, log the first few, keep going."""
        self.errors += 1
        if self.errors <= 3:
            log.exception("media leg %s failed on a packet (%d so far)", self.leg_id, self.errors)

    def _new_source(self, ssrc: int) -> ReceiveStats:
        """The party's SSRC changed (re-INVITE, transfer): keep totals, restart §A.1 state."""
        old = self.stats
        self._lost_before += max(old.lost, 0)
        self._expected_before += old.expected
        clock_rate = self.remote.codec.clock_rate if self.remote and self.remote.codec else 8000
        self.stats = ReceiveStats(ssrc, clock_rate)
        return self.stats

    def _unrouted(self, data: bytes, addr: Address) -> None:
        if is_rtcp(data):
            self.on_rtcp(data, addr)
        else:
            self.dropped += 1  # a payload type the bridge has no route for (CN, unknown)

    # --- sending generated media ----------------------------------------------------------------

    def send_generated(self, packet: bytearray, now: float, source: object) -> bool:
        """Send a packet made by `source` (a player) if it owns the outgoing stream.

        The packet goes through the same `OutStream` as relayed media, so switching between
        the relay and a player keeps one SSRC with continuous sequence/timestamp (RFC 7667
        §3.2.1.1). Nothing is sent while the party does not receive (RFC 3264 §5.1 direction).
        """
        if (
            source is not self.source
            or self.send_addr is None
            or self.rtp_transport is None
            or not self.receives
        ):
            return False
        self.out.rewrite(packet, now)
        self.rtp_transport.sendto(packet, self.send_addr)
        self.packets_out += 1
        self.bytes_out += len(packet)
        return True

    def attach_source(self, source: object) -> None:
        """Give the outgoing stream to `source`; relayed media toward this leg stops meanwhile."""
        self.source = source
        self._changed()

    def detach_source(self, source: object) -> None:
        """Give the outgoing stream back to the relay (if `source` still owns it)."""
        if self.source is source:
            self.source = None
            self._changed()

    # --- RTCP -----------------------------------------------------------------------------------

    def on_rtcp(self, data: bytes, addr: Address) -> None:
        """Count and digest one RTCP datagram (RFC 3550 §6.4); junk is counted, never raised."""
        now = self._monotonic()
        try:
            packets = parse_compound(data)
        except RtcpParseError:
            self.rtcp_garbage += 1
            return
        self.rtcp_in += 1
        if not self.rtcp_latched and self._acceptable(addr[0]):
            self.rtcp_addr = addr  # symmetric RTCP (RFC 4961 §3)
            self.rtcp_latched = True
        for packet in packets:
            if isinstance(packet, SenderReport):
                if packet.ssrc == self.stats.ssrc:
                    self.stats.on_sender_report(packet.ntp_timestamp, now)
                self._take_reports(packet.reports)
            elif isinstance(packet, ReceiverReport):
                self._take_reports(packet.reports)

    def _take_reports(self, reports: tuple[ReportBlock, ...]) -> None:
        for block in reports:
            if block.ssrc == self.out.ssrc:
                self.remote_report = block

    def note_report_arrival(self, unix_now: float) -> None:
        """Compute the round-trip time from the last block about us (needs wall-clock NTP)."""
        block = self.remote_report
        if block is not None:
            self.round_trip = round_trip_seconds(ntp_from_unix(unix_now), block.lsr, block.dlsr)

    def rtcp_report(self, now: float, unix_now: float) -> bytes:
        """Our compound report: SR when we sent since the last one, else RR; then SDES CNAME."""
        reports: tuple[ReportBlock, ...] = ()
        if self.stats.valid:
            reports = (self.stats.report_block(now),)
        ssrc = self.out.ssrc
        sent = self.packets_out != self._last_report_packets
        self._last_report_packets = self.packets_out
        head: SenderReport | ReceiverReport
        if sent:
            head = SenderReport(
                ssrc=ssrc,
                ntp_timestamp=ntp_from_unix(unix_now),
                rtp_timestamp=self.out.ts,
                packet_count=self.packets_out & 0xFFFFFFFF,
                octet_count=max(self.bytes_out - 12 * self.packets_out, 0) & 0xFFFFFFFF,
                reports=reports,
            )
        else:
            head = ReceiverReport(ssrc, reports)
        return build_compound((head, Sdes.with_cname(ssrc, self.cname)))

    def send_rtcp_report(self, now: float, unix_now: float) -> bool:
        """Build and send our report to the party's RTCP address (RFC 3550 §6.2 timer fired)."""
        if self.rtcp_transport is None or self.rtcp_addr is None or self.closed:
            return False
        self.note_report_arrival(unix_now)
        self.rtcp_transport.sendto(self.rtcp_report(now, unix_now), self.rtcp_addr)
        self.rtcp_out += 1
        return True

    # --- lifecycle and counters -----------------------------------------------------------------

    def close(self, reason: str | None = None) -> None:
        """Send an RTCP BYE (RFC 3550 §6.6) if the party ever heard from us, then close."""
        if self.rtcp_transport is not None and self.rtcp_addr is not None and self.packets_out:
            ssrc = self.out.ssrc
            bye = build_compound(
                (ReceiverReport(ssrc), Sdes.with_cname(ssrc, self.cname), Bye((ssrc,), reason))
            )
            self.rtcp_transport.sendto(bye, self.rtcp_addr)
            self.rtcp_out += 1
        self.closed = True
        self.route = None
        self.taps.clear()
        for transport in (self.rtp_transport, self.rtcp_transport):
            if transport is not None:
                transport.close()

    def snapshot(self) -> LegSnapshot:
        """Frozen counters; loss and jitter are RFC 3550 §A.3/§A.8 over the party's streams."""
        stats = self.stats
        lost = self._lost_before + max(stats.lost, 0)
        expected = self._expected_before + stats.expected
        block = self.remote_report
        remote = self.remote
        return LegSnapshot(
            leg_id=self.leg_id,
            local_port=self.rtp_port,
            remote=self.send_addr,
            latched=self.latched is not None,
            codec=remote.codec.encoding if remote and remote.codec else None,
            direction=remote.direction if remote else "inactive",
            packets_in=self.packets_in,
            bytes_in=self.bytes_in,
            packets_out=self.packets_out,
            bytes_out=self.bytes_out,
            lost=lost,
            loss_ratio=lost / expected if expected > 0 else 0.0,
            jitter_ms=stats.jitter_ms,
            last_packet=self.last_packet,
            garbage=self.garbage,
            dropped=self.dropped,
            foreign=self.foreign,
            relatched=self.relatched,
            rtcp_in=self.rtcp_in,
            rtcp_out=self.rtcp_out,
            rtcp_garbage=self.rtcp_garbage,
            remote_fraction_lost=block.fraction if block else None,
            remote_jitter_ms=(block.jitter * 1000.0 / stats.clock_rate) if block else None,
            round_trip_ms=self.round_trip * 1000.0 if self.round_trip is not None else None,
            webrtc=self.webrtc.counters() if self.webrtc is not None else None,
            srtp_packets_in=self.srtp.packets_in if self.srtp else 0,
            srtp_packets_out=self.srtp.packets_out if self.srtp else 0,
            srtp_auth_failures=self.srtp.auth_failures if self.srtp else 0,
        )

    def protocols(self) -> tuple[asyncio.DatagramProtocol, asyncio.DatagramProtocol]:
        """Protocol objects for the RTP and RTCP sockets (the engine binds them)."""
        return _RtpProtocol(self), _RtcpProtocol(self)
