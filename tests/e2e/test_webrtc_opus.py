"""Opus with browsers through a real `centrex serve` (issue 14 item 4), two Chromium softphones
(/phone, SIP.js over WSS) and a G.711-only baresip phone:

* browser 104 calls browser 105: Opus is negotiated on both legs (the server's live call state
  and each browser's getStats say opus/48000) and relayed untouched; each browser hears the
  other's fake-microphone tone (Web Audio FFT of the remote stream) and its packet counters
  rise, as do the server's per-leg counters;
* browser 104 calls baresip 102, which has PCMU/PCMA only: G.711 on the browser leg too (no
  transcoding), audio both ways (baresip's recording holds the browser's tone by FFT);
* browser 104 talks Opus with browser 105, which blind-transfers it to baresip 102: 104's leg
  stays Opus, 102's is PCMU, and the relay transcodes both ways (the phone's recording holds
  104's tone, 104 hears the phone's).

Each Chromium runs its own fake microphone file (the flag is per process): two processes.
The server's RTP range is 44800-44999 (no other e2e module uses it).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.e2e.test_browser_phone import (
    BEA,
    WAIT_MS,
    BrowserPhonePbx,
    remote_peak,
    write_tone_48k,
)
from tests.e2e.test_calls import ACME, established, phone, registered
from tests.peers.phone import dominant_frequency
from tests.web.test_portal_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.e2e

CAI = ("cai@acme.calls.test", "cai-portal-pw-1")
BEA_HZ = 1000  # browser 104's fake microphone
CAI_HZ = 1300  # browser 105's
PHONE_HZ = 1700  # baresip 102


class OpusPbx(BrowserPhonePbx):
    """The browser-phone server (104 owned by Bea) plus 105 owned by Cai, RTP 44800-44999."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.env.update(CENTREX_RTP_PORT_MIN="44800", CENTREX_RTP_PORT_MAX="44999")

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                cai = await user_service.create_user(
                    scope, name="Cai Browser", email=CAI[0], password=CAI[1]
                )
                await extension_service.create_extension(
                    scope, number="105", name="Cai", user_id=cai.id, password="pw-105-secret",
                    voicemail=False,
                )  # fmt: skip
        finally:
            await database.dispose()

    def live_calls(self) -> list[dict[str, Any]]:
        """`GET /api/v1/calls` as ACME's administrator: calls with per-leg media counters."""
        token = self.cli("token", "create", "--role", "tenant-admin", "--tenant", ACME)["token"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http}/api/v1/calls",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            items: list[dict[str, Any]] = json.loads(response.read())["items"]
        return items


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpusPbx]:
    server = OpusPbx(tmp_path_factory.mktemp("webrtc-opus"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browsers(
    tmp_path_factory: pytest.TempPathFactory, pbx: OpusPbx
) -> Iterator[tuple[Browser, Browser]]:
    """Two Chromium processes, each with its own fake microphone tone (started after the
    server: its provisioning runs an event loop of its own)."""
    directory = tmp_path_factory.mktemp("opus-tones")
    with sync_playwright() as playwright:
        launched = []
        for name, hz in (("bea", BEA_HZ), ("cai", CAI_HZ)):
            tone = write_tone_48k(directory / f"{name}.wav", hz)
            args = [
                *ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={tone}",
                "--ignore-certificate-errors",  # the server's self-signed WSS certificate
                "--autoplay-policy=no-user-gesture-required",
            ]
            launched.append(playwright.chromium.launch(executable_path=CHROMIUM, args=args))
        yield launched[0], launched[1]
        for instance in launched:
            instance.close()


def open_phone(browser: Browser, pbx: OpusPbx, login: tuple[str, str]) -> Page:
    """`login` signed in to the portal, on /phone, registered over WSS."""
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    base = f"http://127.0.0.1:{pbx.http}"
    page.goto(f"{base}/login")
    page.fill("input[name=email]", login[0])
    page.fill("input[name=password]", login[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/me")
    page.goto(f"{base}/phone")
    page.wait_for_function(
        "() => window.centrexPhone && window.centrexPhone.state === 'registered'"
    )
    return page


def stats(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("() => window.centrexPhone.stats()")
    return result


def state(page: Page, wanted: str) -> None:
    page.wait_for_function(f"() => window.centrexPhone.state === {wanted!r}")


def the_call(pbx: OpusPbx, caller: str) -> dict[str, Any]:
    """The live call placed by `caller`, once both of its legs have media counters."""
    seen: list[dict[str, Any]] = []
    for _ in range(40):
        seen = [c for c in pbx.live_calls() if c["caller"] == caller]
        if seen and len(seen[0].get("media") or []) == 2:
            return seen[0]
        time.sleep(0.5)
    raise AssertionError(f"no bridged call from {caller}: {seen}")


def legs(call: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["side"]: m for m in call["media"]}


def talking(page: Page) -> dict[str, Any]:
    """Stats a few seconds apart: the browser sends and receives RTP, and hears a level."""
    first = stats(page)
    time.sleep(3)
    later = stats(page)
    assert later["packetsReceived"] > first["packetsReceived"] + 50, (first, later)
    assert later["packetsSent"] > first["packetsSent"] + 50, (first, later)
    assert later["audioLevel"] > 0.05, later
    return later


def test_two_browsers_negotiate_opus_and_hear_each_other(
    pbx: OpusPbx, browsers: tuple[Browser, Browser]
) -> None:
    bea = open_phone(browsers[0], pbx, BEA)
    cai = open_phone(browsers[1], pbx, CAI)
    bea.evaluate("() => window.centrexPhone.call('105')")
    state(cai, "ringing")
    cai.evaluate("() => window.centrexPhone.answer()")
    state(cai, "in-call")
    state(bea, "in-call")
    bea_stats, cai_stats = talking(bea), talking(cai)
    assert bea_stats["codec"].lower() == "audio/opus/48000", bea_stats
    assert cai_stats["codec"].lower() == "audio/opus/48000", cai_stats
    call = the_call(pbx, "104")
    media = legs(call)
    assert media["a"]["codec"].lower() == "opus", call  # 104's leg
    assert media["b"]["codec"].lower() == "opus", call  # 105's leg: relayed, not transcoded
    first = {side: leg["packets_in"] for side, leg in media.items()}
    time.sleep(1)
    again = legs(the_call(pbx, "104"))
    for side in ("a", "b"):
        assert again[side]["packets_in"] > first[side] + 20, (first, again)
        assert again[side]["packets_out"] > 20, again
    heard_by_bea = remote_peak(bea)
    heard_by_cai = remote_peak(cai)
    assert abs(heard_by_bea["hz"] - CAI_HZ) < 30, heard_by_bea
    assert abs(heard_by_cai["hz"] - BEA_HZ) < 30, heard_by_cai
    bea.evaluate("() => window.centrexPhone.hangup()")
    state(cai, "registered")
    state(bea, "registered")
    bea.close()
    cai.close()


def test_a_browser_calling_a_g711_phone_gets_g711_both_ways(
    pbx: OpusPbx, browsers: tuple[Browser, Browser], tmp_path: Path
) -> None:
    bea = open_phone(browsers[0], pbx, BEA)
    with phone(pbx, tmp_path, "102", ACME, PHONE_HZ, answer=True) as callee:
        registered(callee)
        bea.evaluate("() => window.centrexPhone.call('102')")
        state(bea, "in-call")
        established(callee)
        got = talking(bea)
        assert got["codec"] in ("audio/PCMU/8000", "audio/PCMA/8000"), got
        media = legs(the_call(pbx, "104"))
        assert media["a"]["codec"] == media["b"]["codec"] == got["codec"].split("/")[1]
        heard = remote_peak(bea)
        assert abs(heard["hz"] - PHONE_HZ) < 30, heard
        bea.evaluate("() => window.centrexPhone.hangup()")
        assert callee.wait_hung_up(timeout=20), callee.log()
        state(bea, "registered")
    frequency, level = dominant_frequency(callee.recordings()[-1])
    assert abs(frequency - BEA_HZ) < 20, (frequency, level)
    assert level > 500, (frequency, level)
    bea.close()


def test_an_opus_call_transferred_to_a_g711_phone_is_transcoded(
    pbx: OpusPbx, browsers: tuple[Browser, Browser], tmp_path: Path
) -> None:
    bea = open_phone(browsers[0], pbx, BEA)
    cai = open_phone(browsers[1], pbx, CAI)
    with phone(pbx, tmp_path, "102", ACME, PHONE_HZ, answer=True) as target:
        registered(target)
        bea.evaluate("() => window.centrexPhone.call('105')")
        state(cai, "ringing")
        cai.evaluate("() => window.centrexPhone.answer()")
        state(bea, "in-call")
        assert talking(bea)["codec"].lower() == "audio/opus/48000"
        cai.evaluate("() => window.centrexPhone.transfer('102')")
        established(target)
        state(cai, "registered")  # the transferor's part ended; 104 now talks with 102
        time.sleep(3)
        got = talking(bea)
        assert got["codec"].lower() == "audio/opus/48000", got  # 104's leg kept Opus
        before = {m["codec"].lower(): m for m in the_call(pbx, "104")["media"]}
        assert sorted(before) == ["opus", "pcmu"], before  # Opus on 104's leg, PCMU on 102's
        time.sleep(2)
        after = {m["codec"].lower(): m for m in the_call(pbx, "104")["media"]}
        # every packet crosses: what 104 sent (Opus) left toward 102 (PCMU), and back
        sent_up = after["opus"]["packets_in"] - before["opus"]["packets_in"]
        relayed_up = after["pcmu"]["packets_out"] - before["pcmu"]["packets_out"]
        sent_down = after["pcmu"]["packets_in"] - before["pcmu"]["packets_in"]
        relayed_down = after["opus"]["packets_out"] - before["opus"]["packets_out"]
        assert sent_up > 50, (before, after)
        assert sent_down > 50, (before, after)
        assert abs(relayed_up - sent_up) <= 5, (before, after)
        assert abs(relayed_down - sent_down) <= 5, (before, after)
        assert "failed on a packet" not in pbx.log()
        heard = remote_peak(bea)
        assert abs(heard["hz"] - PHONE_HZ) < 30, heard  # PCMU -> Opus
        bea.evaluate("() => window.centrexPhone.hangup()")
        assert target.wait_hung_up(timeout=20), target.log()
        state(bea, "registered")
    frequency, level = dominant_frequency(target.recordings()[-1])
    assert abs(frequency - BEA_HZ) < 20, (frequency, level)  # Opus -> PCMU
    assert level > 500, (frequency, level)
    bea.close()
    cai.close()
