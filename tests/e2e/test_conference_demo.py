"""The demo's conference room against a real `centrex demo` and real phones (baresip): the
demo announces room 800 without a PIN, and 101, 102 and 103 meet in it — each hears the two
others' tones and not its own (FFT on each phone's decoded recording)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_calls import _rtp_base
from tests.e2e.test_conference import band_levels
from tests.e2e.test_demo import Demo
from tests.helpers import free_port
from tests.peers.phone import Phone, write_tone

pytestmark = pytest.mark.e2e

TONES = {"101": 1000.0, "102": 1300.0, "103": 1700.0}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path / "demo")
    try:
        yield running
    finally:
        running.stop()


def phone(demo: Demo, tmp: Path, number: str) -> Phone:
    directory = tmp / f"phone-{number}"
    directory.mkdir(parents=True, exist_ok=True)
    base = next(_rtp_base)
    return Phone(
        directory=directory, user=number, domain=demo.info["domain"],
        password=demo.password(number), server=("127.0.0.1", demo.info["sip_port"]),
        sip_port=free_port(), ctrl_port=free_port(), rtp_ports=(base, base + 40),
        tone=write_tone(directory / "tone.wav", TONES[number]), auto_answer=False,
    )  # fmt: skip


def test_demo_conference_800_101_to_103_meet(demo: Demo, tmp_path: Path) -> None:
    assert demo.info["conference"] == {"number": "800", "pin": None}
    with (
        phone(demo, tmp_path, "101") as alice,
        phone(demo, tmp_path, "102") as bob,
        phone(demo, tmp_path, "103") as carol,
    ):
        phones = {"101": alice, "102": bob, "103": carol}
        for p in phones.values():
            assert p.wait_log("200 OK", timeout=30), p.log()
        for p in phones.values():
            p.command("dial", f"sip:800@{demo.info['domain']}")
            assert p.wait_log("Call established", timeout=20), p.log()
            time.sleep(1)
        time.sleep(6)
        for p in phones.values():
            p.command("hangup")
        for p in phones.values():
            assert p.wait_hung_up(), p.log()
    for number, p in phones.items():
        others = [hz for n, hz in TONES.items() if n != number]
        own = band_levels(p.recordings()[-1], [TONES[number]])[0]
        heard = band_levels(p.recordings()[-1], others)
        assert min(heard) > 20 * own, (number, heard, own)
