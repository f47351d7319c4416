"""Supervisor monitoring through a real `centrex serve` with baresip phones (issue 13 item 6).

101 (1000 Hz) calls the agent 102 (1500 Hz, auto-answer); the supervisor 104 (2100 Hz, flagged
with `centrex extension update --supervisor`) dials `*90102` (listen), `*91102` (whisper) or
`*92102` (barge); 105, whose user has the supervisor role, may too. FFT of what each phone
recorded while the supervisor was in: listen — 104 hears both parties, neither party hears
2100 Hz; whisper — only 102 hears it; barge — both do. After the supervisor hangs up, 101 and
102 still hear each other. No beep unless the tenant enables one (then both parties, not the
supervisor, hear 1400 Hz when it joins). Refusals: 103 (not a supervisor) and SMALL's
supervisor 201 (in its own tenant and at ACME's domain) are never connected and nobody hears
them; an idle 103 gets the busy tone (425 Hz) and is hung up. The API:
`POST /api/v1/calls/{id}/monitor` rings 104 (auto-answer) into the call; another tenant's
token gets 404, a bad mode 422, a ringing (unanswered) call 409, a non-supervisor phone 403.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.e2e.test_calls import ACME, SMALL, CallPbx, established, phone, registered
from tests.peers.phone import Phone, read_recording

pytestmark = pytest.mark.e2e

TONES = {"101": 1000.0, "102": 1500.0, "104": 2100.0}


class MonitorPbx(CallPbx):
    """CallPbx with ACME's 104 (the supervisor, flagged from the CLI by the tests)."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                await extension_service.create_extension(
                    scope, number="104", password="pw-104-secret", voicemail=False
                )
                # 105 is not flagged: its user has the supervisor role
                boss = await user_service.create_user(
                    scope, name="Sonia", email="sonia@acme.test", role="supervisor"
                )
                await extension_service.create_extension(
                    scope, number="105", password="pw-105-secret", voicemail=False,
                    user_id=boss.id,
                )  # fmt: skip
        finally:
            await database.dispose()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonitorPbx]:
    server = MonitorPbx(tmp_path_factory.mktemp("monitor"))
    server.start()
    flagged = server.cli("extension", "update", "--tenant", ACME, "--number", "104",
                         "--supervisor")  # fmt: skip
    assert flagged["supervisor"] is True
    other = server.cli("extension", "update", "--tenant", SMALL, "--number", "201",
                       "--supervisor")  # fmt: skip
    assert other["supervisor"] is True
    try:
        yield server
    finally:
        server.stop()


def levels(data: np.ndarray, start: float, end: float, tones: dict[str, float]) -> dict[str, float]:
    """Each tone's level (spectral magnitude within ±10 Hz relative to the loudest bin) and
    the RMS in the seconds [start, end) of a recording."""
    chunk = data[int(start * 8000) : int(end * 8000)]
    assert len(chunk) >= 4000, (start, end, len(data))
    spectrum = np.abs(np.fft.rfft(chunk))
    bins = np.fft.rfftfreq(len(chunk), 1 / 8000)
    out = {n: float(spectrum[(bins > hz - 10) & (bins < hz + 10)].max() / spectrum.max())
           for n, hz in tones.items()}  # fmt: skip
    out["rms"] = float(np.sqrt(np.mean(chunk**2)))
    return out


def hears(heard: dict[str, float], *numbers: str) -> None:
    """`numbers` are clearly in it, every other party's tone is not."""
    assert heard["rms"] > 500, heard
    for number in TONES:
        if number in numbers:
            assert heard[number] > 0.3, (number, heard)
        else:
            assert heard[number] < 0.05, (number, heard)


def ended(p: Phone) -> int:
    log = p.log()
    return log.count("terminated") + log.count("session closed")


def refused(p: Phone, target: str) -> None:
    """`p` dials `target`: the call ends without ever being established."""
    before = ended(p)
    p.command("dial", target)
    deadline = time.monotonic() + 30
    while ended(p) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ended(p) > before, p.log()[-2000:]
    assert "Call established" not in p.log(), p.log()[-2000:]


def api(pbx: CallPbx, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{pbx.http}{path}", data=data, method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def live_call(pbx: CallPbx, token: str, state: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, page = api(pbx, token, "GET", "/api/v1/calls")
        assert status == 200, page
        found = [c for c in page["items"] if c["state"] == state and c["caller"] == "101"]
        if found or time.monotonic() > deadline:
            assert found, page
            return dict(found[0])
        time.sleep(0.2)


def token(pbx: CallPbx, domain: str, role: str = "tenant-admin") -> str:
    made: dict[str, str] = pbx.cli("token", "create", "--role", role, "--tenant", domain)
    return made["token"]


def monitored_call(
    pbx: CallPbx,
    tmp_path: Path,
    code: str | None,
    *,
    api_mode: str | None = None,
    supervisor: str = "104",
) -> dict[str, Any]:
    """101 calls 102; the supervisor 104 joins with `code` (or through the API in
    `api_mode`) for four seconds, leaves, and the call goes on for three more. Returns the
    three recordings and when (seconds after the call was established) 104 was in."""
    with (
        phone(pbx, tmp_path, "102", ACME, TONES["102"], answer=True) as agent,
        phone(pbx, tmp_path, supervisor, ACME, TONES["104"], answer=api_mode is not None) as boss,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as caller,
    ):
        for p in (agent, boss, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, agent)
        started = time.monotonic()
        time.sleep(1.5)
        if api_mode is None:
            boss.command("dial", f"sip:{code}@{ACME}")
        else:
            admin = token(pbx, ACME)
            call = live_call(pbx, admin, "answered")
            status, body = api(pbx, admin, "POST", f"/api/v1/calls/{call['call_id']}/monitor",
                               {"extension": "104", "mode": api_mode})  # fmt: skip
            assert status == 202, body
            assert body["mode"] == api_mode
        established(boss)
        joined = time.monotonic() - started
        time.sleep(4)
        boss.command("hangup")
        assert boss.wait_hung_up(), boss.log()
        left = time.monotonic() - started
        time.sleep(3)
        assert "terminated" not in caller.log() + agent.log()  # nobody else was hung up
        done = time.monotonic() - started
        caller.command("hangup")
        assert agent.wait_hung_up(), agent.log()
    return {
        "101": read_recording(caller.recordings()[-1]),
        "102": read_recording(agent.recordings()[-1]),
        "104": read_recording(boss.recordings()[-1]),
        "joined": joined,
        "left": left,
        "done": done,
    }


def beep_level(run: dict[str, Any], party: str) -> float:
    """The level of the tenant's monitoring beep (1400 Hz) around the moment 104 joined."""
    joined = run["joined"]
    start = 0.2 if party == "104" else joined - 1.0  # 104's recording starts as it joins
    return levels(run[party], start, start + 1.5, {"beep": 1400.0})["beep"]


def check(
    run: dict[str, Any], heard_by_101: tuple[str, ...], heard_by_102: tuple[str, ...]
) -> None:
    joined, left, done = run["joined"], run["left"], run["done"]
    for party in ("101", "102"):  # no beep: the tenant did not enable it
        assert beep_level(run, party) < 0.01, party
    during = (joined + 1, left - 0.5)
    hears(levels(run["101"], *during, TONES), *heard_by_101)
    hears(levels(run["102"], *during, TONES), *heard_by_102)
    hears(levels(run["104"], 1, left - joined - 0.5, TONES), "101", "102")  # both parties
    # the supervisor left: a plain call again
    hears(levels(run["101"], left + 1, done - 0.5, TONES), "102")
    hears(levels(run["102"], left + 1, done - 0.5, TONES), "101")


def test_listen_the_supervisor_hears_both_and_nobody_hears_it(
    pbx: MonitorPbx, tmp_path: Path
) -> None:
    check(monitored_call(pbx, tmp_path, "*90102"), ("102",), ("101",))


def test_whisper_only_the_agent_hears_the_supervisor(pbx: MonitorPbx, tmp_path: Path) -> None:
    check(monitored_call(pbx, tmp_path, "*91102"), ("102",), ("101", "104"))


def test_barge_everyone_hears_everyone(pbx: MonitorPbx, tmp_path: Path) -> None:
    check(monitored_call(pbx, tmp_path, "*92102"), ("102", "104"), ("101", "104"))


def test_the_api_rings_the_supervisor_into_the_call(pbx: MonitorPbx, tmp_path: Path) -> None:
    check(monitored_call(pbx, tmp_path, None, api_mode="whisper"), ("102",), ("101", "104"))


def test_a_user_with_the_supervisor_role_may_barge_from_its_phone(
    pbx: MonitorPbx, tmp_path: Path
) -> None:
    """105 is not flagged, but its user is a supervisor."""
    run = monitored_call(pbx, tmp_path, "*92102", supervisor="105")
    check(run, ("102", "104"), ("101", "104"))


def test_the_tenants_beep_tells_the_parties(pbx: MonitorPbx, tmp_path: Path) -> None:
    assert pbx.cli("tenant", "set-monitor-beep", ACME, "on")["monitor_beep"] is True
    try:
        run = monitored_call(pbx, tmp_path, "*90102")
    finally:
        pbx.cli("tenant", "set-monitor-beep", ACME, "off")
    for party in ("101", "102"):
        assert beep_level(run, party) > 0.03, party
    assert beep_level(run, "104") < 0.01  # the supervisor is not beeped at


def test_refusals_from_phones(pbx: MonitorPbx, tmp_path: Path) -> None:
    """103 is no supervisor; SMALL's supervisor 201 reaches nothing of ACME; neither is heard."""
    with (
        phone(pbx, tmp_path, "102", ACME, TONES["102"], answer=True) as agent,
        phone(pbx, tmp_path, "103", ACME, 2100.0) as plain,
        phone(pbx, tmp_path, "201", SMALL, 2100.0) as foreign,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as caller,
    ):
        for p in (agent, plain, foreign, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, agent)
        started = time.monotonic()
        refused(plain, f"sip:*90102@{ACME}")
        refused(foreign, f"sip:*92102@{SMALL}")
        refused(foreign, f"sip:*92102@{ACME}")  # SMALL's phone dialling ACME's domain
        time.sleep(1)
        done = time.monotonic() - started
        caller.command("hangup")
        assert agent.wait_hung_up(), agent.log()
    for party, other in (("101", "102"), ("102", "101")):
        heard = read_recording((caller if party == "101" else agent).recordings()[-1])
        hears(levels(heard, 0.2, done - 0.2, TONES), other)  # no 2100 Hz ever
    log = pbx.log()
    assert "not a supervisor" in log


def test_an_idle_extension_gets_the_busy_tone_then_a_hang_up(
    pbx: MonitorPbx, tmp_path: Path
) -> None:
    with phone(pbx, tmp_path, "104", ACME, TONES["104"]) as boss:
        registered(boss)
        boss.command("dial", f"sip:*90103@{ACME}")
        established(boss)
        assert boss.wait_hung_up(timeout=20), boss.log()  # Centrex hung up, not the phone
    heard = levels(read_recording(boss.recordings()[-1]), 0.2, 2.5, {"busy": 425.0})
    assert heard["busy"] > 0.5, heard
    assert heard["rms"] > 300, heard


def test_api_refusals(pbx: MonitorPbx, tmp_path: Path) -> None:
    admin, foreign = token(pbx, ACME), token(pbx, SMALL)
    with (
        phone(pbx, tmp_path, "103", ACME, 1800.0) as ringing,  # never answers
        phone(pbx, tmp_path, "104", ACME, TONES["104"]) as boss,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as caller,
    ):
        for p in (ringing, boss, caller):
            registered(p)
        caller.command("dial", f"sip:103@{ACME}")
        call = live_call(pbx, admin, "ringing")
        path = f"/api/v1/calls/{call['call_id']}/monitor"
        status, body = api(pbx, foreign, "POST", path, {"extension": "201", "mode": "listen"})
        assert (status, body["error_id"]) == (404, "call-not-found"), body
        status, body = api(pbx, admin, "POST", path, {"extension": "104", "mode": "spy"})
        assert status == 422, body
        status, body = api(pbx, admin, "POST", path, {"extension": "103", "mode": "listen"})
        assert (status, body["error_id"]) == (403, "not-a-supervisor"), body
        status, body = api(pbx, admin, "POST", path, {"extension": "104", "mode": "listen"})
        assert (status, body["error_id"]) == (409, "call-not-answered"), body
        status, body = api(pbx, admin, "POST", "/api/v1/calls/no-such-call/monitor",
                           {"extension": "104", "mode": "listen"})  # fmt: skip
        assert (status, body["error_id"]) == (404, "call-not-found"), body
        caller.command("hangup")
        time.sleep(1)
        assert "Call established" not in boss.log()  # no refusal rang the supervisor
