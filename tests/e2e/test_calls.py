"""Real calls through a real `centrex serve`: baresip phones with audio both ways, hold and
resume, hang-up from either side, sipp carriers (primary failing with 503, backup answering),
an inbound DID, the licence limit, a suspended tenant (emergency still goes out) and
cross-tenant dialling — with the CDR of each call checked.

One server per module; phones and carriers each get their own ports (carriers their own
127.0.0.5x address, since a trunk is recognised by its source address).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
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
from centrex.provisioning import numbers as number_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import trunks as trunk_service
from tests.helpers import free_port
from tests.peers.phone import Phone, dominant_frequency, write_tone
from tests.peers.raw import udp_options_ok
from tests.peers.rtp_capture import RtpCapture

pytestmark = pytest.mark.e2e

ACME, SMALL = "acme.calls.test", "small.calls.test"
PRIMARY_HOST, BACKUP_HOST = "127.0.0.51", "127.0.0.52"
DID = "+41215550100"
RETAIL_DECK = (
    "prefix,destination,price_per_minute,connection_fee,increment,currency\n"
    "41,Switzerland,0.0500,0,60/60,CHF\n4144,Zurich,0.0400,0.05,1/1,CHF\n"
)

BUSY_CARRIER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier answering 503">
  <recv request="INVITE"/>
  <send>
    <![CDATA[
SIP/2.0 503 Service Unavailable
[last_Via:]
[last_From:]
[last_To:];tag=[pid]busy[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""


class CallPbx:
    """`centrex serve` with two tenants, phones' credentials, two trunks and a DID."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sip = free_port()
        self.http = free_port()
        self.primary_port = free_port(host=PRIMARY_HOST)
        self.backup_port = free_port(host=BACKUP_HOST)
        self.env = dict(os.environ)
        self.env.update(
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_DATABASE_URL="",
            CENTREX_SECRET_KEY="e2e-calls",
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",  # baresip 1.0 rejects SHA-256 challenges
            CENTREX_ROUTE_CACHE_SECONDS="0",
            CENTREX_RTP_PORT_MIN="41000",
            CENTREX_RTP_PORT_MAX="41999",
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
                box = SecretBox("e2e-calls")
                await trunk_service.create_trunk(
                    session, box, name="primary", host=PRIMARY_HOST, port=self.primary_port,
                    priority=1,
                )  # fmt: skip
                await trunk_service.create_trunk(
                    session, box, name="backup", host=BACKUP_HOST, port=self.backup_port,
                    priority=2,
                )  # fmt: skip
                for domain, max_calls, numbers in (
                    (ACME, 10, "101 102 103"),
                    (SMALL, 1, "201 202 203"),
                ):
                    tenant = await tenant_service.create_tenant(
                        session, now=now, name=domain, domain=domain, extension_digits=3,
                        max_calls=max_calls,
                    )  # fmt: skip
                    scope = tenant_service.scope_of(session, tenant)
                    for number in numbers.split():
                        # no mailboxes: the voicemail tests add the ones they need
                        await extension_service.create_extension(
                            scope, number=number, password=f"pw-{number}-secret", voicemail=False
                        )
                    if domain == ACME:
                        await number_service.assign_number(
                            scope, DID, now=now, extension_number="102"
                        )
                        # a plan with a retail deck: the running server rates its calls at hang-up
                        await billing_service.import_deck(session, "calls-retail", RETAIL_DECK,
                                                          now=now)  # fmt: skip
                        plan = await accounts.create_plan(
                            session, name="calls-plan", currency="CHF", base_monthly_fee=Decimal(0),
                            retail_deck="calls-retail",
                        )  # fmt: skip
                        await accounts.subscribe(scope, plan.id, now.date())
        finally:
            await database.dispose()

    def start(self) -> None:
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        asyncio.run(self.provision())
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

    def cdrs(self, domain: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.cli("cdr", "list", "--tenant", domain)["items"]
        return items

    def wait_rated(self, domain: str, cdr_id: int, timeout: float = 20.0) -> dict[str, Any]:
        """The CDR once the server's live rater has rated it (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            found = next(c for c in self.cdrs(domain) if c["id"] == cdr_id)
            if found["rated_at"] is not None or time.monotonic() > deadline:
                assert found["rated_at"] is not None, f"not rated: {found}"
                return found
            time.sleep(0.3)

    def wait_cdr(self, domain: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The tenant's CDRs once `count` of them are closed (newest first)."""
        deadline = time.monotonic() + timeout
        while True:
            items = [c for c in self.cdrs(domain) if c["ended_at"] is not None]
            if len(items) >= count or time.monotonic() > deadline:
                return items
            time.sleep(0.3)


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("calls"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


# phones' RTP port bases, reused round-robin (a phone's ports are free again once it stopped;
# the e2e modules importing `phone` together take more than 60 phones per run)
_rtp_base = itertools.cycle(range(42000, 48000, 100))


def phone(
    pbx: CallPbx, tmp: Path, user: str, domain: str, hz: float, *, answer: bool = False
) -> Phone:
    directory = tmp / f"phone-{user}"
    directory.mkdir(parents=True, exist_ok=True)
    base = next(_rtp_base)
    sip_port = free_port()
    while sip_port + 1 == pbx.sip:
        sip_port = free_port()
    return Phone(
        directory=directory, user=user, domain=domain, password=f"pw-{user}-secret",
        server=("127.0.0.1", pbx.sip), sip_port=sip_port, ctrl_port=free_port(),
        rtp_ports=(base, base + 40), tone=write_tone(directory / "tone.wav", hz),
        auto_answer=answer,
    )  # fmt: skip


def registered(p: Phone) -> None:
    assert p.wait_log("200 OK", timeout=20), p.log()


def established(*phones: Phone) -> None:
    for p in phones:
        assert p.wait_log("Call established", timeout=20), p.log()


def sipp(args: list[str], directory: Path, scenario: str | None = None) -> subprocess.Popen[str]:
    directory.mkdir(parents=True, exist_ok=True)
    command = ["sipp", "-bg", "-nostdin", "-timeout", "60s", "-trace_err", *args]
    if scenario is not None:
        path = directory / "scenario.xml"
        path.write_text(scenario, encoding="ascii")
        command[1:1] = ["-sf", str(path)]
    return subprocess.Popen(
        [c for c in command if c != "-bg"], cwd=directory, stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_process(process: subprocess.Popen[str], timeout: float = 40.0) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -9


def test_two_phones_talk_audio_crosses_both_ways(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        time.sleep(4)
        caller.command("hangup")
        assert callee.wait_log("terminated", timeout=15), callee.log()
    heard_by_caller = dominant_frequency(caller.recordings()[-1])
    heard_by_callee = dominant_frequency(callee.recordings()[-1])
    assert abs(heard_by_caller[0] - 1500) < 20, heard_by_caller
    assert abs(heard_by_callee[0] - 1000) < 20, heard_by_callee
    assert heard_by_caller[1] > 1000
    assert heard_by_callee[1] > 1000
    cdr = pbx.wait_cdr(ACME, 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["direction"], cdr["disposition"]) == (
        "101",
        "102",
        "internal",
        "answered",
    )
    assert 3 <= cdr["billsec"] <= 12
    assert cdr["hangup_side"] == "caller"


def media_counters(pbx: CallPbx, token: str, domain: str) -> dict[str, dict[str, Any]]:
    """Per-side RTP counters of the tenant's one live call, from the REST API."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{pbx.http}/api/v1/calls",
        headers={"Authorization": f"Bearer {token}", "Centrex-Tenant": domain},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        calls = json.loads(response.read())["items"]
    assert len(calls) == 1, calls
    return {leg["side"]: leg for leg in calls[0]["media"]}


def spectrum_windows(data: Any) -> list[tuple[float, float]]:
    """(peak frequency in Hz, RMS) of each whole second of 8 kHz samples, in order."""
    import numpy as np

    windows = []
    for start in range(0, len(data) - 8000 + 1, 8000):
        chunk = data[start : start + 8000]
        peak = float(np.argmax(np.abs(np.fft.rfft(chunk))))  # 1 Hz bins for 8000 samples
        windows.append((peak, float(np.sqrt(np.mean(chunk**2)))))
    return windows


def is_moh(window: tuple[float, float]) -> bool:
    """The generated default MOH: arpeggios of 175-392 Hz notes, well above silence."""
    frequency, level = window
    return 150 < frequency < 450 and level > 300


def is_tone(window: tuple[float, float], hz: float) -> bool:
    return abs(window[0] - hz) < 20 and window[1] > 1000


def test_hold_resume_and_callee_hangs_up(pbx: CallPbx, tmp_path: Path) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
        phone(pbx, tmp_path, "103", ACME, 1000) as caller,
        RtpCapture(*callee.rtp_ports) as to_callee,
    ):
        registered(callee)
        registered(caller)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        time.sleep(2)
        talking = media_counters(pbx, token, ACME)
        assert talking["a"]["packets_in"] > 20, talking
        assert talking["a"]["packets_out"] > 20, talking
        caller.command("hold")
        assert callee.wait_log("re-INVITE", timeout=10), callee.log()
        time.sleep(1.5)
        held_1 = media_counters(pbx, token, ACME)
        time.sleep(1.5)
        held_2 = media_counters(pbx, token, ACME)
        # held: the callee answered recvonly, nothing is relayed toward the caller
        assert held_2["a"]["packets_out"] == held_1["a"]["packets_out"], (held_1, held_2)
        assert held_1["a"]["direction"] == "sendonly", held_1
        # ... and the held callee gets music on hold (offered sendonly, it answered recvonly)
        assert held_1["b"]["direction"] == "recvonly", held_1
        assert held_2["b"]["packets_out"] > held_1["b"]["packets_out"] + 40, (held_1, held_2)
        caller.command("resume")
        time.sleep(2.5)
        resumed = media_counters(pbx, token, ACME)
        assert resumed["a"]["direction"] == "sendrecv", resumed
        assert resumed["a"]["packets_out"] > held_2["a"]["packets_out"] + 40, resumed
        assert resumed["b"]["packets_out"] > held_2["b"]["packets_out"] + 40, resumed
        assert resumed["a"]["loss_ratio"] < 0.05
        callee.command("hangup")
        assert caller.wait_log("terminated", timeout=15), caller.log()
    # What the callee received, second by second (captured on lo: baresip's own dump stops at
    # the first re-INVITE): the caller's 1000 Hz, then the default music on hold (never the
    # caller's tone, nor silence), then the caller again after the resume.
    heard = spectrum_windows(to_callee.audio())
    moh = [i for i, w in enumerate(heard) if is_moh(w)]
    assert len(moh) >= 2, heard
    assert any(is_tone(w, 1000) for w in heard[: moh[0]]), heard
    assert any(is_tone(w, 1000) for w in heard[moh[-1] + 1 :]), heard
    assert not any(is_tone(w, 1000) for w in heard[moh[0] : moh[-1] + 1]), heard
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"], cdr["hangup_side"]) == (
        "103",
        "102",
        "answered",
        "callee",
    )
    assert 5 <= cdr["billsec"] <= 20


def test_outbound_fails_over_from_primary_to_backup_trunk(pbx: CallPbx, tmp_path: Path) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    busy = sipp(["-i", PRIMARY_HOST, "-p", str(pbx.primary_port), "-m", "1"],
                tmp_path / "primary", BUSY_CARRIER)  # fmt: skip
    backup = sipp(["-sn", "uas", "-i", BACKUP_HOST, "-p", str(pbx.backup_port), "-m", "1"],
                  tmp_path / "backup")  # fmt: skip
    time.sleep(0.5)
    with phone(pbx, tmp_path, "101", ACME, 1000) as caller:
        registered(caller)
        caller.command("dial", f"sip:0446681800@{ACME}")
        established(caller)
        time.sleep(2)
        caller.command("hangup")
        assert caller.wait_log("terminated", timeout=15)
    assert wait_process(busy) == 0, "the primary carrier never got the INVITE"
    assert wait_process(backup) == 0, "the backup carrier did not complete the call"
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["callee"], cdr["direction"], cdr["disposition"]) == (
        "+41446681800",
        "outbound",
        "answered",
    )
    trunks = {t["id"]: t["name"] for t in pbx.cli("trunk", "list")["items"]}
    assert trunks[cdr["trunk_id"]] == "backup"
    # rated at hang-up by the running server, at the price `rates quote` gives the same call
    rated = pbx.wait_rated(ACME, cdr["id"])
    quote = pbx.cli("rates", "quote", "--deck", "calls-retail", "--number", "+41446681800",
                    "--seconds", str(cdr["billsec"]))  # fmt: skip
    assert Decimal(rated["price"]) == Decimal(quote["price"])
    assert Decimal(rated["price"]) > 0


def test_inbound_did_from_carrier_reaches_extension(pbx: CallPbx, tmp_path: Path) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    with phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee:
        registered(callee)
        carrier = sipp(
            ["-sn", "uac", "-s", DID, f"127.0.0.1:{pbx.sip}", "-i", BACKUP_HOST,
             "-p", str(free_port(host=BACKUP_HOST)), "-m", "1", "-d", "2000"],
            tmp_path / "carrier",
        )  # fmt: skip
        assert wait_process(carrier) == 0, pbx.log()[-2000:]
        assert callee.wait_log("terminated", timeout=30), callee.log()
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["callee"], cdr["direction"], cdr["disposition"]) == ("102", "inbound", "answered")
    assert 1 <= cdr["billsec"] <= 8


def test_licence_limit_cross_tenant_and_suspended_tenant(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "202", SMALL, 1500, answer=True) as callee,
        phone(pbx, tmp_path, "201", SMALL, 1000) as first,
        phone(pbx, tmp_path, "203", SMALL, 800) as second,
    ):
        for p in (callee, first, second):
            registered(p)
        first.command("dial", f"sip:202@{SMALL}")
        established(first, callee)
        # the tenant's licence is one call: the second is refused with 503
        second.command("dial", f"sip:202@{SMALL}")
        assert second.wait_log("503", timeout=15), second.log()
        first.command("hangup")
        assert callee.wait_hung_up(timeout=30), callee.log()
        # an extension of another tenant is not reachable: 101 does not exist in SMALL
        second.command("dial", f"sip:101@{ACME}")
        assert second.wait_log("404", timeout=15), second.log()
        pbx.cli("tenant", "suspend", SMALL)
        try:
            second.command("dial", f"sip:202@{SMALL}")
            assert second.wait_log("403", timeout=15), second.log()
            busy = sipp(["-i", PRIMARY_HOST, "-p", str(pbx.primary_port), "-m", "1"],
                        tmp_path / "primary", BUSY_CARRIER)  # fmt: skip
            backup = sipp(["-sn", "uas", "-i", BACKUP_HOST, "-p", str(pbx.backup_port),
                           "-m", "1"], tmp_path / "backup")  # fmt: skip
            time.sleep(0.5)
            second.command("dial", f"sip:112@{SMALL}")  # emergency still goes out
            assert wait_process(busy) == 0
            assert second.wait_log("Call established", timeout=20), second.log()
            second.command("hangup")
            assert wait_process(backup) == 0
        finally:
            pbx.cli("tenant", "activate", SMALL)
    cdrs = pbx.wait_cdr(SMALL, 5)
    by_callee = {(c["callee"], c["disposition"]) for c in cdrs}
    assert ("202", "answered") in by_callee
    assert ("112", "answered") in by_callee
    emergency = next(c for c in cdrs if c["callee"] == "112")
    assert emergency["direction"] == "outbound"
    # refused calls (licence, suspended) leave no answered CDR, and ACME saw none of SMALL's
    assert all(c["caller"] not in ("201", "202", "203") for c in pbx.cdrs(ACME))
