"""Domain errors shared by every layer above the SIP core.

Each error has a stable `error_id` (used as the problem+json `error_id` by the API and printed by
the CLI), an HTTP-like `status`, and optionally the `field` of the input that caused it.
"""

from __future__ import annotations


class CentrexError(Exception):
    """Base of all expected, user-facing errors."""

    status = 400
    error_id = "bad-request"

    def __init__(self, message: str, *, error_id: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if error_id is not None:
            self.error_id = error_id
        self.field = field


class ValidationFailed(CentrexError):
    """Input that is well-formed but not acceptable (wrong length, not E.164, ...)."""

    status = 422
    error_id = "validation-failed"


class NotFound(CentrexError):
    """The object does not exist *in the caller's scope* (another tenant's object included)."""

    status = 404
    error_id = "not-found"


class Conflict(CentrexError):
    """The object would collide with an existing one (duplicate domain, number taken, ...)."""

    status = 409
    error_id = "conflict"


class Forbidden(CentrexError):
    """The caller is known but its role does not allow the action."""

    status = 403
    error_id = "forbidden"
