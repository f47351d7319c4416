"""Centrex SIP core: pure, sans-I/O protocol code (DESIGN.md §3 "The SIP core's shape").

The small public face: parse and build messages, URIs, SDP and offer/answer, digest
authentication, transactions and dialogs, and the `SipEndpoint` the transport drives::

    endpoint = SipEndpoint(supported=["path", "outbound"])
    # transport driver, per datagram (for TCP/TLS/WS first cut the stream with StreamFramer):
    endpoint.receive(data, (host, port), "UDP", now)
    for data, (host, port), transport in endpoint.datagrams_to_send():
        ...  # write to the socket / connection
    deadline = endpoint.next_deadline()  # re-arm one timer; on expiry: endpoint.handle_timer(now)
    # transaction user (registrar, B2BUA):
    while (event := endpoint.next_event()) is not None:
        if isinstance(event, RequestReceived) and event.transaction is not None:
            response = build_response(event.request, 200, to_tag=generate_tag())
            endpoint.send_response(response, now, event.transaction)
"""

from centrex.sip.builders import (
    build_ack,
    build_cancel,
    build_invite,
    build_notify,
    build_options,
    build_register,
    build_request,
    build_response,
    generate_branch,
    generate_call_id,
    generate_tag,
    make_via,
    validate_request,
)
from centrex.sip.dialog import Dialog, DialogId, DialogState
from centrex.sip.digest import (
    AuthResult,
    Challenge,
    Credentials,
    DigestServer,
    NonceCounter,
    answer_challenge,
    authenticated_retry,
    choose_challenge,
    compute_ha1,
    find_credentials,
    parse_challenge,
    parse_credentials,
)
from centrex.sip.endpoint import EndpointStats, SipEndpoint, response_target
from centrex.sip.errors import (
    DigestError,
    SdpParseError,
    SipError,
    SipParseError,
    TransactionError,
)
from centrex.sip.events import (
    Event,
    RequestCancelled,
    RequestReceived,
    ResponseReceived,
    TransactionTimeout,
    TransportError,
)
from centrex.sip.framing import StreamFramer
from centrex.sip.headers import Contact, CSeq, NameAddr, Via, parse_name_addr
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Headers, Message, Request, Response, parse_message
from centrex.sip.offer_answer import Codec, build_answer, build_offer, negotiated
from centrex.sip.sdp import SessionDescription, parse_sdp
from centrex.sip.timers import TimerConfig
from centrex.sip.uri import URI, parse_uri

__all__ = [
    "URI",
    "AuthResult",
    "CSeq",
    "Challenge",
    "ClientKey",
    "Codec",
    "Contact",
    "Credentials",
    "Dialog",
    "DialogId",
    "DialogState",
    "DigestError",
    "DigestServer",
    "EndpointStats",
    "Event",
    "Headers",
    "Message",
    "NameAddr",
    "NonceCounter",
    "Request",
    "RequestCancelled",
    "RequestReceived",
    "Response",
    "ResponseReceived",
    "SdpParseError",
    "ServerKey",
    "SessionDescription",
    "SipEndpoint",
    "SipError",
    "SipParseError",
    "StreamFramer",
    "TimerConfig",
    "TransactionError",
    "TransactionTimeout",
    "TransportError",
    "Via",
    "answer_challenge",
    "authenticated_retry",
    "build_ack",
    "build_answer",
    "build_cancel",
    "build_invite",
    "build_notify",
    "build_offer",
    "build_options",
    "build_register",
    "build_request",
    "build_response",
    "choose_challenge",
    "compute_ha1",
    "find_credentials",
    "generate_branch",
    "generate_call_id",
    "generate_tag",
    "make_via",
    "negotiated",
    "parse_challenge",
    "parse_credentials",
    "parse_message",
    "parse_name_addr",
    "parse_sdp",
    "parse_uri",
    "response_target",
    "validate_request",
]
