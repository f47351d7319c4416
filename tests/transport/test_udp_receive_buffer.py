"""The SIP UDP socket's receive buffer holds a burst that arrives while the loop is busy."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from centrex.transport.connections import Flow, SourceGuard
from centrex.transport.udp import listen_udp, set_receive_buffer

BURST = 6000
DATAGRAM = b"OPTIONS sip:x SIP/2.0\r\n" + b"X: " + b"a" * 400 + b"\r\n\r\n"


async def _burst_received(receive_buffer: int) -> int:
    """Datagrams delivered when BURST of them arrive while the loop is blocked."""
    got: list[Flow] = []
    guard = SourceGuard(1e9, time.monotonic)
    udp = await listen_udp(
        "127.0.0.1", 0, lambda _d, flow: got.append(flow), guard, receive_buffer=receive_buffer
    )
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(BURST):  # the loop runs nothing meanwhile: all of it is buffered
                sender.sendto(DATAGRAM, udp.local)
        for _ in range(100):
            await asyncio.sleep(0.02)
            if len(got) >= BURST:
                break
        return len(got)
    finally:
        udp.close()


def _rmem_default() -> int:
    return int(Path("/proc/sys/net/core/rmem_default").read_text())


async def test_a_large_buffer_keeps_a_burst_the_default_drops() -> None:
    default = await _burst_received(0)
    large = await _burst_received(16 * 1024 * 1024)
    assert large == BURST
    if _rmem_default() < BURST * len(DATAGRAM):  # the usual ~208 KiB: the burst cannot fit
        assert default < BURST


def test_set_receive_buffer_reports_what_the_kernel_granted() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        before = set_receive_buffer(sock, 0)
        granted = set_receive_buffer(sock, 4 * 1024 * 1024)
    rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    assert granted > before
    # root may exceed rmem_max (SO_RCVBUFFORCE); otherwise the kernel caps the request there
    assert granted >= min(4 * 1024 * 1024, rmem_max)
