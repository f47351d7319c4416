"""Errors of the SIP core, each carrying its wire meaning (DESIGN.md §4 habit 5).

`SipParseError` is the only exception the message parser lets out, whatever the bytes: callers on
the network path catch exactly one type. `SipError` is a protocol error the endpoint answers with
a response (RFC 3261 §21 status codes), so it carries the status, the reason phrase and any extra
header fields the answer needs (for example `Unsupported` on a 420, RFC 3261 §8.2.2.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from centrex.sip.message import Message


class SipParseError(ValueError):
    """Bytes that are not a SIP message (RFC 3261 §7, §25 grammar).

    `partial` is the message as far as it could be framed when the failure was in one header
    field's value (a bad CSeq, a negative Content-Length...): the endpoint uses it to answer 400
    when Via/From/To/Call-ID/CSeq are still usable (RFC 3261 §8.2.6, RFC 4475 §3.1.2).
    """

    def __init__(self, reason: str, partial: Message | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.partial = partial


class SipError(Exception):
    """A protocol error answered on the wire with `status` and `reason` (RFC 3261 §21)."""

    def __init__(
        self,
        status: int,
        reason: str,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.headers = headers

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SipError):
            return NotImplemented
        return (self.status, self.reason, self.headers) == (
            other.status,
            other.reason,
            other.headers,
        )

    def __hash__(self) -> int:
        return hash((self.status, self.reason, self.headers))


class SdpParseError(ValueError):
    """Text that is not an SDP session description (RFC 8866 §5 grammar)."""


class TransactionError(Exception):
    """An input a transaction state machine has no move for (RFC 3261 §17 tables).

    Raised by the state tables themselves; the endpoint turns it into a dropped message and a
    counter, never into an exception for its caller.
    """


class DigestError(ValueError):
    """An Authorization/WWW-Authenticate value that cannot be understood (RFC 7616 §3.4)."""
