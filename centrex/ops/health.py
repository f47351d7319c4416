"""Readiness checks behind /api/v1/health: is the database answering, is SIP listening?

A load balancer or an orchestrator takes a node out of service on a 503, so each check must be
quick and honest: the database check runs `SELECT 1` under a short timeout (a database that
hangs is as down as one that refuses), the SIP check asks the transports which listeners are
open. Checks run concurrently; the answer names every check with its status, and what failed.
Details shown to the caller are short (an exception's class, a transport's address), never a
connection string; the full error goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from centrex.data.db import Database
from centrex.transport import Address, TransportKind

log = logging.getLogger(__name__)

OK = "ok"
FAILING = "failing"


class CheckFailed(Exception):
    """A check's verdict: the component is not usable (the message says why, briefly)."""


# A check returns a short detail when healthy and raises `CheckFailed` when not.
Check = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str
    detail: str | None = None


class DatabaseCheck:
    """`SELECT 1` on a pooled connection, within `timeout` seconds."""

    def __init__(self, database: Database, timeout: float = 2.0) -> None:
        self._database = database
        self._timeout = timeout

    async def __call__(self) -> str | None:
        try:
            async with asyncio.timeout(self._timeout):
                async with self._database.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except TimeoutError as exc:
            raise CheckFailed(f"no answer within {self._timeout:g} s") from exc
        except (SQLAlchemyError, OSError) as exc:
            log.warning("health: database check failed: %s", exc)
            raise CheckFailed(f"database unreachable ({type(exc).__name__})") from exc
        return None


class Listeners(Protocol):
    """What the SIP check reads: `centrex.transport.Transports` satisfies it."""

    def listening(self) -> dict[TransportKind, Address]: ...


class SipListenerCheck:
    """Healthy while every `required` transport has an open listener (UDP and TCP are the ones
    RFC 3261 §18 makes mandatory; TLS and WebSocket are optional and only reported)."""

    def __init__(
        self,
        transports: Listeners,
        required: Iterable[TransportKind] = (TransportKind.UDP, TransportKind.TCP),
    ) -> None:
        self._transports = transports
        self._required = tuple(required)

    async def __call__(self) -> str | None:
        open_ = self._transports.listening()
        missing = [kind.value for kind in self._required if kind not in open_]
        if missing:
            raise CheckFailed("not listening on " + ", ".join(missing))
        return ", ".join(f"{kind.value} {host}:{port}" for kind, (host, port) in open_.items())


class HealthChecks:
    """Named checks run together; healthy when all pass (none: healthy, a bare liveness)."""

    def __init__(self, checks: Mapping[str, Check] | None = None) -> None:
        self.checks = dict(checks or {})

    async def run(self) -> tuple[bool, dict[str, CheckResult]]:
        names = list(self.checks)
        outcomes = await asyncio.gather(
            *(self.checks[name]() for name in names), return_exceptions=True
        )
        results: dict[str, CheckResult] = {}
        for name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, CheckFailed):
                results[name] = CheckResult(FAILING, str(outcome))
            elif isinstance(outcome, BaseException):
                # A check with a bug must still answer 503, not crash the probe: logged whole.
                log.error("health check %s raised", name, exc_info=outcome)
                results[name] = CheckResult(FAILING, f"check error ({type(outcome).__name__})")
            else:
                results[name] = CheckResult(OK, outcome)
        return all(r.status == OK for r in results.values()), results
