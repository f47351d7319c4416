"""ACD queues against a real server and real phones (baresip): a caller into a queue hears
music on hold (FFT of its recording) and then the agent who answers; longest-idle order with
three agents; a paused agent (paused from its phone with *52) is never offered a call; an
abandoned call is counted in the statistics; a queue nobody is logged in to (*51) overflows to
its fallback; another tenant's phone cannot log into the queue (*50500) nor reach it.

Each test gets its own server (the board of idle agents starts empty), with ACME's 101-106 and
SMALL's 201-203; the queues are created with the CLI while the server runs (no route cache).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from tests.e2e.test_calls import (
    ACME,
    SMALL,
    CallPbx,
    established,
    is_moh,
    is_tone,
    phone,
    registered,
    spectrum_windows,
)
from tests.peers.phone import Phone, read_recording

pytestmark = pytest.mark.e2e

AGENT_HZ = {"102": 1500.0, "103": 1700.0, "104": 1900.0}


class QueuePbx(CallPbx):
    """The calls test server with three more extensions in ACME (callers 105, 106; 104)."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                for number in ("104", "105", "106"):
                    await extension_service.create_extension(
                        scope, number=number, password=f"pw-{number}-secret", voicemail=False
                    )
        finally:
            await database.dispose()


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[QueuePbx]:
    server = QueuePbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def create_queue(pbx: CallPbx, number: str, *args: str) -> Any:
    return pbx.cli("queue", "create", "--tenant", ACME, "--number", number, *args)


def stats(pbx: CallPbx, number: str) -> Any:
    return pbx.cli("queue", "stats", "--tenant", ACME, "--number", number)


def agent(stats_body: Any, extension: str) -> Any:
    return next(a for a in stats_body["agents"] if a["extension"] == extension)


def count(p: Phone, text: str) -> int:
    return p.log().count(text)


def offered(p: Phone) -> int:
    """INVITEs this phone got: baresip says "Incoming call", or with auto-answer only
    "answering call on line"."""
    return count(p, "Incoming call") + count(p, "answering call on line")


ENDED = re.compile(r"terminated \(duration|session closed: Connection reset")


def endings(p: Phone) -> int:
    """Calls this phone saw end by a BYE (`Phone.wait_hung_up`'s two ways of saying it)."""
    return len(ENDED.findall(p.log()))


def wait_ended(p: Phone, before: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if endings(p) > before:
            return True
        time.sleep(0.1)
    return False


def wait_count(p: Phone, text: str, at_least: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(p, text) >= at_least:
            return True
        time.sleep(0.1)
    return False


def wait_stats(pbx: CallPbx, number: str, key: str, value: int, timeout: float = 20.0) -> Any:
    """The statistics once `key` reached `value` (the rows are written as calls end)."""
    deadline = time.monotonic() + timeout
    while True:
        body = stats(pbx, number)
        if body[key] >= value or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def feature_code(p: Phone, code: str) -> None:
    """Dial a feature code and wait until the confirmation tone's call ended."""
    ended = count(p, "terminated") + count(p, "session closed")
    p.command("dial", f"sip:{code}@{p.domain}")
    deadline = time.monotonic() + 20
    while count(p, "terminated") + count(p, "session closed") <= ended:
        assert time.monotonic() < deadline, p.log()[-2000:]
        time.sleep(0.1)


def status_of_last_call(p: Phone, before: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endings = re.findall(r"session closed: (\d{3}) ", p.log())
        if len(endings) > before:
            return int(endings[-1])
        time.sleep(0.1)
    raise AssertionError(p.log()[-2000:])


def test_caller_hears_moh_then_reaches_a_ready_agent(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "500", "--strategy", "longest-idle", "--member", "102",
                 "--ring-seconds", "30")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"]) as answering,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(answering)
        registered(caller)
        caller.command("dial", f"sip:500@{ACME}")
        established(caller)  # the queue answers at once: music on hold
        assert answering.wait_log("Incoming call", timeout=20), answering.log()
        time.sleep(4)  # the caller keeps its music while the agent's phone rings
        answering.command("accept")
        established(answering)
        time.sleep(3)
        caller.command("hangup")
        assert answering.wait_hung_up(), answering.log()
    windows = spectrum_windows(read_recording(caller.recordings()[-1]))
    music = [i for i, w in enumerate(windows) if is_moh(w)]
    talk = [i for i, w in enumerate(windows) if is_tone(w, AGENT_HZ["102"])]
    assert len(music) >= 2, windows
    assert len(talk) >= 2, windows
    assert max(music) < min(talk), windows  # music first, then the agent
    body = wait_stats(pbx, "500", "answered", 1)
    assert (body["offered"], body["answered"], body["abandoned"]) == (1, 1, 0)
    assert body["avg_wait_seconds"] > 0
    mine = agent(body, "102")
    assert mine["calls"] == 1
    assert mine["ring_seconds"] > 0
    assert mine["talk_seconds"] > 0
    cdr = pbx.wait_cdr(ACME, 1)[0]
    assert (cdr["caller"], cdr["callee"]) == ("101", "102")


def test_longest_idle_order_with_three_agents(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "501", "--strategy", "longest-idle", "--member", "102", "--member",
                 "103", "--member", "104", "--wrap-up", "0")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as a102,
        phone(pbx, tmp_path, "103", ACME, AGENT_HZ["103"], answer=True) as a103,
        phone(pbx, tmp_path, "104", ACME, AGENT_HZ["104"], answer=True) as a104,
        phone(pbx, tmp_path, "101", ACME, 1000) as c101,
        phone(pbx, tmp_path, "105", ACME, 1000) as c105,
        phone(pbx, tmp_path, "106", ACME, 1000) as c106,
    ):
        agents = {"102": a102, "103": a103, "104": a104}
        for p in (*agents.values(), c101, c105, c106):
            registered(p)

        def answered_by(caller: Phone) -> str:
            """Dial the queue; the agent whose phone establishes one more call took it."""
            before = {ext: count(p, "Call established") for ext, p in agents.items()}
            caller.command("dial", f"sip:501@{ACME}")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                grown = [e for e, p in agents.items() if count(p, "Call established") > before[e]]
                if grown:
                    assert len(grown) == 1, grown
                    return grown[0]
                time.sleep(0.1)
            raise AssertionError(caller.log()[-2000:])

        def hang_up(caller: Phone, callee: str) -> None:
            ended = endings(agents[callee])
            caller.command("hangup")
            assert wait_ended(agents[callee], ended), agents[callee].log()
            time.sleep(1)  # distinct "idle since" instants

        # nobody has taken a call yet: configured order; each busy agent is skipped
        assert answered_by(c101) == "102"
        assert answered_by(c105) == "103"
        assert answered_by(c106) == "104"
        hang_up(c105, "103")  # 103 idle first, then 104, then 102
        hang_up(c106, "104")
        hang_up(c101, "102")
        assert answered_by(c101) == "103"  # round-robin would have offered 102
        assert answered_by(c105) == "104"
        assert answered_by(c106) == "102"
        for caller, callee in ((c101, "103"), (c105, "104"), (c106, "102")):
            hang_up(caller, callee)
    body = wait_stats(pbx, "501", "answered", 6)
    assert body["answered"] == 6
    assert [agent(body, e)["calls"] for e in ("102", "103", "104")] == [2, 2, 2]


def test_a_paused_agent_is_never_offered_a_call(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "502", "--strategy", "ring-all", "--member", "102", "--member", "103",
                 "--wrap-up", "0")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as paused,
        phone(pbx, tmp_path, "103", ACME, AGENT_HZ["103"], answer=True) as ready,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (paused, ready, caller):
            registered(p)
        feature_code(paused, "*522")  # pause, reason 2 (lunch)
        offered_before = offered(paused)
        for call in range(3):
            caller.command("dial", f"sip:502@{ACME}")
            assert wait_count(ready, "Call established", call + 1), ready.log()
            time.sleep(1)
            ended = endings(ready)
            caller.command("hangup")
            assert wait_ended(ready, ended), ready.log()
        assert offered(paused) == offered_before, paused.log()
        feature_code(paused, "*53")  # resume: the pause's time is recorded as lunch
    body = wait_stats(pbx, "502", "answered", 3)
    assert agent(body, "103")["calls"] == 3
    assert agent(body, "102")["calls"] == 0
    assert agent(body, "102")["ring_seconds"] == 0.0
    assert agent(body, "102")["pause_seconds"]["lunch"] > 0


def test_an_abandoned_call_is_counted(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "503", "--strategy", "longest-idle", "--member", "102",
                 "--max-wait", "600")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as busy_agent,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(busy_agent)
        registered(caller)
        feature_code(busy_agent, "*52")  # paused (reason 1): logged in, takes no call
        caller.command("dial", f"sip:503@{ACME}")
        established(caller)
        time.sleep(3)
        caller.command("hangup")
        assert caller.wait_hung_up(), caller.log()
        assert offered(busy_agent) == 0
    body = wait_stats(pbx, "503", "abandoned", 1)
    assert (body["offered"], body["answered"], body["abandoned"]) == (1, 0, 1)
    assert body["max_wait_seconds"] > 0
    windows = spectrum_windows(read_recording(caller.recordings()[-1]))
    assert any(is_moh(w) for w in windows), windows


def test_overflow_to_the_fallback_when_no_agent_is_logged_in(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "504", "--strategy", "longest-idle", "--member", "103",
                 "--fallback", "102")  # fmt: skip
    with (
        phone(pbx, tmp_path, "103", ACME, AGENT_HZ["103"], answer=True) as gone,
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as fallback,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (gone, fallback, caller):
            registered(p)
        feature_code(gone, "*51")  # log out
        caller.command("dial", f"sip:504@{ACME}")
        established(caller)
        assert fallback.wait_log("Call established", timeout=20), fallback.log()
        time.sleep(3)
        caller.command("hangup")
        assert fallback.wait_hung_up(), fallback.log()
        assert offered(gone) == 0
    body = wait_stats(pbx, "504", "overflowed", 1)
    assert (body["offered"], body["overflowed"], body["answered"]) == (1, 1, 0)
    windows = spectrum_windows(read_recording(caller.recordings()[-1]))
    assert any(is_tone(w, AGENT_HZ["102"]) for w in windows), windows


def test_another_tenant_cannot_log_in_to_or_reach_the_queue(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "500", "--strategy", "longest-idle", "--member", "102")
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as a102,
        phone(pbx, tmp_path, "201", SMALL, 1000) as intruder,
    ):
        registered(a102)
        registered(intruder)
        before = len(re.findall(r"session closed: (\d{3}) ", intruder.log()))
        intruder.command("dial", f"sip:*50500@{SMALL}")
        assert status_of_last_call(intruder, before) == 404
        before += 1
        intruder.command("dial", f"sip:500@{ACME}")  # A's queue, dialled from B
        status = status_of_last_call(intruder, before)
        assert 400 <= status < 500
        assert offered(a102) == 0
    members = pbx.cli("queue", "list", "--tenant", ACME)["items"][0]["members"]
    assert [m["extension"] for m in members] == ["102"]
    assert stats(pbx, "500")["offered"] == 0


def test_a_wrapping_up_agent_is_not_offered_and_max_wait_overflows(
    pbx: QueuePbx, tmp_path: Path
) -> None:
    create_queue(pbx, "505", "--strategy", "longest-idle", "--member", "102", "--wrap-up",
                 "600", "--max-wait", "8", "--fallback", "103")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as wrapping,
        phone(pbx, tmp_path, "103", ACME, AGENT_HZ["103"], answer=True) as fallback,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (wrapping, fallback, caller):
            registered(p)
        caller.command("dial", f"sip:505@{ACME}")
        assert wait_count(wrapping, "Call established", 1), wrapping.log()
        time.sleep(1)
        ended = endings(wrapping)
        caller.command("hangup")
        assert wait_ended(wrapping, ended), wrapping.log()
        before = offered(wrapping)
        caller.command("dial", f"sip:505@{ACME}")  # 102 is wrapping up: music until max-wait
        assert fallback.wait_log("Call established", timeout=30), fallback.log()
        assert offered(wrapping) == before, wrapping.log()
        time.sleep(2)
        caller.command("hangup")
        assert fallback.wait_hung_up(), fallback.log()
    body = wait_stats(pbx, "505", "overflowed", 1)
    assert (body["offered"], body["answered"], body["overflowed"]) == (2, 1, 1)
    assert body["max_wait_seconds"] >= 8
    assert agent(body, "102")["wrap_up_seconds"] == 600.0
    windows = spectrum_windows(read_recording(caller.recordings()[-1]))
    music = [i for i, w in enumerate(windows) if is_moh(w)]
    talk = [i for i, w in enumerate(windows) if is_tone(w, AGENT_HZ["103"])]
    assert music, windows
    assert talk, windows
    assert max(music) < min(talk), windows


def test_position_is_announced_then_the_music_goes_on(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "506", "--strategy", "longest-idle", "--member", "102",
                 "--announce-position")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as paused,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(paused)
        registered(caller)
        feature_code(paused, "*52")  # logged in, takes no call: the caller waits
        caller.command("dial", f"sip:506@{ACME}")
        established(caller)
        time.sleep(14)  # the announcement (espeak prompts), then music again
        caller.command("hangup")
        assert caller.wait_hung_up(), caller.log()
    assert "queue 506: caller 101 is number 1, about" in pbx.log()
    windows = spectrum_windows(read_recording(caller.recordings()[-1]))
    music = [i for i, w in enumerate(windows) if is_moh(w)]
    assert music, windows
    assert max(music) >= len(windows) - 4, windows  # the music came back after the prompt
    assert wait_stats(pbx, "506", "abandoned", 1)["abandoned"] == 1
