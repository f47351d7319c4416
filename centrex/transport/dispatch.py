"""Routing endpoint events to the transaction users, and the server's own OPTIONS answer.

The `RequestDispatcher` is the `EventHandler` the transport driver calls: each new request goes
to the handler registered for its method (REGISTER: the registrar; INVITE, BYE...: the call
layer once it registers them). Asynchronous handlers run as tasks, tracked so none is lost.
A method without a handler is answered 405 with `Allow` (RFC 3261 §8.2.1); OPTIONS addressed
to the server is answered 200 with Allow, Accept and Supported (§11.2). Responses, timeouts and
transport errors go to the `other` handler (the call layer's client transactions).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from centrex.sip.builders import build_response, generate_tag
from centrex.sip.events import Event, RequestCancelled, RequestReceived
from centrex.sip.matching import ServerKey
from centrex.sip.message import Response

log = logging.getLogger(__name__)


class Respond(Protocol):
    """How the dispatcher answers a request: the driver's `send_response`."""

    def __call__(self, response: Response, transaction: ServerKey | None = None) -> None: ...


RequestHandler = Callable[[RequestReceived], Awaitable[None] | None]
OtherHandler = Callable[[Event], None]
ACCEPT = "application/sdp"


class RequestDispatcher:
    """Method -> handler routing of `RequestReceived` events."""

    def __init__(self, respond: Respond, supported: tuple[str, ...] = ()) -> None:
        self._respond = respond
        self._handlers: dict[str, RequestHandler] = {"OPTIONS": self.answer_options}
        self._other: OtherHandler | None = None
        self.supported = supported
        self._tasks: set[asyncio.Future[None]] = set()

    def register(self, method: str, handler: RequestHandler) -> None:
        """Route requests of `method` to `handler` (replacing any earlier one)."""
        self._handlers[method.upper()] = handler

    def set_other(self, handler: OtherHandler) -> None:
        """Where responses, cancels, timeouts and transport errors go."""
        self._other = handler

    @property
    def allow(self) -> list[str]:
        """Methods we accept, for `Allow` (§20.5); ACK and CANCEL are handled by the core."""
        methods = set(self._handlers) | {"ACK"}
        if "INVITE" in methods:
            methods.add("CANCEL")
        return sorted(methods)

    def __call__(self, event: Event) -> None:
        if not isinstance(event, RequestReceived):
            if self._other is not None and not (
                isinstance(event, RequestCancelled) and "INVITE" not in self._handlers
            ):
                self._other(event)
            return
        method = event.request.method
        handler = self._handlers.get(method)
        if handler is None:
            if method != "ACK" and event.transaction is not None:
                response = build_response(
                    event.request,
                    405,
                    "Method Not Allowed",
                    to_tag=generate_tag(),
                    headers=[("Allow", ", ".join(self.allow))],
                )
                self._respond(response, event.transaction)
            return
        result = handler(event)
        if result is not None:
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("request handler failed", exc_info=task.exception())

    def support(self, *tags: str) -> None:
        """Add option tags to the `Supported` of the OPTIONS answer (the call layer's)."""
        self.supported = tuple(dict.fromkeys((*self.supported, *tags)))

    def answer_options(self, event: RequestReceived) -> None:
        """OPTIONS to the server (§11.2): 200 with what we accept."""
        headers = [("Allow", ", ".join(self.allow)), ("Accept", ACCEPT)]
        headers.append(("Supported", ", ".join(self.supported)))
        response = build_response(event.request, 200, "OK", to_tag=generate_tag(), headers=headers)
        self._respond(response, event.transaction)

    async def drain(self) -> None:
        """Wait for running handlers (at shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)
