"""Logging with the tenant and call in context, and a rate limit for junk from the network.

Every log line carries `tenant` and `call_id` from contextvars, so a line written deep in the SIP
core can be traced to its tenant without passing it around. Network junk is logged through
`RateLimitedLogger` so a flood of bad packets cannot flood the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

current_tenant: ContextVar[str] = ContextVar("current_tenant", default="-")
current_call_id: ContextVar[str] = ContextVar("current_call_id", default="-")


def _set(tenant: str | None, call_id: str | None) -> list[tuple[ContextVar[str], Token[str]]]:
    tokens: list[tuple[ContextVar[str], Token[str]]] = []
    if tenant is not None:
        tokens.append((current_tenant, current_tenant.set(tenant or "-")))
    if call_id is not None:
        tokens.append((current_call_id, current_call_id.set(call_id or "-")))
    return tokens


@contextmanager
def bind(tenant: str | None = None, call_id: str | None = None) -> Iterator[None]:
    """Log lines inside the block carry `tenant` and/or `call_id`; the previous values come
    back on exit, so a handler serving many requests or calls in one task never leaks one
    into the next. None leaves a field as it is; "" clears it to "-".

    Tasks created inside the block keep the values after it ends: asyncio copies the context
    when a task is created (PEP 567), so a call's timers and helpers log its id.
    """
    tokens = _set(tenant, call_id)
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def set_log_context(tenant: str | None = None, call_id: str | None = None) -> None:
    """Set the fields for the rest of the current task (its entry point, e.g. a call's task or
    a request once its tenant is known). A task works on its own copy of the context, so this
    never reaches the task that spawned it; outside a task prefer `bind`."""
    _set(tenant, call_id)


class ContextFilter(logging.Filter):
    """Adds `tenant` and `call_id` attributes to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.tenant = current_tenant.get()
        record.call_id = current_call_id.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Install one stderr handler with the context fields; idempotent."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if getattr(handler, "_centrex", False):
            return
    handler = logging.StreamHandler()
    handler._centrex = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [tenant=%(tenant)s call=%(call_id)s] %(message)s"
        )
    )
    root.addHandler(handler)


class RateLimitedLogger:
    """Logs at most `burst` lines per `interval` seconds per key; counts what it drops.

    Time comes in as an argument (`now`) so the pure SIP core can use it without reading a clock.
    """

    def __init__(self, logger: logging.Logger, burst: int = 10, interval: float = 10.0) -> None:
        self._logger = logger
        self._burst = burst
        self._interval = interval
        self._windows: dict[str, tuple[float, int]] = {}
        self.suppressed = 0

    def warning(self, key: str, now: float, msg: str, *args: object) -> None:
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self._interval:
            start, count = now, 0
        if count < self._burst:
            self._logger.warning(msg, *args)
        else:
            self.suppressed += 1
        self._windows[key] = (start, count + 1)
        if len(self._windows) > 10_000:
            self._windows.clear()
