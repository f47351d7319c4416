"""Typed, frozen events the SIP endpoint hands to its user (DESIGN.md §4 habit 6).

The transaction user (registrar, B2BUA) drains them with `SipEndpoint.next_event()`. Each event
names the transaction it belongs to, so the user can answer with `send_response` or match a
response to the request it sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A new request (or an ACK for a 2xx, with `transaction=None`) for the TU (§17.2)."""

    request: Request
    transaction: ServerKey | None
    source: Address
    transport: str


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """A response to a request we sent; `transaction=None` for a stray 2xx retransmission to
    an INVITE whose client transaction has ended (the TU must ACK it again, §13.2.2.4)."""

    response: Response
    transaction: ClientKey | None
    request: Request | None


@dataclass(frozen=True, slots=True)
class RequestCancelled:
    """A CANCEL matched a pending INVITE (§9.2): the endpoint answered the CANCEL with 200; the
    TU should answer the INVITE with 487 Request Terminated."""

    transaction: ServerKey
    cancel: Request


@dataclass(frozen=True, slots=True)
class TransactionTimeout:
    """Timer B, F (no response) or H (no ACK) fired (§17.1.1.2, §17.1.2.2, §17.2.1)."""

    transaction: ClientKey | ServerKey
    request: Request


@dataclass(frozen=True, slots=True)
class TransportError:
    """The transport reported it could not deliver a message of this transaction (§17.1.4)."""

    transaction: ClientKey | ServerKey
    request: Request


Event = RequestReceived | ResponseReceived | RequestCancelled | TransactionTimeout | TransportError
