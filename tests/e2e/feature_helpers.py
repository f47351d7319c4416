"""Small helpers shared by the e2e feature tests (attended transfer, park time-out, ring
strategies, lists, cross-tenant attempts) on top of test_calls.py's `CallPbx` and phones."""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

from tests.e2e.test_calls import CallPbx
from tests.peers.phone import Phone


def legs_of(pbx: CallPbx, cdr_id: int) -> list[dict[str, Any]]:
    """The CDR's legs in order, read from the server's SQLite file (no CLI or API lists
    legs yet)."""
    with sqlite3.connect(pbx.directory / "data" / "centrex.db") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT leg_index, peer, answered_at, ended_at, disposition, hangup_cause, "
            "transferred_by FROM cdr_legs WHERE cdr_id = ? ORDER BY id",
            (cdr_id,),
        ).fetchall()
    return [dict(r) for r in rows]


def call_id_of_current_call(p: Phone) -> str:
    """The SIP Call-ID of the phone's current call (baresip's `callstat` prints `id=`)."""
    text = p.command("callstat")
    match = re.search(r"\bid=([^\s\\]+)", text)
    assert match, text
    return match.group(1)


def active_calls(p: Phone) -> int:
    """How many calls the phone has (baresip's `listcalls`)."""
    text = p.command("listcalls")
    match = re.search(r"Active calls \((\d+)\)", text)
    assert match, text
    return int(match.group(1))


def wait_count(p: Phone, text: str, count: int, timeout: float = 20.0) -> bool:
    """The phone's log holds `text` at least `count` times (a second incoming call, ...)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.log().count(text) >= count:
            return True
        time.sleep(0.1)
    return False
