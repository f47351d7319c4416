"""Ring-group strategies through a real `centrex serve` with sipp desk phones as members (issue
12): the order in which the members' sockets receive Centrex's INVITEs (captured on `lo`) is
the strategy's order — sequential in the configured order, round-robin starting after the
member that answered last, longest-idle with the member that just talked last — and a member
in DND or on a call is skipped (it receives no INVITE from the group).

Members decline with 486 unless a test lets one answer, so a step ends at once and nothing
waits for a ring deadline; the caller is baresip 101. One server per module (test_calls.py's
`CallPbx` plus the members' extensions and the groups, provisioned before it starts).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import forwarding as forwarding_service
from centrex.provisioning import ring_groups as ring_group_service
from centrex.provisioning import tenants as tenant_service
from tests.e2e.sip_capture import SipCapture
from tests.e2e.sipp_members import ANSWER, DECLINE, Member
from tests.e2e.test_calls import ACME, CallPbx, phone, registered
from tests.helpers import free_port
from tests.peers.phone import Phone

pytestmark = pytest.mark.e2e

GROUPS = {  # number: (strategy, members)
    "610": ("sequential", ("111", "112", "113")),
    "620": ("round-robin", ("121", "122", "123")),
    "630": ("longest-idle", ("131", "132", "133")),
    "640": ("sequential", ("141", "142", "143")),
}
IN_DND = "141"


class StrategyPbx(CallPbx):
    """CallPbx with the members' extensions, the groups and 141 in DND."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                for number, (strategy, members) in GROUPS.items():
                    for member in members:
                        await extension_service.create_extension(
                            scope, number=member, password=f"pw-{member}-secret",
                            voicemail=False,
                        )  # fmt: skip
                    await ring_group_service.create_ring_group(
                        scope, number=number, strategy=strategy, members=members,
                        ring_seconds=10,
                    )  # fmt: skip
                await forwarding_service.set_dnd(scope, IN_DND, True)
        finally:
            await database.dispose()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StrategyPbx]:
    server = StrategyPbx(tmp_path_factory.mktemp("ring-strategies"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def members(pbx: StrategyPbx, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Member]:
    root = tmp_path_factory.mktemp("members")
    found = {}
    for _, numbers in GROUPS.values():
        for number in numbers:
            member = Member(number, ACME, f"pw-{number}-secret", free_port(),
                            free_port(), root / number)  # fmt: skip
            member.register(("127.0.0.1", pbx.sip))
            found[number] = member
    return found


def listening(port: int, timeout: float = 10.0) -> None:
    """sipp has bound its UDP port (a bind of ours fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def serve(stack: ExitStack, pbx: CallPbx, plan: dict[Member, str]) -> None:
    """Start each member's UAS with its scenario, within `stack`."""
    for member, scenario in plan.items():
        stack.enter_context(member.serving(scenario, ("127.0.0.1", pbx.sip)))
        listening(member.port)


def rung(capture: SipCapture, members: dict[str, Member], since: int = 0) -> list[str]:
    """The members whose sockets received an INVITE, in order (from the `since`-th on)."""
    by_port = {m.port: number for number, m in members.items()}
    return [by_port[d.destination[1]] for d in capture.requests("INVITE")
            if d.destination[1] in by_port][since:]  # fmt: skip


def call_group(caller: Phone, number: str, *, answered: bool) -> None:
    """101 dials the group; answered: talk a second and hang up; else wait for the failure."""
    ended = caller.log().count("terminated") + caller.log().count("session closed")
    caller.command("dial", f"sip:{number}@{ACME}")
    if answered:
        assert caller.wait_log(f"Call established: sip:{number}", timeout=30), caller.log()
        time.sleep(1)
        caller.command("hangup")
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        log = caller.log()
        if log.count("terminated") + log.count("session closed") > ended:
            return
        time.sleep(0.1)
    raise AssertionError(caller.log()[-2000:])


@pytest.fixture
def caller(pbx: StrategyPbx, tmp_path: Path) -> Iterator[Phone]:
    with phone(pbx, tmp_path, "101", ACME, 1000) as p:
        registered(p)
        yield p


def test_sequential_rings_in_the_configured_order(
    pbx: StrategyPbx, members: dict[str, Member], caller: Phone
) -> None:
    group = [members[n] for n in GROUPS["610"][1]]
    with ExitStack() as stack, SipCapture(frozenset(m.port for m in group)) as wire:
        serve(stack, pbx, dict.fromkeys(group, DECLINE))
        call_group(caller, "610", answered=False)
    assert rung(wire, members) == ["111", "112", "113"]
    assert "480" in caller.log()  # nobody answered, no fallback


def test_round_robin_starts_after_the_member_that_answered_last(
    pbx: StrategyPbx, members: dict[str, Member], caller: Phone
) -> None:
    first, second, third = (members[n] for n in GROUPS["620"][1])
    with SipCapture(frozenset({first.port, second.port, third.port})) as wire:
        with ExitStack() as stack:
            serve(stack, pbx, {first: DECLINE, second: ANSWER, third: DECLINE})
            call_group(caller, "620", answered=True)
        assert rung(wire, members) == ["121", "122"]  # 122 answered: 123 never rang
        mark = len(rung(wire, members))
        with ExitStack() as stack:
            serve(stack, pbx, dict.fromkeys((first, second, third), DECLINE))
            call_group(caller, "620", answered=False)
        assert rung(wire, members, mark) == ["123", "121", "122"]


def test_longest_idle_rings_the_member_that_just_talked_last(
    pbx: StrategyPbx, members: dict[str, Member], caller: Phone
) -> None:
    first, second, third = (members[n] for n in GROUPS["630"][1])
    with SipCapture(frozenset({first.port, second.port, third.port})) as wire:
        with ExitStack() as stack:  # nobody has talked since the start: configured order
            serve(stack, pbx, {first: DECLINE, second: ANSWER, third: DECLINE})
            call_group(caller, "630", answered=True)
        assert rung(wire, members) == ["131", "132"]
        mark = len(rung(wire, members))
        with ExitStack() as stack:
            serve(stack, pbx, dict.fromkeys((first, second, third), DECLINE))
            call_group(caller, "630", answered=False)
        # 131 and 133 idle since the start (ties: configured order), 132 since its call
        assert rung(wire, members, mark) == ["131", "133", "132"]


def test_members_in_dnd_or_on_a_call_are_skipped(
    pbx: StrategyPbx, members: dict[str, Member], caller: Phone, tmp_path: Path
) -> None:
    quiet, busy, free = (members[n] for n in GROUPS["640"][1])
    with (
        ExitStack() as stack,
        SipCapture(frozenset({quiet.port, busy.port, free.port})) as wire,
        phone(pbx, tmp_path, "102", ACME, 1500) as other,
    ):
        serve(stack, pbx, {quiet: DECLINE, busy: ANSWER, free: DECLINE})
        registered(other)
        other.command("dial", f"sip:142@{ACME}")  # 142 answers: it is on a call now
        assert other.wait_log("Call established", timeout=30), other.log()
        time.sleep(1)
        call_group(caller, "640", answered=False)
        other.command("hangup")
        assert other.wait_hung_up(timeout=20), other.log()
    assert rung(wire, members) == ["142", "143"]  # 142: 102's own call; the group rang 143 only
