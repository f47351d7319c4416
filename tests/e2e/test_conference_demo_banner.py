"""The demo's banner (plain `centrex demo`, no --json) tells how to reach the conference room:
a line naming 800, the extensions that meet there, and how to list the tenant's rooms."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import free_port

pytestmark = pytest.mark.e2e


def test_the_banner_lists_conference_800(tmp_path: Path) -> None:
    env = dict(os.environ, CENTREX_DATA_DIR=str(tmp_path / "data"), CENTREX_DATABASE_URL="",
               CENTREX_SMTP_URL="", CENTREX_RTP_PORT_MIN="43000", CENTREX_RTP_PORT_MAX="43999")  # fmt: skip
    env.pop("CENTREX_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "centrex", "demo", "--sip", f"127.0.0.1:{free_port()}",
         "--http", f"127.0.0.1:{free_port()}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    banner = "".join(lines)
    conference = [line for line in lines if line.startswith("Conference:")]
    assert conference, banner
    assert "dial 800 from 101-103" in conference[0]
    assert "centrex conference list --tenant" in conference[0]
