"""Defect 5 of issue 11: every log line read `tenant=- call=-`. A call's log lines (and those
of the tasks it spawns: timers, apps, features) carry its tenant domain and Call-ID."""

from __future__ import annotations

import logging

from centrex.logs import ContextFilter
from tests.calls.harness import TENANT, Harness


class Captured(logging.Handler):
    """Records (tenant, call id, message) of centrex.calls lines, through the real filter."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.lines: list[tuple[str, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.tenant, record.call_id, record.getMessage()))  # type: ignore[attr-defined]


async def test_a_calls_log_lines_carry_its_tenant_and_call_id(h: Harness) -> None:
    captured = Captured()
    logger = logging.getLogger("centrex.calls")
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(captured)
    try:
        await h.register("101")
        call = h["101"].invite("600")  # no such extension: refused with a logged reason
        await h.settle()
        # a timer of that tenant's call: ring 102 unanswered until the ring timeout
        await h.register("102")
        ringing = h["101"].invite("102")
        await h.settle()
        await h.advance(h.b2bua.settings.ring_timeout + 1)
        await h.settle()
    finally:
        logger.removeHandler(captured)
        logger.setLevel(old_level)
    assert call.status is not None
    assert call.status >= 400
    assert ringing.status is not None
    assert ringing.status >= 400
    lines = [line for line in captured.lines if line[0] != "-" or line[1] != "-"]
    assert lines, f"no call log line carried a context: {captured.lines}"
    assert all(tenant == TENANT for tenant, _, _ in lines), lines
    call_ids = {call_id for _, call_id, _ in lines}
    assert ringing.call_id in call_ids, lines
    untagged = [line for line in captured.lines if line[0] == "-"]
    assert not untagged, f"call log lines without their tenant: {untagged}"
