"""Small helpers shared by tests that start real processes."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

from centrex.data.secrets_box import SecretBox
from centrex.provisioning.storage import MediaStore


def api_wiring(data_dir: Path) -> dict[str, Any]:
    """What `server.py` passes `create_app` besides the database: one key, one file store."""
    return {"secret_box": SecretBox("test-key"), "media_store": MediaStore(data_dir)}


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port that is free for both TCP and UDP right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, other) as check:
            try:
                check.bind((host, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


def wait_http(url: str, timeout: float = 30.0) -> bytes:
    """GET `url` until it answers 200 or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body: bytes = response.read()
                return body
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer: {last!r}")
