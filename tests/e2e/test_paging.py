"""A page group through a real `centrex serve` with baresip phones (issue 12 item 9): 101 dials
the page group 650 of 102, 103 and 104 (auto-answering phones, each sending its own tone);
all three answer and stay, each records the caller's 1000 Hz tone (FFT), and the caller's
recording holds none of the members' tones (one-way audio); the caller's hang-up ends every
member's call. One server per module (test_calls.py's `CallPbx` plus 104 and the group)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import ring_groups as ring_group_service
from centrex.provisioning import tenants as tenant_service
from tests.e2e.test_calls import ACME, CallPbx, established, phone, registered
from tests.peers.phone import dominant_frequency

pytestmark = pytest.mark.e2e

MEMBER_TONES = {"102": 1500.0, "103": 1800.0, "104": 2100.0}


class PagePbx(CallPbx):
    """CallPbx with extension 104 and the page group 650."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                await extension_service.create_extension(
                    scope, number="104", password="pw-104-secret", voicemail=False
                )
                await ring_group_service.create_ring_group(
                    scope, number="650", strategy="page", members=tuple(MEMBER_TONES),
                    ring_seconds=20,
                )  # fmt: skip
        finally:
            await database.dispose()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagePbx]:
    server = PagePbx(tmp_path_factory.mktemp("paging"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_every_member_hears_the_caller_and_the_caller_hears_nobody(
    pbx: PagePbx, tmp_path: Path
) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, MEMBER_TONES["102"], answer=True) as m102,
        phone(pbx, tmp_path, "103", ACME, MEMBER_TONES["103"], answer=True) as m103,
        phone(pbx, tmp_path, "104", ACME, MEMBER_TONES["104"], answer=True) as m104,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        members = (m102, m103, m104)
        for p in (*members, caller):
            registered(p)
        caller.command("dial", f"sip:650@{ACME}")
        established(caller, *members)
        time.sleep(4)
        caller.command("hangup")
        for member in members:  # the caller's hang-up ends every member's call
            assert member.wait_log("terminated", timeout=15), member.log()
    for number, member in zip(MEMBER_TONES, members, strict=True):
        heard = dominant_frequency(member.recordings()[-1])
        assert abs(heard[0] - 1000) < 20, (number, heard)
        assert heard[1] > 1000, (number, heard)
    heard_by_caller = dominant_frequency(caller.recordings()[-1])
    for tone in MEMBER_TONES.values():  # one-way: no member's tone reached the caller
        assert not (abs(heard_by_caller[0] - tone) < 20 and heard_by_caller[1] > 1000), (
            heard_by_caller
        )
    cdr = pbx.wait_cdr(ACME, 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("101", "650", "answered")
