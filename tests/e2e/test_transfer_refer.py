"""Blind transfer from a real phone in `centrex demo` (issue 12's done criterion): baresip 102
calls 101, 101 answers and transfers the call to 103 with REFER (baresip's `transfer`
command), 103 answers; 102 and 103 then hear each other (FFT of what each phone recorded) and
101 is released. The credentials are the demo's own `--json` output, as in test_demo.py.

Ports (this test's own, shared with no other e2e test): SIP 15200-15229, RTP of Centrex
43200-43399, baresip RTP and control 43400-43599."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port, wait_http
from tests.peers.phone import Phone, dominant_frequency, write_tone

pytestmark = pytest.mark.e2e

SIP_PORT = 15200
PHONES = {
    "101": (15210, 43400, 43590, 700.0),
    "102": (15212, 43450, 43591, 1000.0),
    "103": (15214, 43500, 43592, 1500.0),
}  # fmt: skip  SIP, RTP base, ctrl, tone Hz


class Demo:
    """`centrex demo --json` on this test's ports."""

    def __init__(self, directory: Path) -> None:
        self.http = free_port()
        env = dict(
            os.environ,
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_DATABASE_URL="",
            CENTREX_SMTP_URL="",
            CENTREX_RTP_PORT_MIN="43200",
            CENTREX_RTP_PORT_MAX="43399",
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",  # baresip 1.0 aborts on SHA-256 challenges
        )
        env.pop("CENTREX_CONFIG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "centrex", "demo", "--json",
             "--sip", f"127.0.0.1:{SIP_PORT}", "--http", f"127.0.0.1:{self.http}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        wait_http(f"http://127.0.0.1:{self.http}/api/v1/health")

    def password(self, number: str) -> str:
        return str(next(x for x in self.info["extensions"] if x["number"] == number)["password"])

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    running = Demo(tmp_path_factory.mktemp("transfer-demo"))
    try:
        yield running
    finally:
        running.stop()


def phone(demo: Demo, tmp: Path, number: str, *, answer: bool) -> Phone:
    sip, rtp, ctrl, hz = PHONES[number]
    directory = tmp / f"phone-{number}"
    directory.mkdir(parents=True, exist_ok=True)
    return Phone(
        directory=directory, user=number, domain=demo.info["domain"],
        password=demo.password(number), server=("127.0.0.1", demo.info["sip_port"]),
        sip_port=sip, ctrl_port=ctrl, rtp_ports=(rtp, rtp + 40),
        tone=write_tone(directory / "tone.wav", hz), auto_answer=answer,
    )  # fmt: skip


def test_demo_101_blind_transfers_a_call_to_103(demo: Demo, tmp_path: Path) -> None:
    domain = demo.info["domain"]
    with (
        phone(demo, tmp_path, "101", answer=True) as transferor,
        phone(demo, tmp_path, "103", answer=True) as target,
        phone(demo, tmp_path, "102", answer=False) as transferee,
    ):
        for p in (transferor, target, transferee):
            assert p.wait_log("200 OK", timeout=30), p.log()
        transferee.command("dial", f"sip:101@{domain}")
        assert transferee.wait_log("Call established", timeout=30), transferee.log()
        assert transferor.wait_log("Call established", timeout=30), transferor.log()
        time.sleep(2)
        transferor.command("transfer", f"sip:103@{domain}")
        assert target.wait_log("Call established", timeout=30), target.log()
        assert transferor.wait_hung_up(timeout=40), transferor.log()  # released: BYE
        time.sleep(8)  # 102 and 103 talk; the middle of each recording is this stretch
        transferee.command("hangup")
        assert target.wait_hung_up(timeout=20), target.log()
    assert "transfer failure" not in transferor.log()
    heard_by_transferee, level = dominant_frequency(transferee.recordings()[-1])
    assert abs(heard_by_transferee - 1500) < 20, heard_by_transferee  # 103's tone
    assert level > 300, level
    heard_by_target, level = dominant_frequency(target.recordings()[-1])
    assert abs(heard_by_target - 1000) < 20, heard_by_target  # 102's tone
    assert level > 300, level
