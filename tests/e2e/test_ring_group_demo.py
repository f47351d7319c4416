"""The demo's ring group against a real server and real phones (baresip): 101 dials 600 and
102 and 103 ring at once (101, the caller, is a member and does not ring itself); 103 answers,
the call is established and 102's ringing is cancelled. Ports: SIP 15240-15269, RTP 43600-43999
(this test's ranges on the shared machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_demo import Demo
from tests.helpers import wait_http
from tests.peers.phone import Phone, write_tone

pytestmark = pytest.mark.e2e

SIP_PORT = 15240
RTP = (43600, 43999)


class RingDemo(Demo):
    """`centrex demo` on this test's SIP and RTP ports (the base class picks free ones)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sip, self.http = SIP_PORT, 15241
        self.env = dict(
            os.environ,
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_DATABASE_URL="",
            CENTREX_SMTP_URL="",
            CENTREX_RTP_PORT_MIN=str(RTP[0]),
            CENTREX_RTP_PORT_MAX=str(RTP[0] + 199),
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",  # baresip 1.0 aborts on SHA-256 challenges
        )
        self.env.pop("CENTREX_CONFIG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "centrex", "demo", "--json",
             "--sip", f"127.0.0.1:{self.sip}", "--http", f"127.0.0.1:{self.http}"],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        wait_http(f"http://127.0.0.1:{self.http}/api/v1/health")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = RingDemo(tmp_path / "demo")
    try:
        yield running
    finally:
        running.stop()


def phone(demo: Demo, tmp: Path, number: str, index: int) -> Phone:
    directory = tmp / f"phone-{number}"
    directory.mkdir(parents=True, exist_ok=True)
    base = RTP[0] + 200 + 40 * index
    return Phone(
        directory=directory, user=number, domain=demo.info["domain"],
        password=demo.password(number), server=("127.0.0.1", demo.info["sip_port"]),
        sip_port=15250 + 2 * index, ctrl_port=15260 + index, rtp_ports=(base, base + 38),
        tone=write_tone(directory / "tone.wav", 1000 + 200 * index), auto_answer=False,
    )  # fmt: skip


def test_demo_ring_group_600_rings_101_to_103(demo: Demo, tmp_path: Path) -> None:
    assert demo.info["ring_group"]["members"] == ["101", "102", "103"]
    with (
        phone(demo, tmp_path, "102", 2) as bob,
        phone(demo, tmp_path, "103", 3) as carol,
        phone(demo, tmp_path, "101", 1) as alice,
    ):
        for member in (alice, bob, carol):
            assert member.wait_log("200 OK", timeout=30), member.log()
        alice.command("dial", f"sip:600@{demo.info['domain']}")
        assert bob.wait_log("Incoming call", timeout=20), bob.log()
        assert carol.wait_log("Incoming call", timeout=20), carol.log()
        assert "Incoming call" not in alice.log()
        carol.command("accept")
        assert alice.wait_log("Call established", timeout=20), alice.log()
        assert carol.wait_log("Call established", timeout=20), carol.log()
        assert bob.wait_hung_up(timeout=20), bob.log()  # its ringing was cancelled
        assert "Call established" not in bob.log()
        time.sleep(1)
        alice.command("hangup")
        assert carol.wait_hung_up(timeout=20), carol.log()
