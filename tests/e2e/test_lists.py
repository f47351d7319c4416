"""Block and allow lists in both directions through a real `centrex serve`, configured with the
real command line (`centrex allowlist add`) and the REST API (`/api/v1/allowlist`,
`/api/v1/blocklist`), with sipp as the carrier (issue
12): an inbound allowlist lets only its caller reach the DID (any other gets 603 with the
Warning), an anonymous caller (From `anonymous@anonymous.invalid`, or a number with `Privacy:
id`, RFC 3323) is refused by a blocklist entry `anonymous`, and an outbound allowlist refuses
a number not on it with 403 while the carrier's socket receives nothing — the number on it
goes out to the carrier. test_screening.py covers the inbound blocklist and barring classes.

One server per module (test_calls.py's `CallPbx`: ACME's DID +41215550100 rings 102, the
trunks `primary` on 127.0.0.51 and `backup` on 127.0.0.52). Each test deletes the entries it
added, so the order is free.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_calls import (
    ACME,
    BACKUP_HOST,
    DID,
    PRIMARY_HOST,
    CallPbx,
    phone,
    registered,
    sipp,
    wait_process,
)
from tests.e2e.test_screening import ACK, ANSWERED, SDP, _final
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

HEAD = """INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@{host}>;tag=[pid]s[call_number]
To: <sip:[service]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[local_ip]:[local_port]>
Max-Forwards: 70
{extra}Content-Type: application/sdp
Content-Length: [len]
"""


def carrier_call(user: str, host: str = "[local_ip]", *, status: int, warning: str = "",
                 extra: str = "") -> str:  # fmt: skip
    """A sipp scenario: the carrier calls [service] from `user@host`, expecting `status` (a
    refusal whose Warning matches `warning`, or 200: then ACK and BYE)."""
    invite = f'  <send retrans="500"><![CDATA[\n{HEAD.format(user=user, host=host, extra=extra)}\n{SDP}\n  ]]></send>\n'
    if status == 200:
        body = invite + ANSWERED.format(user=user)
    else:
        ack = ACK.format(user=user, host=host, cseq=1)
        body = invite + _final(status, warning) + f"  <send><![CDATA[\n{ack}\n  ]]></send>\n"
    refs = '  <Reference variables="warning"/>\n' if warning else ""
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="carrier">\n'
        f"{body}{refs}</scenario>\n"
    )


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("lists"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def token(pbx: CallPbx) -> str:
    return str(pbx.cli("token", "create", "--role", "platform-admin")["token"])


def api(pbx: CallPbx, token: str, method: str, path: str, body: object = None) -> Any:
    """One REST call as ACME's platform admin (`Centrex-Tenant`); the JSON answer or None."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{pbx.http}/api/v1{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Centrex-Tenant": ACME,
                 "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        data = response.read()
    return json.loads(data) if data else None


@pytest.fixture
def lists(pbx: CallPbx, token: str) -> Iterator[CallPbx]:
    """The server; every allow/block entry of ACME is deleted afterwards (REST API)."""
    yield pbx
    for kind in ("allowlist", "blocklist"):
        for entry in api(pbx, token, "GET", f"/{kind}")["items"]:
            api(pbx, token, "DELETE", f"/{kind}/{entry['id']}")


def from_carrier(pbx: CallPbx, directory: Path, scenario: str) -> int:
    """Run one carrier call to the DID from the backup trunk's address; sipp's exit status."""
    process = sipp(
        ["-s", DID, f"127.0.0.1:{pbx.sip}", "-i", BACKUP_HOST,
         "-p", str(free_port(host=BACKUP_HOST)), "-m", "1"],
        directory, scenario,
    )  # fmt: skip
    return wait_process(process)


def errors(directory: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in directory.glob("*errors.log"))


def test_an_inbound_allowlist_lets_only_its_callers_through(lists: CallPbx, tmp_path: Path) -> None:
    pbx = lists
    entry = pbx.cli("allowlist", "add", "--tenant", ACME, "--pattern", "+41797770001",
                    "--direction", "inbound")  # fmt: skip
    assert entry["pattern"] == "+41797770001", entry
    with phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee:
        registered(callee)
        refused = tmp_path / "refused"
        assert from_carrier(pbx, refused, carrier_call("+41797770002", status=603,
                                                       warning="allowlist")) == 0, (
            errors(refused) + pbx.log()[-2000:]
        )  # fmt: skip
        assert "Call established" not in callee.log()
        allowed = tmp_path / "allowed"
        assert from_carrier(pbx, allowed, carrier_call("+41797770001", status=200)) == 0, (
            errors(allowed) + pbx.log()[-2000:]
        )
        assert callee.wait_log("Call established", timeout=10), callee.log()
        assert callee.wait_hung_up(timeout=20), callee.log()


@pytest.mark.parametrize(
    ("user", "host", "extra"),
    [
        ("anonymous", "anonymous.invalid", ""),  # RFC 3323 §4.1.1.3
        ("+41797770003", "[local_ip]", "Privacy: id\n"),  # a number the carrier must hide
    ],
    ids=["anonymous-from", "privacy-id"],
)
def test_a_blocklist_entry_anonymous_refuses_callers_without_id(
    lists: CallPbx, token: str, tmp_path: Path, user: str, host: str, extra: str
) -> None:
    pbx = lists
    api(pbx, token, "POST", "/blocklist", {"pattern": "anonymous", "direction": "inbound"})
    with phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee:
        registered(callee)
        refused = tmp_path / "anonymous"
        scenario = carrier_call(user, host, status=603, warning="blocklist", extra=extra)
        assert from_carrier(pbx, refused, scenario) == 0, errors(refused) + pbx.log()[-2000:]
        # the same number with its identity shown passes
        shown = tmp_path / "shown"
        assert from_carrier(pbx, shown, carrier_call("+41797770003", status=200)) == 0, (
            errors(shown) + pbx.log()[-2000:]
        )
        assert callee.wait_hung_up(timeout=20), callee.log()
    assert callee.log().count("Call established") == 1, callee.log()


def test_an_outbound_allowlist_refuses_other_numbers_before_any_carrier(
    lists: CallPbx, token: str, tmp_path: Path
) -> None:
    pbx = lists
    before = len(pbx.wait_cdr(ACME, 0))
    api(pbx, token, "POST", "/allowlist", {"pattern": "+4144668180*", "direction": "outbound"})
    api(pbx, token, "POST", "/blocklist", {"pattern": "+41446681809", "direction": "outbound"})
    with phone(pbx, tmp_path, "101", ACME, 1000) as caller:
        registered(caller)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as carrier:
            carrier.bind((PRIMARY_HOST, pbx.primary_port))
            carrier.setblocking(False)
            for number in ("0446681900", "0446681809"):  # not on the allowlist; blocked
                refusals = caller.log().count("403")
                caller.command("dial", f"sip:{number}@{ACME}")
                deadline = time.monotonic() + 15
                while caller.log().count("403") <= refusals and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert caller.log().count("403") > refusals, caller.log()[-2000:]
            time.sleep(0.5)
            with pytest.raises(BlockingIOError):
                carrier.recvfrom(65535)  # refused before routing: no INVITE left
        uas = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port), "-m", "1"],
                   tmp_path / "carrier")  # fmt: skip
        time.sleep(0.5)
        caller.command("dial", f"sip:0446681805@{ACME}")  # on the allowlist
        assert caller.wait_log("Call established", timeout=20), caller.log()[-2000:]
        time.sleep(1)
        caller.command("hangup")
        assert wait_process(uas) == 0, "the allowed number did not reach the carrier"
    assert "+41446681900 is not on the allowlist" in pbx.log()
    assert "+41446681809 is on the blocklist" in pbx.log()
    cdrs = pbx.wait_cdr(ACME, before + 3)[:3]  # newest first
    assert [(c["callee"], c["disposition"]) for c in cdrs] == [
        ("+41446681805", "answered"),
        ("+41446681809", "failed"),
        ("+41446681900", "failed"),
    ], cdrs
