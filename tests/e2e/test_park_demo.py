"""Call park and pickup from real phones in `centrex demo` (issue 12 item 4): baresip 102 calls
101, 101 answers and blind-transfers the call to 700 (REFER, baresip's `transfer` command): 101
is released and 102 waits in slot 701; baresip 103 dials 701 and gets the parked call — 102 and
103 then hear each other (FFT of what each phone recorded). Pickup: 102 calls 101, which rings;
103 dials **101 and gets the call, 101 stops ringing. The credentials are the demo's own
`--json` output, as in test_demo.py.

Ports (this test's own, shared with no other e2e test): SIP 15400-15449 (Centrex 15400, phones
15410-15414), HTTP 18400, RTP of Centrex 44000-44199, baresip RTP and control 44200-44399."""

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

from tests.helpers import wait_http
from tests.peers.phone import Phone, dominant_frequency, write_tone

pytestmark = pytest.mark.e2e

SIP_PORT = 15400
HTTP_PORT = 18400
PHONES = {
    "101": (15410, 44200, 44390, 700.0),
    "102": (15412, 44250, 44391, 1000.0),
    "103": (15414, 44300, 44392, 1500.0),
}  # fmt: skip  SIP, RTP base, ctrl, tone Hz


class Demo:
    """`centrex demo --json` on this test's ports (or the given ones: other e2e files reuse it)."""

    def __init__(
        self,
        directory: Path,
        *,
        sip_port: int = SIP_PORT,
        http_port: int = HTTP_PORT,
        rtp: tuple[int, int] = (44000, 44199),
    ) -> None:
        env = dict(
            os.environ,
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_DATABASE_URL="",
            CENTREX_SMTP_URL="",
            CENTREX_RTP_PORT_MIN=str(rtp[0]),
            CENTREX_RTP_PORT_MAX=str(rtp[1]),
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",  # baresip 1.0 aborts on SHA-256 challenges
        )
        env.pop("CENTREX_CONFIG", None)
        self.env = env  # for the CLI on the same data
        self.process = subprocess.Popen(
            [sys.executable, "-m", "centrex", "demo", "--json",
             "--sip", f"127.0.0.1:{sip_port}", "--http", f"127.0.0.1:{http_port}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        wait_http(f"http://127.0.0.1:{http_port}/api/v1/health")

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
    running = Demo(tmp_path_factory.mktemp("park-demo"))
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


def test_demo_101_parks_a_call_and_103_retrieves_it(demo: Demo, tmp_path: Path) -> None:
    domain = demo.info["domain"]
    with (
        phone(demo, tmp_path, "101", answer=True) as parker,
        phone(demo, tmp_path, "103", answer=False) as retriever,
        phone(demo, tmp_path, "102", answer=False) as parked,
    ):
        for p in (parker, retriever, parked):
            assert p.wait_log("200 OK", timeout=30), p.log()
        parked.command("dial", f"sip:101@{domain}")
        assert parked.wait_log("Call established", timeout=30), parked.log()
        assert parker.wait_log("Call established", timeout=30), parker.log()
        time.sleep(1)
        parker.command("transfer", f"sip:700@{domain}")
        assert parker.wait_hung_up(timeout=40), parker.log()  # released: NOTIFY 200, BYE
        time.sleep(1)  # 102 waits in 701 with music on hold
        retriever.command("dial", f"sip:701@{domain}")
        assert retriever.wait_log("Call established", timeout=30), retriever.log()
        time.sleep(12)  # 102 and 103 talk; the middle of each recording is this stretch
        retriever.command("hangup")
        assert parked.wait_hung_up(timeout=20), parked.log()
    assert "transfer failure" not in parker.log()
    heard_by_parked, level = dominant_frequency(parked.recordings()[-1])
    assert abs(heard_by_parked - 1500) < 20, heard_by_parked  # 103's tone
    assert level > 300, level
    heard_by_retriever, level = dominant_frequency(retriever.recordings()[-1])
    assert abs(heard_by_retriever - 1000) < 20, heard_by_retriever  # 102's tone
    assert level > 300, level


def test_demo_103_picks_up_a_call_ringing_101(demo: Demo, tmp_path: Path) -> None:
    domain = demo.info["domain"]
    with (
        phone(demo, tmp_path, "101", answer=False) as rung,
        phone(demo, tmp_path, "103", answer=False) as picker,
        phone(demo, tmp_path, "102", answer=False) as caller,
    ):
        for p in (rung, picker, caller):
            assert p.wait_log("200 OK", timeout=30), p.log()
        caller.command("dial", f"sip:101@{domain}")
        assert rung.wait_log("Incoming call", timeout=30), rung.log()
        time.sleep(1)
        picker.command("dial", f"sip:**101@{domain}")
        assert picker.wait_log("Call established", timeout=30), picker.log()
        assert caller.wait_log("Call established", timeout=30), caller.log()
        assert rung.wait_hung_up(timeout=20), rung.log()  # CANCEL: it stopped ringing
        assert "Call established" not in rung.log()
        time.sleep(10)
        picker.command("hangup")
        assert caller.wait_hung_up(timeout=20), caller.log()
    heard_by_caller, level = dominant_frequency(caller.recordings()[-1])
    assert abs(heard_by_caller - 1500) < 20, heard_by_caller  # 103's tone
    assert level > 300, level
    heard_by_picker, level = dominant_frequency(picker.recordings()[-1])
    assert abs(heard_by_picker - 1000) < 20, heard_by_picker  # 102's tone
    assert level > 300, level
