"""Transaction keys: matching messages to transactions (RFC 3261 §17.1.3, §17.2.3).

Server side: a request whose top Via branch starts with the magic cookie `z9hG4bK` matches on
(branch, sent-by, method), where an ACK matches the INVITE it acknowledges and a CANCEL is its
own transaction (its INVITE is found with `invite_key_for_cancel`). Requests without the cookie
come from RFC 2543 elements and match on Request-URI, From tag, Call-ID, CSeq number, top Via
and method (§17.2.3 last paragraphs; the To tag is left out, so an ACK finds its INVITE
without our having to remember the tag we chose).

Client side: a response matches on (top Via branch, CSeq method) (§17.1.3).
"""

from __future__ import annotations

from typing import NamedTuple

from centrex.sip.builders import MAGIC_COOKIE
from centrex.sip.message import Request, Response


class ServerKey(NamedTuple):
    """Key of a server transaction."""

    branch: str  # the RFC 3261 branch, or "" for RFC 2543 matching
    sent_by: str
    method: str
    legacy: tuple[str, ...] = ()  # RFC 2543 fields when branch == ""


class ClientKey(NamedTuple):
    """Key of a client transaction: branch we generated + method."""

    branch: str
    method: str


def _sent_by(request: Request) -> str:
    via = request.top_via
    if via is None:
        return ""
    host = via.host.lower()
    return f"{host}:{via.port}" if via.port is not None else host


def server_key(request: Request, method: str | None = None) -> ServerKey | None:
    """Key of the server transaction `request` belongs to (None without a Via)."""
    via = request.top_via
    if via is None:
        return None
    method = method or ("INVITE" if request.method == "ACK" else request.method)
    branch = via.branch or ""
    if branch.startswith(MAGIC_COOKIE):
        return ServerKey(branch, _sent_by(request), method)
    from_ = request.from_
    cseq = request.cseq
    legacy = (
        request.uri.aor() + str(request.uri.params),
        (from_.tag or "") if from_ else "",
        request.call_id or "",
        str(cseq.number) if cseq else "",
        str(via),
    )
    return ServerKey("", _sent_by(request), method, legacy)


def invite_key_for_cancel(cancel: Request) -> ServerKey | None:
    """Key of the INVITE server transaction a CANCEL refers to (§9.2)."""
    return server_key(cancel, method="INVITE")


def client_key(message: Request | Response) -> ClientKey | None:
    """Key of the client transaction for our request or a response to it (§17.1.3)."""
    via = message.top_via
    cseq = message.cseq
    if via is None or cseq is None or not via.branch:
        return None
    method = cseq.method
    if isinstance(message, Request):
        method = message.method
    # the ACK of a non-2xx final belongs to the INVITE client transaction
    return ClientKey(via.branch, "INVITE" if method == "ACK" else method)
