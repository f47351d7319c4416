"""Prepaid in the call, through a real `centrex serve` with a sipp carrier and a baresip phone
(issue 20 "Tests with real peers"): a prepaid tenant with 0.10 CHF of credit calls a number rated
0.60 CHF/min (1/1 increments); the call is answered and Centrex ends it when the credit is spent
(10 s: the CDR's billable seconds between 8 and 12, a behaviour, not our speed), it is rated
0.10 and the balance is 0, never below; the next chargeable call is refused with a 403 whose
Warning and Reason say why, and its INVITE never reaches the carrier; an emergency number still
goes out through the same carrier.

The SIP of the carrier's port and the server's is captured on loopback (`sip_capture.py`):
baresip shows neither the Warning nor the Reason of a refusal, and only the wire proves the
carrier never saw the refused call.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from centrex.billing import accounts
from centrex.billing import service as billing_service
from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.secrets_box import SecretBox
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import trunks as trunk_service
from tests.e2e.sip_capture import SipCapture
from tests.e2e.test_calls import sipp, wait_process
from tests.helpers import free_port
from tests.peers.phone import Phone, write_tone
from tests.peers.raw import udp_options_ok

pytestmark = pytest.mark.e2e

TENANT = "prepaid.calls.test"
CARRIER_HOST = "127.0.0.61"
DECK = (
    "prefix,destination,price_per_minute,connection_fee,increment,currency\n"
    "41,Switzerland,0.6000,0,1/1,CHF\n"
)
SECRET = "e2e-prepaid"


class PrepaidPbx:
    """`centrex serve` with one prepaid tenant (0.10 CHF), one trunk to a sipp carrier."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sip = free_port()
        self.http = free_port()
        self.carrier_port = free_port(host=CARRIER_HOST)
        self.env = dict(os.environ)
        self.env.update(
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_DATABASE_URL="",
            CENTREX_SECRET_KEY=SECRET,
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",  # baresip 1.0 rejects SHA-256 challenges
            CENTREX_ROUTE_CACHE_SECONDS="0",
            CENTREX_RTP_PORT_MIN="46000",
            CENTREX_RTP_PORT_MAX="46099",
            CENTREX_LOG_LEVEL="INFO",
        )
        self.env.pop("CENTREX_CONFIG", None)
        self.process: subprocess.Popen[str] | None = None

    async def provision(self) -> None:
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        now = SystemClock().utcnow()
        try:
            await database.upgrade()
            async with database.transaction() as session:
                await trunk_service.create_trunk(session, SecretBox(SECRET), name="carrier",
                                                 host=CARRIER_HOST, port=self.carrier_port,
                                                 priority=1)  # fmt: skip
                tenant = await tenant_service.create_tenant(
                    session, now=now, name=TENANT, domain=TENANT, extension_digits=3,
                    max_calls=10,
                )  # fmt: skip
                scope = tenant_service.scope_of(session, tenant)
                for number in ("101", "102", "103"):
                    await extension_service.create_extension(
                        scope, number=number, password=f"pw-{number}-secret", voicemail=False
                    )
                await billing_service.import_deck(session, "prepaid-retail", DECK, now=now)
                plan = await accounts.create_plan(
                    session, name="prepaid-plan", currency="CHF", base_monthly_fee=Decimal(0),
                    retail_deck="prepaid-retail",
                )  # fmt: skip
                await accounts.subscribe(scope, plan.id, now.date())
        finally:
            await database.dispose()

    def start(self) -> None:
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        asyncio.run(self.provision())
        self.cli("billing", "prepaid", "--tenant", TENANT, "--on")
        self.cli("billing", "top-up", "--tenant", TENANT, "--amount", "0.10")
        with (self.directory / "serve.log").open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "centrex", "serve", "--sip", f"127.0.0.1:{self.sip}",
                 "--http", f"127.0.0.1:{self.http}"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        if not udp_options_ok(("127.0.0.1", self.sip), timeout=30):
            self.stop()
            pytest.fail(f"server did not start: {self.log()[-3000:]}")

    def log(self) -> str:
        return (self.directory / "serve.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def cli(self, *args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "centrex", *args, "--json"],
            env=self.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"centrex {' '.join(args)}: {done.stderr}{done.stdout}"
        return json.loads(done.stdout)

    def cdrs(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.cli("cdr", "list", "--tenant", TENANT)["items"]
        return items

    def wait_cdrs(self, count: int, *, rated: bool, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The tenant's CDRs once `count` are closed (and rated), by id."""
        deadline = time.monotonic() + timeout
        while True:
            items = [c for c in self.cdrs() if c["ended_at"] is not None]
            if rated:
                items = [c for c in items if c["rated_at"] is not None]
            if len(items) >= count or time.monotonic() > deadline:
                return sorted(items, key=lambda c: c["id"])
            time.sleep(0.3)


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrepaidPbx]:
    server = PrepaidPbx(tmp_path_factory.mktemp("prepaid"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _phone(pbx: PrepaidPbx, tmp: Path, user: str, rtp_base: int) -> Phone:
    directory = tmp / f"phone-{user}"
    directory.mkdir(parents=True, exist_ok=True)
    return Phone(
        directory=directory, user=user, domain=TENANT, password=f"pw-{user}-secret",
        server=("127.0.0.1", pbx.sip), sip_port=free_port(), ctrl_port=free_port(),
        rtp_ports=(rtp_base, rtp_base + 30), tone=write_tone(directory / "tone.wav", 1000),
    )  # fmt: skip


def _carrier(pbx: PrepaidPbx, directory: Path) -> subprocess.Popen[str]:
    return sipp(["-sn", "uas", "-i", CARRIER_HOST, "-p", str(pbx.carrier_port), "-m", "1"],
                directory)  # fmt: skip


def test_credit_ends_the_call_then_refuses_the_next_but_not_emergency(
    pbx: PrepaidPbx, tmp_path: Path
) -> None:
    with SipCapture(frozenset({pbx.sip, pbx.carrier_port})) as capture:
        # 1. 0.10 CHF at 0.60/min: answered, ended by Centrex once 10 s are spent
        carrier = _carrier(pbx, tmp_path / "carrier-1")
        time.sleep(0.5)
        with _phone(pbx, tmp_path, "101", 46100) as caller:
            assert caller.wait_log("200 OK", timeout=20), caller.log()
            caller.command("dial", f"sip:0446681800@{TENANT}")
            assert caller.wait_log("Call established", timeout=20), caller.log()
            assert caller.wait_hung_up(timeout=30), caller.log()  # nobody hung up: Centrex did
        assert wait_process(carrier) == 0, "the carrier did not see the call end with a BYE"
        first = pbx.wait_cdrs(1, rated=True)[0]
        assert (first["callee"], first["disposition"]) == ("+41446681800", "answered")
        assert 8 <= first["billsec"] <= 12, first
        assert Decimal(first["price"]) == Decimal("0.10")  # the credit, not a second more
        balance = pbx.cli("billing", "balance", "--tenant", TENANT)
        assert Decimal(balance["balance"]) == Decimal(0), balance  # 0, never below
        assert Decimal(balance["reserved"]) == 0
        invites_before = len(capture.requests("INVITE", to_port=pbx.carrier_port))
        assert invites_before == 1

        # 2. no credit left: refused with a reason, the carrier never sees the INVITE
        with _phone(pbx, tmp_path, "102", 46140) as caller:
            assert caller.wait_log("200 OK", timeout=20), caller.log()
            caller.command("dial", f"sip:0446681801@{TENANT}")
            assert caller.wait_log("403", timeout=20), caller.log()
        refusals = [d for d in capture.messages()
                    if d.first_line.startswith("SIP/2.0 403") and d.source[1] == pbx.sip]  # fmt: skip
        assert refusals, [d.first_line for d in capture.messages()]
        assert "prepaid credit exhausted" in (refusals[-1].header("Warning") or "")
        reason = refusals[-1].header("Reason") or ""
        assert reason.startswith("Q.850;cause=21"), refusals[-1].text
        assert "credit" in reason
        assert len(capture.requests("INVITE", to_port=pbx.carrier_port)) == invites_before

        # 3. an emergency number still goes out, through the same carrier
        carrier = _carrier(pbx, tmp_path / "carrier-3")
        time.sleep(0.5)
        with _phone(pbx, tmp_path, "103", 46170) as caller:
            assert caller.wait_log("200 OK", timeout=20), caller.log()
            caller.command("dial", f"sip:112@{TENANT}")
            assert caller.wait_log("Call established", timeout=20), caller.log()
            caller.command("hangup")
            assert wait_process(carrier) == 0, "the carrier did not get the caller's BYE"
        emergency = capture.requests("INVITE", to_port=pbx.carrier_port)
        assert len(emergency) == invites_before + 1
        assert emergency[-1].first_line.startswith("INVITE sip:112@"), emergency[-1].first_line
    cdrs = pbx.wait_cdrs(3, rated=True)
    assert [(c["callee"], c["disposition"]) for c in cdrs] == [
        ("+41446681800", "answered"),
        ("+41446681801", "failed"),
        ("112", "answered"),
    ]
    assert Decimal(pbx.cli("billing", "balance", "--tenant", TENANT)["balance"]) == 0
