"""The queue feature's board without a call: the line (first come, first served, a caller
whose offer rings lets the next one be offered) and the offer bookkeeping of `choose`."""

from __future__ import annotations

from datetime import UTC, datetime

from centrex.calls.features.queue import QueueConfig, QueueFeature
from centrex.calls.features.queue_strategies import AgentInfo
from centrex.data.db import Database

CONFIG = QueueConfig("500", "round-robin", 15, 0, 300, None, False, 20, 1,
                     (("102", 1), ("103", 1), ("104", 1)))  # fmt: skip


def _board() -> QueueFeature:
    return QueueFeature(Database("sqlite+aiosqlite://"), lambda: 0.0,
                        lambda: datetime(2026, 12, 3, tzinfo=UTC))  # fmt: skip


async def test_first_come_first_served_and_ringing_callers_let_the_next_through() -> None:
    board = _board()
    for token in ("c1", "c2", "c3"):
        board.enter(7, "500", token)
    assert [board.next_in_line(7, "500", t) for t in ("c1", "c2", "c3")] == [True, False, False]
    assert board.position(7, "500", "c3") == 3
    board.expect("c1", 7, CONFIG, row_id=1)  # c1's offer rings
    assert [board.next_in_line(7, "500", t) for t in ("c1", "c2", "c3")] == [True, True, False]
    board.leave(7, "500", "c1")
    assert board.position(7, "500", "c2") == 1
    assert board.next_in_line(8, "500", "c2") is False  # another tenant's line is another line
    assert board.position(8, "500", "c2") == 0


def test_choose_marks_agents_ringing_and_remembers_the_last_offered() -> None:
    board = _board()
    free = [AgentInfo("102", 0), AgentInfo("103", 1), AgentInfo("104", 2)]
    assert board.choose(7, CONFIG, free) == ("102",)
    assert board.choose(7, CONFIG, free[1:]) == ("103",)  # round-robin goes on after 102
    assert board.choose(8, CONFIG, free) == ("102",)  # tenant 8 has its own memory
