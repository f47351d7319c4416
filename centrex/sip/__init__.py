"""Centrex SIP core: pure, sans-I/O protocol code (DESIGN.md §3 "The SIP core's shape")."""

from centrex.sip.errors import SdpParseError, SipError, SipParseError, TransactionError
from centrex.sip.message import Headers, Message, Request, Response, parse_message
from centrex.sip.uri import URI, parse_uri

__all__ = [
    "URI",
    "Headers",
    "Message",
    "Request",
    "Response",
    "SdpParseError",
    "SipError",
    "SipParseError",
    "TransactionError",
    "parse_message",
    "parse_uri",
]
