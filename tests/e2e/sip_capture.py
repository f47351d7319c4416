"""SIP datagrams seen on the loopback interface, for e2e tests that need what a phone does not
print: the tags of a dialog (to build a Replaces, RFC 3891) or the order of INVITEs that
reached several sipp members.

Why a capture: baresip 1.0 shows a call's Call-ID (`callstat`) but never its tags, and sipp
members run in separate processes, so only the wire says which was rung first. tshark is not
installed here; a raw AF_PACKET socket on `lo` (the tests run as root, as for
tests/peers/rtp_capture.py) sees each datagram, and only the incoming copy is kept.
"""

from __future__ import annotations

import ctypes
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

ETH_P_ALL = 0x0003
PACKET_HOST = 0
_ETH = 14
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
SOL_PACKET, PACKET_STATISTICS = 263, 6

# A classic BPF program run by the kernel: keep IPv4 UDP datagrams whose payload starts with a
# letter (SIP's method or "SIP/2.0"), so the RTP of every call on the machine (first byte
# 0x80) never reaches Python. Without it a busy loopback overflowed the socket's buffer and
# an INVITE went missing from the capture. (code, jt, jf, k) as in <linux/filter.h>.
_SIP_ONLY = (
    (0x28, 0, 0, 12),  # ldh [12]: EtherType
    (0x15, 0, 6, 0x0800),  # IPv4, else drop
    (0x30, 0, 0, 23),  # ldb [23]: IP protocol
    (0x15, 0, 4, 17),  # UDP, else drop
    (0x30, 0, 0, _ETH + 20 + 8),  # ldb: first payload byte (20-byte IP header on lo)
    (0x35, 0, 2, ord("A")),  # >= 'A', else drop
    (0x25, 1, 0, ord("z")),  # > 'z': drop
    (0x06, 0, 0, 0xFFFF),  # keep
    (0x06, 0, 0, 0),  # drop
)


def _attach_sip_filter(sock: socket.socket) -> ctypes.Array[ctypes.c_char]:
    """Attach `_SIP_ONLY`; returns the program's buffer, to keep alive with the socket."""
    program = b"".join(struct.pack("HBBI", *op) for op in _SIP_ONLY)
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("HL", len(_SIP_ONLY), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    return buffer


@dataclass(frozen=True)
class Datagram:
    """One UDP datagram: where it went and its text."""

    source: tuple[str, int]
    destination: tuple[str, int]
    text: str
    seen: float  # time.monotonic() when captured: order only, never a timing assert

    @property
    def first_line(self) -> str:
        return self.text.split("\r\n", 1)[0]

    def header(self, name: str) -> str | None:
        """The first value of header `name` (full or compact form not handled: Centrex and
        the peers used here write full names)."""
        match = re.search(rf"^{re.escape(name)}\s*:\s*(.*?)\s*$", self.text, re.M | re.I)
        return match.group(1) if match else None

    def tag(self, name: str) -> str | None:
        """The tag parameter of the From or To header."""
        value = self.header(name) or ""
        match = re.search(r";\s*tag=([^;>\s]+)", value)
        return match.group(1) if match else None


@dataclass
class SipCapture:
    """Collects SIP datagrams from or to UDP `ports` on loopback (a context manager)."""

    ports: frozenset[int]
    datagrams: list[Datagram] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _filter: object = None
    drops: int = 0  # datagrams the kernel dropped for want of buffer (PACKET_STATISTICS)

    def __enter__(self) -> SipCapture:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._filter = _attach_sip_filter(sock)
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 * 1024 * 1024)
        sock.bind(("lo", 0))
        sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, sock: socket.socket) -> None:
        with sock:
            self._loop(sock)
            _, drops = struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
            self.drops += drops

    def _loop(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                frame, address = sock.recvfrom(65535)
            except TimeoutError:
                continue
            if address[2] != PACKET_HOST or len(frame) < _ETH + 28:
                continue
            ip = frame[_ETH:]
            if ip[0] >> 4 != 4 or ip[9] != 17:  # IPv4 / UDP
                continue
            udp = ip[(ip[0] & 0x0F) * 4 :]
            sport, dport = struct.unpack_from("!HH", udp, 0)
            if sport not in self.ports and dport not in self.ports:
                continue
            payload = bytes(udp[8:])
            if not payload[:1].isalpha():  # keep-alives, RTP on a shared port
                continue
            datagram = Datagram(
                (socket.inet_ntoa(ip[12:16]), sport),
                (socket.inet_ntoa(ip[16:20]), dport),
                payload.decode("utf-8", "replace"),
                time.monotonic(),
            )
            with self._lock:
                self.datagrams.append(datagram)

    def messages(self) -> list[Datagram]:
        """What was captured so far, in order."""
        with self._lock:
            return list(self.datagrams)

    def requests(self, method: str, *, to_port: int | None = None) -> list[Datagram]:
        """Requests of `method` (each retransmission once: by Via branch), oldest first."""
        seen: set[str] = set()
        found = []
        for d in self.messages():
            if not d.first_line.startswith(f"{method} ") or (
                to_port is not None and d.destination[1] != to_port
            ):
                continue
            key = f"{d.header('Via')}|{d.destination}"
            if key not in seen:
                seen.add(key)
                found.append(d)
        return found

    def wait(self, predicate: object, timeout: float = 20.0) -> bool:
        """Poll `predicate(self)` until true or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):  # type: ignore[operator]
                return True
            time.sleep(0.1)
        return False


def answered_dialog(capture: SipCapture, call_id: str) -> tuple[str, str, str] | None:
    """(Call-ID, From tag, To tag) of the 200 OK answering INVITE `call_id`, or None."""
    for d in capture.messages():
        if (
            d.first_line.startswith("SIP/2.0 200")
            and (d.header("CSeq") or "").endswith("INVITE")
            and d.header("Call-ID") == call_id
        ):
            from_tag, to_tag = d.tag("From"), d.tag("To")
            if from_tag and to_tag:
                return call_id, from_tag, to_tag
    return None
