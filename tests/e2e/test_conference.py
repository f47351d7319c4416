"""Conference rooms through a real `centrex serve` with baresip phones (issue 13 item 2).

* Room 800 of ACME (no PIN): 101, 102 and 103 dial it, each sending its own tone (1000, 1300,
  1700 Hz); by FFT on each phone's decoded recording, each hears the two others and not
  itself. Meanwhile 201 of the tenant SMALL dials 800 too and lands in SMALL's own room 800:
  it hears none of ACME's tones, and ACME's participant list (REST API) stays 101-103.
* Room 801 of ACME (PIN 1234, recorded): 101 enters a wrong PIN (refused: not in the room),
  then the right one (in the room); 102 joins and hears 101; the API lists both, kicks 102
  (its phone is hung up); when 101 leaves, the room's mix is a recording linked to 101's CDR.
* Room 801 again: 103 enters three wrong PINs and is hung up.
* Room 802 (moderator PIN 9999): 101 enters as a member (just '#') and waits, hearing music
  on hold, until 102 enters the moderator PIN; then they hear each other.
* Room 803 (two members at most): 103, the third caller, is told so and hung up.
* An IVR flow (extension 100) whose transfer target is conference 800: 101 dials 100 and meets
  102, who dialled 800.

One server per module (test_calls.py's `CallPbx` plus the rooms).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from centrex.apps.moh import CHORDS
from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.provisioning import conferences as conference_service
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import flows as flow_service
from centrex.provisioning import tenants as tenant_service
from tests.e2e.test_calls import (
    ACME,
    SMALL,
    CallPbx,
    established,
    is_moh,
    phone,
    registered,
    spectrum_windows,
)
from tests.peers.phone import Phone, read_recording

pytestmark = pytest.mark.e2e

TONES = {"101": 1000.0, "102": 1300.0, "103": 1700.0}
SMALL_TONE = 2100.0
IVR = "100"  # an IVR flow whose only node transfers to conference 800
TO_ROOM = {
    "start": "room",
    "nodes": [{"id": "room", "type": "transfer", "target": {"kind": "conference", "value": "800"}}],
}


class ConferencePbx(CallPbx):
    """CallPbx with ACME's rooms 800 (open), 801 (PIN 1234, recorded), 802 (moderator PIN
    9999), 803 (two members at most), and SMALL's own 800."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                acme = await tenant_service.scope_for(session, ACME)
                await conference_service.create_conference(acme, number="800")
                await conference_service.create_conference(acme, number="801", pin="1234",
                                                           record=True)  # fmt: skip
                await conference_service.create_conference(acme, number="802",
                                                           moderator_pin="9999")  # fmt: skip
                await conference_service.create_conference(acme, number="803", max_members=2)
                await extension_service.create_extension(acme, number=IVR, voicemail=False)
                flow = await flow_service.create_flow(acme, name="to-room", graph=TO_ROOM,
                                                      now=SystemClock().utcnow())  # fmt: skip
                await flow_service.bind_extension(acme, flow.id, IVR)
                small = await tenant_service.scope_for(session, SMALL)
                await conference_service.create_conference(small, number="800")
        finally:
            await database.dispose()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConferencePbx]:
    server = ConferencePbx(tmp_path_factory.mktemp("conference"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def token(pbx: ConferencePbx) -> str:
    return str(pbx.cli("token", "create", "--role", "platform-admin")["token"])


def api(pbx: CallPbx, token: str, method: str, path: str, domain: str = ACME) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{pbx.http}{path}", method=method,
        headers={"Authorization": f"Bearer {token}", "Centrex-Tenant": domain},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def room_id(pbx: CallPbx, token: str, number: str, domain: str = ACME) -> int:
    rooms = api(pbx, token, "GET", "/api/v1/conferences", domain)["items"]
    return int(next(r["id"] for r in rooms if r["number"] == number))


def participants(pbx: CallPbx, token: str, room: int, domain: str = ACME) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api(pbx, token, "GET",
                                      f"/api/v1/conferences/{room}/participants", domain)["items"]  # fmt: skip
    return items


def wait_participants(
    pbx: CallPbx, token: str, room: int, count: int, domain: str = ACME, timeout: float = 30.0
) -> list[dict[str, Any]]:
    """The room's participants in it (not waiting) once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        inside = [p for p in participants(pbx, token, room, domain) if not p["waiting"]]
        if len(inside) == count or time.monotonic() > deadline:
            return inside
        time.sleep(0.3)


def band_levels(
    path: Path, hz: list[float], *, last: float = 4.0, skip: float = 1.0
) -> list[float]:
    """Spectrum peak near each frequency (±15 Hz) over the recording's window from `last`
    seconds before its end to `skip` seconds before it (when everybody was in the room)."""
    data = read_recording(path)
    end = len(data) - int(skip * 8000)
    chunk = data[max(0, end - int((last - skip) * 8000)) : end]
    assert len(chunk) >= 8000, (path, len(data))
    spectrum = np.abs(np.fft.rfft(chunk * np.hanning(len(chunk))))
    step = 8000 / len(chunk)
    return [float(spectrum[int((f - 15) / step) : int((f + 15) / step) + 1].max()) for f in hz]


def dial_pin(p: Phone, digits: str) -> None:
    for digit in digits:
        p.command("sndcode", digit)
        time.sleep(0.35)


def test_three_phones_hear_each_other_not_themselves_and_another_tenant_stays_out(
    pbx: ConferencePbx, token: str, tmp_path: Path
) -> None:
    acme_800 = room_id(pbx, token, "800")
    small_800 = room_id(pbx, token, "800", SMALL)
    with (
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as p101,
        phone(pbx, tmp_path, "102", ACME, TONES["102"]) as p102,
        phone(pbx, tmp_path, "103", ACME, TONES["103"]) as p103,
        phone(pbx, tmp_path, "201", SMALL, SMALL_TONE) as p201,
    ):
        members = {"101": p101, "102": p102, "103": p103}
        for p in (*members.values(), p201):
            registered(p)
        for number, p in members.items():
            p.command("dial", f"sip:800@{ACME}")
            established(p)
            assert len(wait_participants(pbx, token, acme_800, int(number) - 100)) == (
                int(number) - 100
            ), pbx.log()[-3000:]
        p201.command("dial", f"sip:800@{SMALL}")  # SMALL's own 800, not ACME's
        established(p201)
        assert [p["caller"] for p in wait_participants(pbx, token, small_800, 1, SMALL)] == ["201"]
        inside = wait_participants(pbx, token, acme_800, 3)
        assert sorted(p["caller"] for p in inside) == ["101", "102", "103"]
        assert not any(p["muted"] or p["moderator"] for p in inside)
        time.sleep(7)
        for p in (*members.values(), p201):
            p.command("hangup")
        for p in (*members.values(), p201):
            assert p.wait_hung_up(), p.log()
    for number, p in members.items():
        others = [hz for n, hz in TONES.items() if n != number]
        own = band_levels(p.recordings()[-1], [TONES[number]])[0]
        heard = band_levels(p.recordings()[-1], others)
        assert min(heard) > 20 * own, (number, heard, own)  # both others, clearly; not itself
        foreign = band_levels(p.recordings()[-1], [SMALL_TONE])[0]
        assert min(heard) > 20 * foreign, (number, heard, foreign)
    acme_at_201 = band_levels(p201.recordings()[-1], list(TONES.values()))
    silence_floor = band_levels(members["101"].recordings()[-1], [TONES["102"]])[0]
    assert max(acme_at_201) * 20 < silence_floor, (acme_at_201, silence_floor)
    assert wait_participants(pbx, token, acme_800, 0) == []


def test_pin_refused_then_accepted_participants_kick_and_recording(
    pbx: ConferencePbx, token: str, tmp_path: Path
) -> None:
    room = room_id(pbx, token, "801")
    with (
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as p101,
        phone(pbx, tmp_path, "102", ACME, TONES["102"]) as p102,
    ):
        for p in (p101, p102):
            registered(p)
        p101.command("dial", f"sip:801@{ACME}")
        established(p101)
        time.sleep(1.5)  # the PIN prompt is playing (digits interrupt it)
        dial_pin(p101, "999#")
        time.sleep(3)  # "that PIN is not correct", the prompt again
        assert participants(pbx, token, room) == []  # refused: not in the room
        dial_pin(p101, "1234#")
        inside = wait_participants(pbx, token, room, 1)
        assert [p["caller"] for p in inside] == ["101"], pbx.log()[-3000:]
        p102.command("dial", f"sip:801@{ACME}")
        established(p102)
        time.sleep(1.5)
        dial_pin(p102, "1234#")
        inside = wait_participants(pbx, token, room, 2)
        assert [p["caller"] for p in inside] == ["101", "102"]
        time.sleep(5)
        kicked = next(p["id"] for p in inside if p["caller"] == "102")
        api(pbx, token, "DELETE", f"/api/v1/conferences/{room}/participants/{kicked}")
        assert p102.wait_hung_up(), p102.log()
        assert [p["caller"] for p in wait_participants(pbx, token, room, 1)] == ["101"]
        p101.command("hangup")
        assert p101.wait_hung_up(), p101.log()
    heard = band_levels(p102.recordings()[-1], [TONES["101"], TONES["102"]], last=4.0, skip=0.5)
    assert heard[0] > 20 * heard[1], heard  # 102 heard 101, not itself
    recordings = _wait_recordings(pbx, token)
    assert len(recordings) == 1, recordings
    cdrs = {c["id"]: c for c in pbx.wait_cdr(ACME, 1)}
    linked = cdrs[recordings[0]["cdr_id"]]
    assert (linked["caller"], linked["callee"]) == ("101", "801")
    assert recordings[0]["duration_ms"] > 5000


def _wait_recordings(pbx: CallPbx, token: str, timeout: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        items: list[dict[str, Any]] = api(pbx, token, "GET", "/api/v1/recordings")["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.3)


def test_three_wrong_pins_hang_up(pbx: ConferencePbx, token: str, tmp_path: Path) -> None:
    room = room_id(pbx, token, "801")
    with phone(pbx, tmp_path, "103", ACME, TONES["103"]) as p103:
        registered(p103)
        p103.command("dial", f"sip:801@{ACME}")
        established(p103)
        for _ in range(3):
            time.sleep(1.5)
            dial_pin(p103, "4321#")
            time.sleep(2.5)
        assert p103.wait_hung_up(timeout=30), p103.log()  # the server hung up, not the phone
        assert participants(pbx, token, room) == []


def test_members_wait_with_music_until_the_moderator_joins(
    pbx: ConferencePbx, token: str, tmp_path: Path
) -> None:
    room = room_id(pbx, token, "802")
    with (
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as p101,
        phone(pbx, tmp_path, "102", ACME, TONES["102"]) as p102,
    ):
        for p in (p101, p102):
            registered(p)
        p101.command("dial", f"sip:802@{ACME}")
        established(p101)
        time.sleep(1.5)
        dial_pin(p101, "#")  # no member PIN: '#' alone makes a member
        deadline = time.monotonic() + 20
        while not participants(pbx, token, room) and time.monotonic() < deadline:
            time.sleep(0.3)
        waiting = participants(pbx, token, room)
        assert [(p["caller"], p["waiting"]) for p in waiting] == [("101", True)]
        time.sleep(6)  # the waiting prompt, then music on hold
        p102.command("dial", f"sip:802@{ACME}")
        established(p102)
        time.sleep(1.5)
        dial_pin(p102, "9999#")
        inside = wait_participants(pbx, token, room, 2)
        assert sorted((p["caller"], p["moderator"]) for p in inside) == [
            ("101", False), ("102", True),
        ]  # fmt: skip
        time.sleep(6)
        for p in (p101, p102):
            p.command("hangup")
        for p in (p101, p102):
            assert p.wait_hung_up(), p.log()
    windows = spectrum_windows(read_recording(p101.recordings()[-1]))
    notes = {round(hz) for chord in CHORDS for hz in chord}  # the default music's notes
    music = [is_moh(w) and round(w[0]) in notes for w in windows]
    assert any(all(music[i : i + 3]) for i in range(len(music) - 2)), windows  # 3 s of music
    heard = band_levels(p101.recordings()[-1], [TONES["102"], TONES["101"]])
    assert heard[0] > 20 * heard[1], heard  # then the moderator, not itself


def test_a_full_room_turns_the_next_caller_away(
    pbx: ConferencePbx, token: str, tmp_path: Path
) -> None:
    room = room_id(pbx, token, "803")
    with (
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as p101,
        phone(pbx, tmp_path, "102", ACME, TONES["102"]) as p102,
        phone(pbx, tmp_path, "103", ACME, TONES["103"]) as p103,
    ):
        for p in (p101, p102, p103):
            registered(p)
        for p in (p101, p102):
            p.command("dial", f"sip:803@{ACME}")
            established(p)
        assert len(wait_participants(pbx, token, room, 2)) == 2
        p103.command("dial", f"sip:803@{ACME}")
        established(p103)  # answered: it hears that the room is full
        assert p103.wait_hung_up(timeout=20), p103.log()  # then the server hangs up
        assert sorted(p["caller"] for p in participants(pbx, token, room)) == ["101", "102"]
        for p in (p101, p102):
            p.command("hangup")
        for p in (p101, p102):
            assert p.wait_hung_up(), p.log()
    assert wait_participants(pbx, token, room, 0) == []


def test_an_ivr_flow_transfers_into_a_room(pbx: ConferencePbx, token: str, tmp_path: Path) -> None:
    room = room_id(pbx, token, "800")
    with (
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as p101,
        phone(pbx, tmp_path, "102", ACME, TONES["102"]) as p102,
    ):
        for p in (p101, p102):
            registered(p)
        p102.command("dial", f"sip:800@{ACME}")
        established(p102)
        p101.command("dial", f"sip:{IVR}@{ACME}")  # the flow, then its conference target
        established(p101)
        inside = wait_participants(pbx, token, room, 2)
        assert sorted(p["caller"] for p in inside) == ["101", "102"], pbx.log()[-3000:]
        time.sleep(6)
        for p in (p101, p102):
            p.command("hangup")
        for p in (p101, p102):
            assert p.wait_hung_up(), p.log()
    heard = band_levels(p101.recordings()[-1], [TONES["102"], TONES["101"]])
    assert heard[0] > 20 * heard[1], heard
