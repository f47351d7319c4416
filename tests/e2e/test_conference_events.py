"""Conference events on the events WebSocket of a real `centrex serve` (issue 13 item 2): a
tenant admin of ACME subscribed to /api/v1/events sees 101 join room 800, its mute and unmute
through the REST API while the call is live, 102 join and leave, and the room end when the last
one hangs up; SMALL's admin, subscribed at the same time, sees none of it."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.test_calls import ACME, SMALL, established, phone, registered
from tests.e2e.test_conference import (
    TONES,
    ConferencePbx,
    api,
    room_id,
    wait_participants,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConferencePbx]:
    server = ConferencePbx(tmp_path_factory.mktemp("conference-events"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def admin_token(pbx: ConferencePbx, domain: str) -> str:
    made = pbx.cli("token", "create", "--role", "tenant-admin", "--tenant", domain)
    return str(made["token"])


@contextlib.contextmanager
def subscribe(pbx: ConferencePbx, token: str) -> Iterator[ClientConnection]:
    with connect(f"ws://127.0.0.1:{pbx.http}/api/v1/events?token={token}") as ws:
        assert json.loads(ws.recv(timeout=10)) == {"kind": "ready"}
        yield ws


def conference_events(ws: ClientConnection, until: str, timeout: float = 30.0) -> list[Any]:
    """(state, caller, members) of the conference events received until one in state `until`."""
    seen: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        if event.get("kind") == "conference":
            seen.append((event["state"], event["caller"], event["members"]))
            if event["state"] == until:
                break
    return seen


def test_join_mute_leave_and_end_reach_the_tenants_admin_only(
    pbx: ConferencePbx, tmp_path: Path
) -> None:
    acme, small = admin_token(pbx, ACME), admin_token(pbx, SMALL)
    room = room_id(pbx, acme, "800")
    with (
        subscribe(pbx, acme) as watcher,
        subscribe(pbx, small) as outsider,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as p101,
        phone(pbx, tmp_path, "102", ACME, TONES["102"]) as p102,
    ):
        for p in (p101, p102):
            registered(p)
        p101.command("dial", f"sip:800@{ACME}")
        established(p101)
        assert conference_events(watcher, "joined") == [("joined", "101", 1)]
        pid = wait_participants(pbx, acme, room, 1)[0]["id"]
        api(pbx, acme, "POST", f"/api/v1/conferences/{room}/participants/{pid}/mute")
        assert conference_events(watcher, "muted") == [("muted", "101", 1)]
        assert wait_participants(pbx, acme, room, 1)[0]["muted"] is True
        api(pbx, acme, "POST", f"/api/v1/conferences/{room}/participants/{pid}/unmute")
        assert conference_events(watcher, "unmuted") == [("unmuted", "101", 1)]
        p102.command("dial", f"sip:800@{ACME}")
        established(p102)
        assert conference_events(watcher, "joined") == [("joined", "102", 2)]
        p102.command("hangup")
        assert conference_events(watcher, "left") == [("left", "102", 1)]
        p101.command("hangup")
        assert conference_events(watcher, "ended") == [("left", "101", 0), ("ended", "", 0)]
        assert conference_events(outsider, "ended", timeout=2) == []  # SMALL sees nothing
