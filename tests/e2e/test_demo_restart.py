"""`centrex demo` restarted on the same data directory: the phone a newcomer configured
yesterday registers again.

The demo keeps its passwords in `<data dir>/demo-credentials.json` (0600): a restart prints the
same table and the same baresip configuration (written once, from the first table) registers
again; what was added to the tenant in between is still there; `--reset` prints new passwords,
after which that configuration is refused. Each start's output is what a user needs: the
migrations' alembic INFO lines are not in it (unless `--verbose`).
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_http
from tests.peers.phone import Phone, write_tone

pytestmark = pytest.mark.e2e

DOMAIN = "demo.centrex.test"
ALEMBIC_INFO = re.compile(r"\bINFO\b.*\balembic\b")


@dataclass
class Start:
    """One run of `centrex demo`: what it printed, and its log once stopped."""

    stdout: list[str]
    stderr: str = ""

    def table(self) -> list[str]:
        """The phone table and the portal logins: the lines a user copies into a phone."""
        start = next(i for i, line in enumerate(self.stdout) if "USERNAME" in line)
        rows = self.stdout[start : self.stdout.index("", start)]
        logins = [x for x in self.stdout if x.startswith(("Portal:", "Softphone:"))]
        return rows + logins

    def password(self, number: str) -> str:
        for row in self.table()[1:]:
            columns = row.split()
            if len(columns) >= 5 and columns[3] == number:
                return columns[4]
        raise AssertionError(f"no row for {number} in {self.table()}")


class Demo:
    """`centrex demo` as a subprocess on a data directory that outlives it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sip, self.http = free_port(), free_port()
        self.env = dict(
            os.environ,
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_DATABASE_URL="",
            CENTREX_SMTP_URL="",
            CENTREX_RTP_PORT_MIN="45000",
            CENTREX_RTP_PORT_MAX="45199",
            CENTREX_LOG_LEVEL="INFO",  # INFO lines are shown: alembic's must not be among them
            # baresip 1.0 aborts on SHA-256 challenges (docs/registrar.md)
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",
        )
        self.env.pop("CENTREX_CONFIG", None)
        self.process: subprocess.Popen[str] | None = None

    @property
    def credentials_file(self) -> Path:
        return self.directory / "data" / "demo-credentials.json"

    def start(self, *options: str) -> Start:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "centrex", "demo", "--sip", f"127.0.0.1:{self.sip}",
             "--http", f"127.0.0.1:{self.http}", *options],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        lines: list[str] = []
        while not lines or lines[-1] != "Press Ctrl-C to stop.":
            line = self.process.stdout.readline()
            if not line:  # the demo exited before printing its table
                _, err = self.process.communicate(timeout=30)
                pytest.fail(f"demo stopped: {''.join(lines)}\n{err[-3000:]}")
            lines.append(line.rstrip("\n"))
        wait_http(f"http://127.0.0.1:{self.http}/api/v1/health")
        return Start(lines)

    def stop(self, start: Start) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            _, start.stderr = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, start.stderr = self.process.communicate()
            pytest.fail(f"demo did not stop on SIGINT: {start.stderr[-3000:]}")
        assert self.process.returncode == 0, start.stderr[-3000:]
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.communicate()

    def binding_sources(self, user: str) -> list[str]:
        """Where the registrar reaches `user` (its persisted bindings), polled a few times
        since a binding is written just after the 200 OK."""
        sources: list[str] = []
        for _attempt in range(10):
            found = self.cli("registrations", "--tenant", DOMAIN, "--user", user)
            assert isinstance(found, dict)
            sources = [str(x["source"]) for x in found["items"]]
            if sources:
                break
        return sources

    def cli(self, *args: str) -> object:
        done = subprocess.run(
            [sys.executable, "-m", "centrex", *args, "--json"],
            env=self.env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.kill()


def phone_101(directory: Path, demo: Demo, password: str) -> Phone:
    """The phone a user configured from the first table; its files are reused as they are."""
    return Phone(
        directory=directory, user="101", domain=DOMAIN, password=password,
        server=("127.0.0.1", demo.sip), sip_port=free_port(), ctrl_port=free_port(),
        rtp_ports=(45300, 45340), tone=write_tone(directory / "tone.wav", 1000),
    )  # fmt: skip


def registered(phone: Phone) -> bool:
    """baresip logs the registrar's answer: `200 OK (...) [1 binding]` once it is accepted."""
    return phone.wait_log("200 OK", timeout=20)


def assert_quiet_start(start: Start) -> None:
    # the server's own INFO lines are there, so the log level shows INFO: alembic's are not
    assert "SIP listening on" in start.stderr, start.stderr[-3000:]
    noisy = [line for line in start.stderr.splitlines() if ALEMBIC_INFO.search(line)]
    assert noisy == [], noisy


def test_a_restarted_demo_keeps_the_passwords_its_phone_was_configured_with(
    demo: Demo, tmp_path: Path
) -> None:
    first = demo.start()
    password = first.password("101")
    assert stat.S_IMODE(demo.credentials_file.stat().st_mode) == 0o600
    phone_dir = tmp_path / "phone-101"
    phone_dir.mkdir()
    with phone_101(phone_dir, demo, password) as phone:
        assert registered(phone), phone.log()
        assert demo.binding_sources("101") == [f"127.0.0.1:{phone.sip_port}"]
    configuration = (phone_dir / "accounts").read_bytes(), (phone_dir / "config").read_bytes()
    assert password.encode() in configuration[0]
    demo.stop(first)
    assert_quiet_start(first)
    # the tenant changes while the demo is stopped: the restart must keep it
    demo.cli("extension", "create", "--tenant", DOMAIN, "--number", "104", "--name", "Dave")

    second = demo.start()
    assert second.table() == first.table()
    assert any("the same as on the last start" in line for line in second.stdout)
    extensions = demo.cli("extension", "list", "--tenant", DOMAIN)
    assert isinstance(extensions, dict)
    assert "104" in [x["number"] for x in extensions["items"]]
    (phone_dir / "baresip.log").unlink()
    again = phone_101(phone_dir, demo, password)
    with again:
        assert (phone_dir / "accounts").read_bytes() == configuration[0]  # the same phone
        assert registered(again), again.log()
    demo.stop(second)
    assert_quiet_start(second)

    reset = demo.start("--reset", "--verbose")
    assert reset.password("101") != password
    assert [reset.password(n) for n in ("102", "103")] != [
        first.password(n) for n in ("102", "103")
    ]
    assert reset.table() != first.table()
    assert any("NEW ones (--reset)" in line for line in reset.stdout)
    (phone_dir / "baresip.log").unlink()
    with phone_101(phone_dir, demo, password) as stale:  # yesterday's configuration
        assert stale.wait_log("403 Forbidden", timeout=20), stale.log()
        assert "200 OK" not in stale.log()
    demo.stop(reset)
    assert any(ALEMBIC_INFO.search(line) for line in reset.stderr.splitlines())  # --verbose
