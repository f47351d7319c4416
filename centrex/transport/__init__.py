"""Centrex transports: asyncio UDP, TCP, TLS and WebSocket edges of the SIP core (DESIGN.md §3).

`Transports` owns the sockets, `EndpointDriver` moves bytes between them and the sans-I/O
`SipEndpoint`, and `RequestDispatcher` hands each new request to the transaction user that
registered its method (the registrar, the call layer). Nothing here knows about registrations
or calls.
"""

from centrex.transport.connections import Address, Flow, SourceGuard, TransportKind
from centrex.transport.dispatch import RequestDispatcher
from centrex.transport.driver import EndpointDriver, EventHandler
from centrex.transport.manager import ListenAddress, Transports

__all__ = [
    "Address",
    "EndpointDriver",
    "EventHandler",
    "Flow",
    "ListenAddress",
    "RequestDispatcher",
    "SourceGuard",
    "TransportKind",
    "Transports",
]
