"""The demo's queue 500 against `centrex demo` and real phones (baresip): the banner lists it,
101 calls 500 twice and the calls are distributed to 102 and 103, the longest idle first —
neither agent is offered a call while it talks, and the statistics count both."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_demo import Demo
from tests.helpers import free_port
from tests.peers.phone import Phone, write_tone

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path / "demo")
    try:
        yield running
    finally:
        running.stop()


def phone(demo: Demo, tmp: Path, number: str, base: int, *, answer: bool) -> Phone:
    directory = tmp / f"phone-{number}"
    directory.mkdir(parents=True, exist_ok=True)
    return Phone(
        directory=directory, user=number, domain=demo.info["domain"],
        password=demo.password(number), server=("127.0.0.1", demo.info["sip_port"]),
        sip_port=free_port(), ctrl_port=free_port(), rtp_ports=(base, base + 38),
        tone=write_tone(directory / "tone.wav", 1000 + int(number)), auto_answer=answer,
    )  # fmt: skip


def cli(demo: Demo, *args: str) -> Any:
    import json

    done = subprocess.run([sys.executable, "-m", "centrex", *args, "--json"], env=demo.env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_demo_queue_500_distributes_calls_to_102_and_103(demo: Demo, tmp_path: Path) -> None:
    assert demo.info["queue"] == {"number": "500", "strategy": "longest-idle",
                                  "members": ["102", "103"]}  # fmt: skip
    domain = demo.info["domain"]
    with (
        phone(demo, tmp_path, "102", 44400, answer=True) as bob,
        phone(demo, tmp_path, "103", 44440, answer=True) as carol,
        phone(demo, tmp_path, "101", 44480, answer=False) as alice,
    ):
        for p in (alice, bob, carol):
            assert p.wait_log("200 OK", timeout=30), p.log()
        alice.command("dial", f"sip:500@{domain}")
        assert bob.wait_log("Call established", timeout=30), bob.log()  # configured order
        assert "answering call on line" not in carol.log()  # auto-answer's word for an INVITE
        time.sleep(1)
        alice.command("hangup")
        assert bob.wait_hung_up(), bob.log()
        alice.command("dial", f"sip:500@{domain}")  # 102 wraps up, 103 is the longest idle
        assert carol.wait_log("Call established", timeout=30), carol.log()
        assert bob.log().count("answering call on line") == 1, bob.log()
        time.sleep(1)
        alice.command("hangup")
        assert carol.wait_hung_up(), carol.log()
    deadline = time.monotonic() + 20
    while True:
        stats = cli(demo, "queue", "stats", "--tenant", domain, "--number", "500")
        if stats["answered"] >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (stats["offered"], stats["answered"]) == (2, 2)
    calls = {a["extension"]: a["calls"] for a in stats["agents"]}
    assert calls == {"102": 1, "103": 1}
