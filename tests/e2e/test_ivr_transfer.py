"""An IVR flow that ends in a transfer, through a real `centrex serve` with real peers.

Extension 100 runs a flow: 1 → extension 102, 2 → the outside number 044 668 18 00, 3 →
extension 103 (no phone registered, no mailbox). baresip 101 calls 100 and chooses with RFC 4733
DTMF (`sndcode`). The call layer rings the target while 101, already answered by the IVR, hears
ringback; on answer the two media legs are bridged, which the phones' decoded recordings show
(each hears the other's tone by FFT). A sipp UAS plays the carrier on the primary trunk's
address. The CDR of each call is checked: answered, callee the party finally connected.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import flows as flow_service
from centrex.provisioning import tenants as tenant_service
from tests.e2e.test_calls import (
    ACME,
    PRIMARY_HOST,
    CallPbx,
    established,
    phone,
    registered,
    sipp,
    spectrum_windows,
    wait_process,
)
from tests.peers.phone import Phone, dominant_frequency, read_recording

pytestmark = pytest.mark.e2e

IVR = "100"
MENU: dict[str, Any] = {
    "start": "menu",
    "nodes": [
        {
            "id": "menu",
            "type": "menu",
            "prompt": "menu.make_choice",
            "branches": {"1": "bob", "2": "outside", "3": "nobody"},
            "timeout": "bye",
            "invalid": "bye",
            "retries": 2,
            "timeout_seconds": 8,
        },
        {"id": "bob", "type": "transfer", "target": {"kind": "extension", "value": "102"}},
        {
            "id": "outside",
            "type": "transfer",
            "target": {"kind": "external", "value": "0446681800"},
        },
        {"id": "nobody", "type": "transfer", "target": {"kind": "extension", "value": "103"}},
        {"id": "bye", "type": "hangup", "prompt": "common.goodbye"},
    ],
}


class TransferPbx(CallPbx):
    """The calls test server plus extension 100 bound to the transfer menu."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        now = SystemClock().utcnow()
        try:
            async with database.transaction() as session:
                tenant = await session.scalar(select(Tenant).where(Tenant.domain == ACME))
                assert tenant is not None
                scope = tenant_service.scope_of(session, tenant)
                await extension_service.create_extension(
                    scope, number=IVR, name="Reception", voicemail=False
                )
                flow = await flow_service.create_flow(scope, name="transfers", graph=MENU, now=now)
                await flow_service.bind_extension(scope, flow.id, IVR)
        finally:
            await database.dispose()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransferPbx]:
    server = TransferPbx(tmp_path_factory.mktemp("ivr-transfer"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def heard(p: Phone) -> list[tuple[float, float]]:
    """(peak Hz, RMS) of each whole second this phone heard on its last call."""
    return spectrum_windows(read_recording(p.recordings()[-1]))


def near(window: tuple[float, float], hz: float, level: float = 1000.0) -> bool:
    return abs(window[0] - hz) < 20 and window[1] > level


def choose(caller: Phone, digit: str) -> None:
    """Call the IVR, let its menu prompt start, press `digit` (barge-in)."""
    caller.command("dial", f"sip:{IVR}@{ACME}")
    established(caller)  # answered by the IVR
    time.sleep(3)
    caller.command("sndcode", digit)


def test_menu_transfers_to_an_extension_and_bridges_audio(pbx: TransferPbx, tmp_path: Path) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        choose(caller, "1")
        established(callee)  # 102 rang (auto-answer) and the call is bridged
        time.sleep(6)
        callee.command("hangup")
        assert caller.wait_hung_up(timeout=15), caller.log()  # 102's BYE ends 101's call
    by_caller = heard(caller)
    # the last whole seconds before the hang-up: 102's tone, relayed through the bridge
    assert all(near(w, 1500) for w in by_caller[-4:-1]), by_caller
    by_callee = dominant_frequency(callee.recordings()[-1])
    assert abs(by_callee[0] - 1000) < 20, by_callee
    assert by_callee[1] > 1000, by_callee
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["direction"], cdr["disposition"]) == (
        "101",
        "102",
        "internal",
        "answered",
    )
    assert cdr["hangup_side"] == "callee"
    assert cdr["billsec"] > 0


def test_caller_hanging_up_while_the_target_rings_cancels_it(
    pbx: TransferPbx, tmp_path: Path
) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as callee,  # rings, never answers
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        choose(caller, "1")
        assert callee.wait_log("Incoming call", timeout=15), callee.log()
        time.sleep(6)  # more than one ringback cadence (CH: 1 s tone, 4 s pause)
        caller.command("hangup")
        assert caller.wait_hung_up(timeout=15), caller.log()
        # the CANCEL reached the ringing phone: its incoming call is gone
        assert callee.wait_hung_up(timeout=15), callee.log()
        assert "Call established" not in callee.log()
    # while 102 rang, 101 heard the ringback tone (425 Hz), not silence
    assert any(near(w, 425, level=300) for w in heard(caller)), heard(caller)
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"], cdr["hangup_side"]) == (
        "101",
        IVR,
        "answered",
        "caller",
    )


def test_menu_transfers_to_an_outside_number_through_the_trunk(
    pbx: TransferPbx, tmp_path: Path
) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    carrier = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port), "-m", "1"],
                   tmp_path / "carrier")  # fmt: skip
    time.sleep(0.5)
    with phone(pbx, tmp_path, "101", ACME, 1000) as caller:
        registered(caller)
        choose(caller, "2")
        time.sleep(3)
        caller.command("hangup")
        assert caller.wait_hung_up(timeout=15), caller.log()
    assert wait_process(carrier) == 0, f"the carrier did not complete the call: {pbx.log()[-3000:]}"
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["direction"], cdr["disposition"]) == (
        "101",
        "+41446681800",
        "outbound",
        "answered",
    )
    trunks = {t["id"]: t["name"] for t in pbx.cli("trunk", "list")["items"]}
    assert trunks[cdr["trunk_id"]] == "primary"
    assert cdr["hangup_side"] == "caller"


def test_unreachable_extension_without_mailbox_says_goodbye(
    pbx: TransferPbx, tmp_path: Path
) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    with phone(pbx, tmp_path, "101", ACME, 1000) as caller:
        registered(caller)
        choose(caller, "3")  # 103: no phone registered, no mailbox
        assert caller.wait_hung_up(timeout=30), caller.log()  # goodbye, then the IVR's BYE
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"], cdr["hangup_side"]) == (
        "101",
        IVR,
        "answered",
        "system",
    )
