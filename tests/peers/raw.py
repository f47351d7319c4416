"""A few hand-written SIP messages and blocking socket helpers for tests (no SIP library)."""

from __future__ import annotations

import secrets
import socket
import time


def options(local: tuple[str, int], transport: str = "UDP", via_host: str | None = None) -> bytes:
    """An OPTIONS to the server with `rport` (RFC 3581), from `local`."""
    branch = "z9hG4bK" + secrets.token_hex(8)
    host = via_host or local[0]
    return (
        "OPTIONS sip:server.invalid SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {host}:{local[1]};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@{local[0]}>;tag={secrets.token_hex(4)}\r\n"
        "To: <sip:server.invalid>\r\n"
        f"Call-ID: {secrets.token_hex(8)}@test\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def status_of(data: bytes) -> int:
    """The status code of a response's first line."""
    return int(data.split(b" ", 2)[1])


def udp_options_ok(server: tuple[str, int], timeout: float = 20.0) -> bool:
    """Send OPTIONS until a 200 arrives or `timeout` passes (server readiness)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.3)
        local = sock.getsockname()
        while time.monotonic() < deadline:
            sock.sendto(options(local), server)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            if status_of(data) == 200:
                return True
    return False
