"""Call control through the REST API on `centrex demo` with real phones (issue 12 item 10):
the switchboard's blind transfer (`POST /api/v1/calls/{id}/transfer`) and click-to-call
(`POST /api/v1/calls`), each checked by what the remaining parties hear (FFT of baresip's
recordings), plus another tenant's token that cannot see or touch the call.

Ports (this test's own): SIP 16700-16749 (Centrex 16700, phones 16710-16714), HTTP 18700, RTP
of Centrex 46000-46199, baresip RTP and control 46200-46399."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_park_demo import Demo
from tests.peers.phone import Phone, dominant_frequency, write_tone

pytestmark = pytest.mark.e2e

SIP_PORT = 16700
HTTP_PORT = 18700
PHONES = {
    "101": (16710, 46200, 46390, 700.0),
    "102": (16712, 46250, 46391, 1000.0),
    "103": (16714, 46300, 46392, 1500.0),
}  # fmt: skip  SIP, RTP base, ctrl, tone Hz


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    running = Demo(
        tmp_path_factory.mktemp("call-control-demo"), sip_port=SIP_PORT, http_port=HTTP_PORT,
        rtp=(46000, 46199),
    )  # fmt: skip
    try:
        yield running
    finally:
        running.stop()


def cli(demo: Demo, *args: str) -> dict[str, Any]:
    """`centrex … --json` on the demo's data (its SQLite database)."""
    done = subprocess.run(
        [sys.executable, "-m", "centrex", *args, "--json"], env=demo.env, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def api(demo: Demo) -> Iterator[httpx.Client]:
    token = cli(demo, "token", "create", "--role", "tenant-admin", "--tenant",
                demo.info["domain"])["token"]  # fmt: skip
    with httpx.Client(
        base_url=f"http://127.0.0.1:{HTTP_PORT}", headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ) as client:  # fmt: skip
        yield client


def phone(demo: Demo, tmp: Path, number: str) -> Phone:
    sip, rtp, ctrl, hz = PHONES[number]
    directory = tmp / f"phone-{number}"
    directory.mkdir(parents=True, exist_ok=True)
    return Phone(
        directory=directory, user=number, domain=demo.info["domain"],
        password=demo.password(number), server=("127.0.0.1", demo.info["sip_port"]),
        sip_port=sip, ctrl_port=ctrl, rtp_ports=(rtp, rtp + 40),
        tone=write_tone(directory / "tone.wav", hz), auto_answer=True,
    )  # fmt: skip


def live_call(api: httpx.Client, state: str, timeout: float = 20.0) -> dict[str, Any]:
    """The demo tenant's one live call once it is in `state`."""
    deadline = time.monotonic() + timeout
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        items = api.get("/api/v1/calls").json()["items"]
        if len(items) == 1 and items[0]["state"] == state:
            return items[0]
        time.sleep(0.3)
    raise AssertionError(f"no single {state} call: {items}")


def heard(p: Phone) -> float:
    frequency, level = dominant_frequency(p.recordings()[-1])
    assert level > 300, (p.user, level)
    return frequency


def test_the_switchboard_transfers_a_call_from_the_api(
    demo: Demo, api: httpx.Client, tmp_path: Path
) -> None:
    domain = demo.info["domain"]
    other = cli(demo, "tenant", "create", "--name", "Other", "--domain", "other.test",
                "--extension-digits", "3", "--max-calls", "2")  # fmt: skip
    assert other["domain"] == "other.test"
    foreign = cli(demo, "token", "create", "--role", "tenant-admin", "--tenant",
                  "other.test")["token"]  # fmt: skip
    headers = {"Authorization": f"Bearer {foreign}"}
    with (
        phone(demo, tmp_path, "101") as attendant,
        phone(demo, tmp_path, "103") as target,
        phone(demo, tmp_path, "102") as caller,
    ):
        for p in (attendant, target, caller):
            assert p.wait_log("200 OK", timeout=30), p.log()
        caller.command("dial", f"sip:101@{domain}")
        assert attendant.wait_log("Call established", timeout=30), attendant.log()
        call = live_call(api, "answered")
        assert (call["caller"], call["callee"], call["held"], call["park_slot"]) == (
            "102", "101", False, None,
        )  # fmt: skip
        # another tenant's administrator neither sees nor transfers it
        assert api.get("/api/v1/calls", headers=headers).json()["total"] == 0
        refused = api.post(f"/api/v1/calls/{call['call_id']}/transfer", json={"to": "103"},
                           headers=headers)  # fmt: skip
        assert refused.status_code == 404, refused.text
        assert refused.json()["error_id"] == "call-not-found"
        bad = api.post(f"/api/v1/calls/{call['call_id']}/transfer", json={"to": "10x"})
        assert bad.status_code == 422, bad.text
        done = api.post(f"/api/v1/calls/{call['call_id']}/transfer", json={"to": "103"})
        assert done.status_code == 202, done.text
        assert done.json()["state"] == "ringing"
        assert target.wait_log("Call established", timeout=30), target.log()
        assert attendant.wait_hung_up(timeout=30), attendant.log()  # released: BYE
        time.sleep(16)  # 102 and 103 talk; the middle of 102's recording is this stretch
        target.command("hangup")
        assert caller.wait_hung_up(timeout=20), caller.log()
    assert abs(heard(caller) - 1500) < 20  # 103's tone, not the attendant's 700 Hz
    assert abs(heard(target) - 1000) < 20  # 102's tone


def test_click_to_call_rings_101_then_dials_103(
    demo: Demo, api: httpx.Client, tmp_path: Path
) -> None:
    with (
        phone(demo, tmp_path, "101") as originator,
        phone(demo, tmp_path, "103") as target,
    ):
        for p in (originator, target):
            assert p.wait_log("200 OK", timeout=30), p.log()
        unknown = api.post("/api/v1/calls", json={"from_extension": "199", "to": "103"})
        assert unknown.status_code == 404, unknown.text
        placed = api.post("/api/v1/calls", json={"from_extension": "101", "to": "103"})
        assert placed.status_code == 202, placed.text
        assert placed.json()["state"] == "ringing"
        assert originator.wait_log("Call established", timeout=30), originator.log()
        assert target.wait_log("Call established", timeout=30), target.log()
        call = live_call(api, "answered")
        assert (call["call_id"], call["caller"], call["callee"]) == (
            placed.json()["call_id"], "101", "103",
        )  # fmt: skip
        time.sleep(12)
        originator.command("hangup")
        assert target.wait_hung_up(timeout=20), target.log()
    assert abs(heard(originator) - 1500) < 20  # 103's tone (the ringback came before)
    assert abs(heard(target) - 700) < 20  # 101's tone
    deadline = time.monotonic() + 15
    while True:  # the CDR is closed as the call's release ends, just after the BYEs
        cdrs = api.get("/api/v1/cdrs").json()["items"]
        mine = [c for c in cdrs if c.get("call_id") == placed.json()["call_id"]]
        if (mine and mine[0]["disposition"]) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert mine, cdrs
    assert (mine[0]["caller"], mine[0]["callee"], mine[0]["disposition"]) == (
        "101", "103", "answered",
    )  # fmt: skip
    assert mine[0]["answered_at"] is not None
