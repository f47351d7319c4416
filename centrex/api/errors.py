"""RFC 9457 problem details for every error the API gives, with a stable `error_id`.

Domain errors (`centrex.errors`), request validation, unknown routes and unexpected failures all
leave as `application/problem+json`, so a client needs one error parser. A validation problem
names the offending `field` (dotted path of the first error) and lists every error in `errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from centrex.errors import CentrexError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://centrex.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ValidationItem(BaseModel):
    """One failed check of the request."""

    field: str
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details plus Centrex's stable `error_id` and the `field` at fault."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    error_id: str
    field: str | None = None
    errors: list[ValidationItem] | None = None


def problem_response(
    request_path: str,
    status: int,
    error_id: str,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response (also used by middleware, outside FastAPI's handlers)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + error_id,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request_path,
        "error_id": error_id,
        "field": field,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "number")` → `number`; `("query", "limit")` → `limit`; header names as sent."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _centrex_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CentrexError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(
        request.url.path, exc.status, exc.error_id, exc.message, field=exc.field, headers=headers
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _location(err.get("loc", ())),
            "message": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request", "type": ""}
    status = 422
    error_id = "validation-failed"
    if first["type"] == "json_invalid":
        status, error_id, first["field"] = 400, "invalid-json", "body"
    elif first["type"] == "extra_forbidden":
        error_id = "unknown-field"
    return problem_response(
        request.url.path,
        status,
        error_id,
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_id = {404: "not-found", 405: "method-not-allowed", 401: "unauthenticated"}.get(
        exc.status_code, "http-error"
    )
    return problem_response(
        request.url.path, exc.status_code, error_id, str(exc.detail), headers=exc.headers
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(request.url.path, 500, "internal-error", "unexpected server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CentrexError, _centrex_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def _problem_content(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# Documented on every operation so clients (and the schemathesis fuzz) know the error shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_content("Bad request"),
    401: _problem_content("No valid token or session"),
    403: _problem_content("Role does not allow this"),
    404: _problem_content("Not found in the caller's scope"),
    409: _problem_content("Conflict with an existing object"),
    413: _problem_content("Body larger than 1 MiB"),
    422: _problem_content("Invalid input; `field` names the culprit"),
    429: _problem_content("Too many requests"),
}
