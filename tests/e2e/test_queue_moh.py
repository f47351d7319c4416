"""A queue's own music on hold against a real server and real phones (baresip): the tenant
uploads two MOH files through the API (a 2300 Hz tone, then a 2700 Hz one, the tenant's latest
upload), the queue is created naming the first as its `moh`; a caller waiting in the queue (the
agent's phone rings, nobody answers) hears the queue's file, neither the tenant's latest upload
nor the built-in melody (FFT of the caller's recording)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_calls import (
    ACME,
    established,
    is_moh,
    is_tone,
    phone,
    registered,
    spectrum_windows,
)
from tests.e2e.test_queue import QueuePbx
from tests.peers.phone import read_recording, write_tone

pytestmark = pytest.mark.e2e

QUEUE_HZ, TENANT_HZ = 2300.0, 2700.0


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[QueuePbx]:
    server = QueuePbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _upload(api: httpx.Client, tmp: Path, name: str, hz: float) -> int:
    path = write_tone(tmp / f"{name}.wav", hz, seconds=20.0)
    files = {"file": (f"{name}.wav", path.read_bytes(), "audio/wav")}
    made = api.post("/api/v1/media", files=files, data={"kind": "moh", "name": name})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_the_waiting_caller_hears_the_queues_own_music(pbx: QueuePbx, tmp_path: Path) -> None:
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    headers = {"Authorization": f"Bearer {token}", "Centrex-Tenant": ACME}
    with httpx.Client(base_url=f"http://127.0.0.1:{pbx.http}", headers=headers, timeout=30) as api:
        own = _upload(api, tmp_path, "queue-tone", QUEUE_HZ)
        _upload(api, tmp_path, "tenant-tone", TENANT_HZ)  # the tenant's latest upload
        made = api.post("/api/v1/queues", json={
            "number": "500", "members": [{"extension": "102"}], "ring_seconds": 30, "moh": own,
        })  # fmt: skip
        assert made.status_code == 201, made.text
        queue: dict[str, Any] = made.json()
        assert queue["moh"] == own
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as agent,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(agent)
        registered(caller)
        caller.command("dial", f"sip:500@{ACME}")
        established(caller)  # the queue answers at once: its music
        assert agent.wait_log("Incoming call", timeout=20), agent.log()
        time.sleep(5)  # nobody answers: the caller waits with the music
        caller.command("hangup")
    windows = spectrum_windows(read_recording(caller.recordings()[-1]))
    own_music = [w for w in windows if is_tone(w, QUEUE_HZ)]
    assert len(own_music) >= 3, windows
    assert not [w for w in windows if is_tone(w, TENANT_HZ)], windows
    assert not [w for w in windows if is_moh(w)], windows  # not the built-in melody either
