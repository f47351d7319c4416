"""Call recording through a real `centrex serve`: two baresip phones, an extension set to record
always (mixed, then per party) with the CLI, the recordings fetched and downloaded through the
REST API, their audio checked by FFT, and another tenant refused (404).
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.test_calls import ACME, SMALL, CallPbx, established, phone, registered
from tests.peers.phone import read_recording

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("recording"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def api(pbx: CallPbx, token: str, domain: str, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{pbx.http}{path}",
        headers={"Authorization": f"Bearer {token}", "Centrex-Tenant": domain},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def recordings(pbx: CallPbx, token: str, domain: str, cdr_id: int, count: int) -> list[Any]:
    """The recordings of one CDR once `count` are registered (they are kept after the BYE)."""
    deadline = time.monotonic() + 20
    while True:
        status, body = api(pbx, token, domain, f"/api/v1/recordings?cdr_id={cdr_id}")
        assert status == 200, body
        items: list[Any] = json.loads(body)["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.3)


def samples(wav_bytes: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(wav_bytes), "rb") as source:
        assert (source.getnchannels(), source.getsampwidth(), source.getframerate()) == (1, 2, 8000)
        return np.frombuffer(source.readframes(source.getnframes()), dtype="<i2").astype(float)


def level_at(data: np.ndarray, hz: float) -> float:
    """Spectral magnitude near `hz` relative to the spectrum's peak (1.0: the strongest)."""
    spectrum = np.abs(np.fft.rfft(data))
    bins = np.fft.rfftfreq(len(data), 1 / 8000)
    near = spectrum[(bins > hz - 10) & (bins < hz + 10)]
    return float(near.max() / spectrum.max())


def call(pbx: CallPbx, tmp_path: Path, caller_number: str) -> dict[str, Any]:
    """`caller_number` (1000 Hz) calls 102 (1500 Hz) for four seconds; returns the CDR."""
    before = len(pbx.wait_cdr(ACME, 0))
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
        phone(pbx, tmp_path, caller_number, ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        time.sleep(4)
        caller.command("hangup")
        assert callee.wait_log("terminated", timeout=15), callee.log()
    cdr: dict[str, Any] = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == (caller_number, "102", "answered")
    return cdr


def test_record_always_mixed_then_other_tenant_gets_404(pbx: CallPbx, tmp_path: Path) -> None:
    shown = pbx.cli("extension", "update", "--tenant", ACME, "--number", "101", "--record",
                    "always")  # fmt: skip
    assert (shown["record_calls"], shown["record_layout"]) == ("always", None)
    cdr = call(pbx, tmp_path, "101")
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    items = recordings(pbx, token, ACME, cdr["id"], 1)
    assert len(items) == 1, items
    recording = items[0]
    assert (recording["layout"], recording["party"], recording["cdr_id"]) == (
        "mixed",
        None,
        cdr["id"],
    )
    assert 3000 <= recording["duration_ms"] <= 12000, recording
    status, audio = api(pbx, token, ACME, f"/api/v1/recordings/{recording['id']}/audio")
    assert status == 200
    mixed = samples(audio)
    # both parties are in the one file: each tone stands out of the spectrum
    assert level_at(mixed, 1000) > 0.3, level_at(mixed, 1000)
    assert level_at(mixed, 1500) > 0.3, level_at(mixed, 1500)
    assert level_at(mixed, 1250) < 0.05

    # another tenant sees none of it: not in its list, and 404 on the item and its audio
    small_admin = pbx.cli("token", "create", "--role", "tenant-admin", "--tenant", SMALL)["token"]
    for token_, domain in ((small_admin, SMALL), (token, SMALL)):
        status, body = api(pbx, token_, domain, "/api/v1/recordings")
        assert status == 200, body
        assert json.loads(body)["total"] == 0
        for path in (f"/api/v1/recordings/{recording['id']}",
                     f"/api/v1/recordings/{recording['id']}/audio"):  # fmt: skip
            status, body = api(pbx, token_, domain, path)
            assert status == 404, (path, status, body)


def test_record_always_per_party(pbx: CallPbx, tmp_path: Path) -> None:
    pbx.cli("extension", "update", "--tenant", ACME, "--number", "103", "--record", "always",
            "--record-layout", "per-party")  # fmt: skip
    cdr = call(pbx, tmp_path, "103")
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    items = recordings(pbx, token, ACME, cdr["id"], 2)
    by_party = {item["party"]: item for item in items}
    assert set(by_party) == {"103", "102"}, items
    assert {item["layout"] for item in items} == {"per-party"}
    for party, hz, other in (("103", 1000, 1500), ("102", 1500, 1000)):
        status, audio = api(pbx, token, ACME, f"/api/v1/recordings/{by_party[party]['id']}/audio")
        assert status == 200
        voice = samples(audio)
        assert level_at(voice, hz) == 1.0, party  # its own tone is the peak...
        assert level_at(voice, other) < 0.05, party  # ...and the other party is not in it


def small_call(pbx: CallPbx, tmp_path: Path, *, star_one: bool) -> dict[str, Any]:
    """201 (1000 Hz) calls 202 (1500 Hz) of the SMALL tenant for about five seconds, pressing
    *1 (RFC 4733, baresip `sndcode`) two seconds in when `star_one`; returns the CDR."""
    before = len(pbx.wait_cdr(SMALL, 0))
    with (
        phone(pbx, tmp_path, "202", SMALL, 1500, answer=True) as callee,
        phone(pbx, tmp_path, "201", SMALL, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        caller.command("dial", f"sip:202@{SMALL}")
        established(caller, callee)
        time.sleep(2)
        if star_one:
            caller.command("sndcode", "*")
            time.sleep(0.3)
            caller.command("sndcode", "1")
        time.sleep(3)
        caller.command("hangup")
        assert callee.wait_hung_up(timeout=15), callee.log()
    cdr: dict[str, Any] = pbx.wait_cdr(SMALL, before + 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("201", "202", "answered")
    return cdr


def test_record_on_demand_starts_with_star_one(pbx: CallPbx, tmp_path: Path) -> None:
    pbx.cli("extension", "update", "--tenant", SMALL, "--number", "201", "--record",
            "on-demand")  # fmt: skip
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    # without *1 nothing is recorded
    quiet = small_call(pbx, tmp_path / "quiet", star_one=False)
    time.sleep(3)  # a recording is registered shortly after the BYE when there is one
    assert recordings(pbx, token, SMALL, quiet["id"], 0) == []
    # with *1 two seconds in, the recording covers the rest of the call only, both parties
    cdr = small_call(pbx, tmp_path / "asked", star_one=True)
    items = recordings(pbx, token, SMALL, cdr["id"], 1)
    assert len(items) == 1, items
    assert items[0]["duration_ms"] < cdr["billsec"] * 1000 - 1000, (items[0], cdr)
    status, audio = api(pbx, token, SMALL, f"/api/v1/recordings/{items[0]['id']}/audio")
    assert status == 200
    mixed = samples(audio)
    assert level_at(mixed, 1000) > 0.3
    assert level_at(mixed, 1500) > 0.3


def test_recording_notice_is_heard_by_both_parties(pbx: CallPbx, tmp_path: Path) -> None:
    """A tenant that must tell the parties: both hear the notice when the recording starts,
    then each other."""
    pbx.cli("extension", "update", "--tenant", ACME, "--number", "101", "--record", "always")
    shown = pbx.cli("tenant", "set-recording", ACME, "--announce")
    assert shown["record_announce"] is True
    try:
        with (
            phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
            phone(pbx, tmp_path, "101", ACME, 1000) as caller,
        ):
            registered(callee)
            registered(caller)
            caller.command("dial", f"sip:102@{ACME}")
            established(caller, callee)
            time.sleep(6)
            caller.command("hangup")
            assert callee.wait_hung_up(timeout=15), callee.log()
    finally:
        pbx.cli("tenant", "set-recording", ACME, "--no-announce")
    for heard, other_hz in ((callee.recordings()[-1], 1000), (caller.recordings()[-1], 1500)):
        data = read_recording(heard)
        # the notice replaces the other party for a while within the first five seconds (it
        # starts once the prompt is looked up, a fraction of a second after the answer on a
        # quiet machine; the server generates it at start so no synthesis delays it)
        halves = [data[i : i + 4000].astype(float) for i in range(0, 8000 * 5, 4000)]
        spoken = [h for h in halves if np.sqrt(np.mean(h**2)) > 300 and level_at(h, other_hz) < 0.5]
        assert len(spoken) >= 2, (heard, [level_at(h, other_hz) for h in halves])
        last = data[-8000 * 2 : -8000].astype(float)  # a second near the end: the other party
        assert level_at(last, other_hz) == 1.0, heard
