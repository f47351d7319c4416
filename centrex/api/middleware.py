"""ASGI middleware: a cap on request bodies, `Idempotency-Key` replay for POSTs, and the log
context of each request.

The first two sit below FastAPI so they see raw bytes: the cap answers 413 before any JSON is
parsed, and idempotency replays exactly the bytes first sent (status, body, Location) without
running the route again. Every request starts with `tenant=-` in its log context; the tenant
scope dependency (`api.auth.tenant_scope`) sets the tenant's domain once the principal's reach
is checked, and the middleware restores the previous values when the request ends, so one
request's tenant never shows up in the next one's lines.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from centrex.api.auth import SESSION_COOKIE, authenticate
from centrex.api.errors import problem_response
from centrex.api.services import ApiServices
from centrex.data.models import IdempotencyRecord
from centrex.errors import CentrexError
from centrex.logs import bind

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class ApiMiddleware:
    """Body cap for every request with a body; idempotent POSTs under /api/."""

    def __init__(self, app: ASGIApp, services: ApiServices) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        with bind(tenant="-", call_id="-"):
            await self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.services.max_body_bytes
        path = scope["path"]
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        key = _header(scope, b"idempotency-key")
        if scope["method"] == "POST" and key is not None and path.startswith("/api/"):
            await self._idempotent(scope, replay, send, key, body)
            return
        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            scope["path"],
            413,
            "body-too-large",
            f"request body is larger than {self.services.max_body_bytes} bytes",
            field="body",
        )
        await response(scope, receive, send)

    async def _still_authenticated(self, scope: Scope) -> bool:
        """Whether the request's credential still resolves to a principal (as the route's own
        dependency would check it: token revocation and expiry, session, CSRF)."""
        async with self.services.database.session() as session:
            try:
                await authenticate(
                    session,
                    self.services,
                    authorization=_header(scope, b"authorization"),
                    cookie=_cookie(scope, SESSION_COOKIE),
                    method=scope["method"],
                    csrf_header=_header(scope, b"x-csrf-token"),
                )
            except CentrexError:
                return False
        return True

    async def _idempotent(
        self, scope: Scope, receive: Receive, send: Send, key: str, body: bytes
    ) -> None:
        """Same key + same principal → the stored answer; another request under it → 422."""
        credential = _header(scope, b"authorization") or _cookie(scope, SESSION_COOKIE)
        if not credential or not key or len(key) > MAX_KEY_LENGTH:
            if key == "" or len(key) > MAX_KEY_LENGTH:
                response = problem_response(
                    scope["path"],
                    422,
                    "invalid-idempotency-key",
                    f"Idempotency-Key must have 1 to {MAX_KEY_LENGTH} characters",
                    field="Idempotency-Key",
                )
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        principal = hashlib.sha256(credential.encode()).hexdigest()
        tenant = _header(scope, b"centrex-tenant") or ""
        fingerprint = (
            f"{scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
            f"#{tenant}#{hashlib.sha256(body).hexdigest()[:32]}"
        )[:2000]
        database = self.services.database
        async with database.session() as session:
            record = await session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                )
            )
        if record is not None and not await self._still_authenticated(scope):
            # a revoked or expired token, or a logged-out session, never gets a stored answer
            # (it may hold a secret such as a new token): the request runs and gets its 401
            log.info("idempotency replay refused: the credential no longer authenticates")
            await self.app(scope, receive, send)
            return
        if record is not None:
            if record.path != fingerprint:
                response = problem_response(
                    scope["path"],
                    422,
                    "idempotency-key-reused",
                    "this Idempotency-Key was used for a different request",
                    field="Idempotency-Key",
                )
                await response(scope, receive, send)
                return
            headers = [
                (b"content-type", record.content_type.encode("latin-1")),
                (b"idempotent-replayed", b"true"),
            ]
            if record.location:
                headers.append((b"location", record.location.encode("latin-1")))
            encoded = record.body.encode()
            headers.append((b"content-length", str(len(encoded)).encode()))
            await send(
                {"type": "http.response.start", "status": record.status_code, "headers": headers}
            )
            await send({"type": "http.response.body", "body": encoded})
            return
        captured: dict[str, Any] = {"status": 0, "headers": [], "body": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        status = int(captured["status"])
        if status >= 500 or status in (401, 403, 429) or status == 0:
            return  # a failure the client may retry under the same key
        sent = {bytes(k).lower(): bytes(v).decode("latin-1") for k, v in captured["headers"]}
        try:
            async with database.transaction() as session:
                session.add(
                    IdempotencyRecord(
                        principal=principal,
                        key=key,
                        method="POST",
                        path=fingerprint,
                        status_code=status,
                        content_type=sent.get(b"content-type", ""),
                        location=sent.get(b"location"),
                        body=b"".join(captured["body"]).decode("utf-8", "replace"),
                    )
                )
        except IntegrityError:
            log.info("concurrent request stored idempotency key first")
