"""Real phones register to a real `centrex serve`: sipp (UDP, TCP, wrong password, unregister),
baresip (UDP, TLS), and a restart that keeps every binding.

One server per module (SQLite in a temporary data dir, tenant and extensions created with the
provisioning services). Every peer has its own 127.0.0.x address. The server offers MD5 only:
sipp 3.6 reads only the first challenge and baresip 1.0 (libre) aborts on any SHA-256 one
(`Register: Function not implemented`), see docs/registrar.md; SHA-256 is covered in
tests/registrar with the SIP core's client.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from tests.helpers import free_port
from tests.peers import sipp
from tests.peers.baresip import Baresip, BaresipAccount
from tests.peers.raw import udp_options_ok

pytestmark = pytest.mark.e2e

DOMAIN = "acme.e2e.test"
PASSWORDS = {n: f"secret-{n}-pw" for n in ("101", "102", "103", "104", "105", "106")}


class Pbx:
    """A `centrex serve` subprocess with its ports and a CLI runner."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.sip = free_port()
        self.tls = free_port()
        self.http = free_port()
        self.env = dict(os.environ)
        self.env.update(
            CENTREX_DATA_DIR=str(data_dir),
            CENTREX_DATABASE_URL="",
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",
            CENTREX_LOG_LEVEL="INFO",
        )
        self.env.pop("CENTREX_CONFIG", None)
        self.process: subprocess.Popen[str] | None = None
        self.logs: list[str] = []

    def start(self) -> None:
        path = self.data_dir / f"serve-{len(self.logs)}.log"
        with path.open("w") as log:
            self.process = self._popen(log)
        self.logs.append(str(path))
        if not udp_options_ok(("127.0.0.1", self.sip), timeout=30):
            self.stop()
            pytest.fail(f"server did not answer OPTIONS: {self.log()}")

    def _popen(self, log: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "centrex",
                "serve",
                "--sip",
                f"127.0.0.1:{self.sip}",
                "--sip-tls",
                f"127.0.0.1:{self.tls}",
                "--sip-ws",
                "127.0.0.1:0",
                "--http",
                f"127.0.0.1:{self.http}",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def log(self) -> str:
        return "".join(Path(name).read_text(errors="replace") for name in self.logs)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("server did not stop on SIGINT")
        assert self.process.returncode == 0, self.log()[-3000:]
        self.process = None

    def registrations(self) -> list[dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-m", "centrex", "registrations", "--tenant", DOMAIN, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        data = json.loads(done.stdout)
        assert data["total"] == len(data["items"])
        items: list[dict[str, Any]] = data["items"]
        return items

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        items = self.registrations()
        while not predicate(items):
            if time.monotonic() > deadline:
                pytest.fail(f"registrations never matched: {items}")
            time.sleep(0.3)
            items = self.registrations()
        return items


def _of(items: list[dict[str, Any]], user: str) -> list[dict[str, Any]]:
    return [item for item in items if item["aor"] == f"sip:{user}@{DOMAIN}"]


async def _provision(url: str) -> None:
    database = Database(url)
    try:
        await database.upgrade()
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session,
                now=SystemClock().utcnow(),
                name="Acme E2E",
                domain=DOMAIN,
                extension_digits=3,
                max_calls=5,
            )
            scope = tenant_service.scope_of(session, tenant)
            for number, password in PASSWORDS.items():
                await extension_service.create_extension(scope, number=number, password=password)
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pbx]:
    data_dir = tmp_path_factory.mktemp("pbx")
    asyncio.run(_provision(f"sqlite+aiosqlite:///{data_dir / 'centrex.db'}"))
    server = Pbx(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _user(number: str, expires: int = 3600, password: str | None = None) -> sipp.SippUser:
    return sipp.SippUser(number, DOMAIN, password or PASSWORDS[number], expires)


def test_sipp_registers_over_udp(pbx: Pbx, tmp_path: Path) -> None:
    result = sipp.register(
        tmp_path, ("127.0.0.1", pbx.sip), [_user("101")], local_ip="127.0.0.11",
        local_port=free_port(),
    )  # fmt: skip
    assert result.ok, result.errors
    items = pbx.wait_for(lambda items: bool(_of(items, "101")))
    (binding,) = _of(items, "101")
    assert binding["transport"] == "UDP"
    assert binding["source"].startswith("127.0.0.11:")
    assert binding["contact"].startswith("sip:101@127.0.0.11:")
    assert binding["user_agent"] == "sipp-centrex-test"
    assert binding["expires_at"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())


def test_sipp_registers_over_tcp(pbx: Pbx, tmp_path: Path) -> None:
    result = sipp.register(
        tmp_path, ("127.0.0.1", pbx.sip), [_user("102")], transport="tcp",
        local_ip="127.0.0.12", local_port=free_port(),
    )  # fmt: skip
    assert result.ok, result.errors
    items = pbx.wait_for(lambda items: bool(_of(items, "102")))
    assert _of(items, "102")[0]["transport"] == "TCP"


def test_sipp_wrong_password_is_refused(pbx: Pbx, tmp_path: Path) -> None:
    result = sipp.register(
        tmp_path, ("127.0.0.1", pbx.sip), [_user("103", password="not-the-password")],
        local_ip="127.0.0.13", local_port=free_port(), timeout=10,
    )  # fmt: skip
    assert not result.ok
    assert "403 Forbidden" in result.errors
    assert _of(pbx.registrations(), "103") == []
    assert "authentication failure from 127.0.0.13" in pbx.log()


def test_sipp_unregisters_with_expires_zero(pbx: Pbx, tmp_path: Path) -> None:
    server = ("127.0.0.1", pbx.sip)
    port = free_port()  # the same contact address in both runs
    first = sipp.register(
        tmp_path / "a", server, [_user("104")], local_ip="127.0.0.14", local_port=port
    )
    assert first.ok, first.errors
    pbx.wait_for(lambda items: bool(_of(items, "104")))
    second = sipp.register(
        tmp_path / "b", server, [_user("104", expires=0)], local_ip="127.0.0.14",
        local_port=port,
    )  # fmt: skip
    assert second.ok, second.errors
    pbx.wait_for(lambda items: not _of(items, "104"))


def test_baresip_registers_over_udp(pbx: Pbx, tmp_path: Path) -> None:
    account = BaresipAccount("105", DOMAIN, PASSWORDS["105"], ("127.0.0.1", pbx.sip))
    with Baresip(tmp_path, ("127.0.0.15", free_port()), [account]):
        items = pbx.wait_for(lambda items: bool(_of(items, "105")))
    (binding,) = _of(items, "105")
    assert binding["transport"] == "UDP"
    assert binding["contact"].startswith("sip:105-")
    assert binding["user_agent"].startswith("baresip")


def test_baresip_registers_over_tls(pbx: Pbx, tmp_path: Path) -> None:
    account = BaresipAccount(
        "106", DOMAIN, PASSWORDS["106"], ("127.0.0.1", pbx.tls), transport="tls"
    )
    cafile = pbx.data_dir / "tls" / "cert.pem"
    assert cafile.exists(), "the server generates a self-signed certificate on first start"
    with Baresip(tmp_path, ("127.0.0.16", free_port()), [account], cafile=cafile):
        items = pbx.wait_for(lambda items: bool(_of(items, "106")))
    (binding,) = _of(items, "106")
    assert binding["transport"] == "TLS"
    assert ";transport=tls" in binding["contact"]


def test_restart_keeps_bindings(pbx: Pbx) -> None:
    before = {(b["aor"], b["contact"]) for b in pbx.registrations()}
    assert {(a, c) for a, c in before if a.startswith(("sip:101@", "sip:102@"))}
    pbx.stop()
    pbx.start()
    after = {(b["aor"], b["contact"]) for b in pbx.registrations()}
    assert before <= after
    assert f"registrar: {len(before)} bindings reloaded" in pbx.log()
