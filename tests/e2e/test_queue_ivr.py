"""An IVR flow's `queue` target through a real `centrex serve` and real phones (baresip): the
flow on extension 100 hands its caller to queue 500, who hears music on hold and then the
agent 102 (FFT of the caller's recording); the statistics count the call."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import flows as flow_service
from centrex.provisioning import queues as queue_service
from centrex.provisioning import tenants as tenant_service
from tests.e2e.test_calls import (
    ACME,
    CallPbx,
    established,
    is_moh,
    is_tone,
    phone,
    registered,
    spectrum_windows,
)
from tests.peers.phone import read_recording

pytestmark = pytest.mark.e2e

IVR = "100"
TO_QUEUE: dict[str, Any] = {
    "start": "queue",
    "nodes": [{"id": "queue", "type": "transfer", "target": {"kind": "queue", "value": "500"}}],
}


class QueueIvrPbx(CallPbx):
    """The calls test server plus queue 500 (agent 102) and extension 100 running the flow."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                await queue_service.create_queue(scope, number="500", strategy="longest-idle",
                                                 members=["102"], ring_seconds=30)  # fmt: skip
                await extension_service.create_extension(
                    scope, number=IVR, name="Reception", voicemail=False
                )
                flow = await flow_service.create_flow(scope, name="to-queue", graph=TO_QUEUE,
                                                      now=SystemClock().utcnow())  # fmt: skip
                await flow_service.bind_extension(scope, flow.id, IVR)
        finally:
            await database.dispose()


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[QueueIvrPbx]:
    server = QueueIvrPbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_an_ivr_queue_target_waits_with_music_then_reaches_the_agent(
    pbx: QueueIvrPbx, tmp_path: Path
) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as agent,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(agent)
        registered(caller)
        caller.command("dial", f"sip:{IVR}@{ACME}")
        established(caller)  # answered by the flow, then the queue plays its music
        assert agent.wait_log("Incoming call", timeout=20), agent.log()
        time.sleep(4)
        agent.command("accept")
        established(agent)
        time.sleep(3)
        caller.command("hangup")
        assert agent.wait_hung_up(), agent.log()
    windows = spectrum_windows(read_recording(caller.recordings()[-1]))
    music = [i for i, w in enumerate(windows) if is_moh(w)]
    talk = [i for i, w in enumerate(windows) if is_tone(w, 1500)]
    assert music, windows
    assert talk, windows
    assert max(music) < min(talk), windows
    deadline = time.monotonic() + 20
    while True:
        stats = pbx.cli("queue", "stats", "--tenant", ACME, "--number", "500")
        if stats["answered"] >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (stats["offered"], stats["answered"]) == (1, 1)
    assert stats["agents"][0]["calls"] == 1
