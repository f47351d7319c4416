"""Busy lamps through a real `centrex serve` (issue 12 item 8): sipp subscribes for
`Event: dialog` (RFC 4235) as a desk phone's BLF key does, answers the digest challenge, and
receives the NOTIFYs while two baresip phones make a real call; another tenant's subscriber
is refused and never gets a NOTIFY.

The subscriber's scenario answers every NOTIFY with 200 in a loop until none came for a few
seconds; its message log (`-trace_msg`) is then read to follow the lamp's states.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_calls import ACME, SMALL, CallPbx, established, phone, registered
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

SUBSCRIBE = """SUBSCRIBE sip:[field3]@[field4] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@[field1]>;tag=[pid]blf[call_number]
To: <sip:[field3]@[field4]>
Call-ID: [call_id]
CSeq: {cseq} SUBSCRIBE
Contact: <sip:[field0]@[local_ip]:[local_port]>
Event: dialog
Accept: application/dialog-info+xml
Expires: 600
Max-Forwards: 70
User-Agent: sipp-centrex-blf
{auth}Content-Length: 0

"""

WATCHER = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="busy lamp subscriber">
  <send retrans="500"><![CDATA[
{SUBSCRIBE.format(cseq=1, auth="")}  ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
{SUBSCRIBE.format(cseq=2, auth="[field2]" + chr(10))}  ]]></send>
  <recv response="200"/>
  <label id="1"/>
  <recv request="NOTIFY" timeout="[timeout]" ontimeout="2"/>
  <send next="1"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

  ]]></send>
  <label id="2"/>
</scenario>
"""

REFUSED = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="subscriber of another tenant">
  <send retrans="500"><![CDATA[
{SUBSCRIBE.format(cseq=1, auth="")}  ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
{SUBSCRIBE.format(cseq=2, auth="[field2]" + chr(10))}  ]]></send>
  <recv response="[status]"/>
  <pause milliseconds="3000"/>
</scenario>
"""


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("blf"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def subscriber(
    pbx: CallPbx, directory: Path, scenario: str, *, user: str, domain: str, watched: str,
    watched_domain: str | None = None, idle_ms: int = 6000, status: int = 200,
) -> subprocess.Popen[str]:  # fmt: skip
    """sipp subscribing as `user` of `domain` to `watched` (in `watched_domain`, by default
    the subscriber's own); a NOTIFY the scenario does not expect fails sipp's call."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "scenario.xml"
    text = scenario.replace("[timeout]", str(idle_ms)).replace("[status]", str(status))
    path.write_text(text, encoding="ascii")
    users = directory / "users.csv"
    auth = f"[authentication username={user} password=pw-{user}-secret]"
    line = f"{user};{domain};{auth};{watched};{watched_domain or domain}"
    users.write_text(f"SEQUENTIAL\n{line}\n", encoding="ascii")
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-inf", str(users), "-i", "127.0.0.1",
         "-p", str(free_port()), "-m", "1", "-nd", "-nostdin", "-timeout", "90s", "-trace_msg",
         "-trace_err", f"127.0.0.1:{pbx.sip}"],
        cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def notifies(directory: Path) -> list[str]:
    """The NOTIFY requests sipp received, in order."""
    log = "\n".join(p.read_text(errors="replace") for p in directory.glob("*messages.log"))
    return [m for m in re.split(r"\n(?=-{5,})", log) if re.search(r"^NOTIFY sip:", m, re.M)]


def wait_for(predicate: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def lamp(notify: str) -> str:
    """What a BLF key shows for one NOTIFY: the watched dialog's state, or idle."""
    states = re.findall(r"<state[^>]*>\s*(\w+)\s*</state>", notify)
    return states[-1] if states else "idle"


def test_the_lamp_follows_a_real_call_and_another_tenant_gets_none(
    pbx: CallPbx, tmp_path: Path
) -> None:
    watcher_dir = tmp_path / "watcher"
    watcher = subscriber(pbx, watcher_dir, WATCHER, user="101", domain=ACME, watched="102")
    assert wait_for(lambda: len(notifies(watcher_dir)) >= 1), "no NOTIFY after the SUBSCRIBE"
    initial = notifies(watcher_dir)[0]
    assert "Event: dialog" in initial
    assert "application/dialog-info+xml" in initial
    assert 'entity="sip:102@' in initial
    assert lamp(initial) in ("idle", "terminated")

    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as watched,
        phone(pbx, tmp_path, "103", ACME, 1000) as caller,
    ):
        registered(watched)
        registered(caller)
        caller.command("dial", f"sip:102@{ACME}")
        assert watched.wait_log("Incoming call", timeout=15), watched.log()
        assert wait_for(lambda: lamp(notifies(watcher_dir)[-1]) == "early"), notifies(watcher_dir)
        watched.command("accept")
        established(caller, watched)
        assert wait_for(lambda: lamp(notifies(watcher_dir)[-1]) == "confirmed")
        time.sleep(1)
        caller.command("hangup")
        assert watched.wait_hung_up(timeout=15), watched.log()
        assert wait_for(lambda: lamp(notifies(watcher_dir)[-1]) in ("terminated", "idle"))
    # sipp ends its loop on a receive timeout (exit status 1 for it, as for a failed call):
    # what counts is that nothing else went wrong (no unexpected message, no dead call)
    assert watcher.wait(timeout=60) in (0, 1)
    events = "".join(p.read_text(errors="replace") for p in watcher_dir.glob("*errors.log"))
    problems = [e for e in events.split("\n") if re.match(r"\d{4}-", e) and "jumping" not in e]
    assert problems == [], events
    seen = notifies(watcher_dir)
    states = [lamp(n) for n in seen]
    assert states.index("early") < states.index("confirmed") < len(states) - 1, states
    versions = [int(v) for n in seen for v in re.findall(r'version="(\d+)"', n)[:1]]
    assert len(versions) == len(seen), versions
    assert all(b == a + 1 for a, b in itertools.pairwise(versions)), versions
    # every NOTIFY is within the one subscription dialog
    call_ids = {m.group(1) for n in seen if (m := re.search(r"^Call-ID:\s*(\S+)", n, re.M | re.I))}
    assert len(call_ids) == 1, call_ids


def test_another_tenants_subscriber_is_refused_and_never_notified(
    pbx: CallPbx, tmp_path: Path
) -> None:
    """201 of SMALL watching ACME's 102: 403 (another tenant's domain), no NOTIFY ever; in its
    own domain SMALL has no 102: 404."""
    for watched_domain, status in ((ACME, 403), (SMALL, 404)):
        directory = tmp_path / f"intruder-{status}"
        intruder = subscriber(pbx, directory, REFUSED, user="201", domain=SMALL, watched="102",
                              watched_domain=watched_domain, status=status)  # fmt: skip
        assert intruder.wait(timeout=60) == 0, (status, (directory / "scenario.xml").read_text())
        assert notifies(directory) == []
