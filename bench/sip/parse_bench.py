"""Micro-benchmark of the SIP core's parser and serializer (one core, no I/O).

Run: .venv/bin/python bench/sip/parse_bench.py [--seconds 1.0]

Measures operations per second of `centrex.sip.parse_message` on three typical messages (an
INVITE with SDP as a softphone sends it, a REGISTER with digest credentials, a 200 OK to an
INVITE) and of serializing the parsed INVITE again, plus lazy header access that the call layer
does on each request (Via list, From/To, CSeq). Numbers are for docs/performance.md; tests never
assert on timing.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

from centrex.sip import parse_message

INVITE = (
    b"INVITE sip:102@acme.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK-524287-1---c81b2ee2f6e6e4a0\r\n"
    b"Max-Forwards: 70\r\n"
    b"Contact: <sip:101@127.0.0.1:5070;transport=udp>\r\n"
    b"To: <sip:102@acme.example.com>\r\n"
    b'From: "Alice" <sip:101@acme.example.com>;tag=9fxced76sl\r\n'
    b"Call-ID: 3848276298220188511@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Supported: replaces, norefersub, timer\r\n"
    b"User-Agent: baresip v1.0.0 (x86_64/linux)\r\n"
    b"Content-Length: 243\r\n\r\n"
    b"v=0\r\no=- 1234 5678 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 42000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
    b"a=rtcp:42001\r\n"
)
REGISTER = (
    b"REGISTER sip:acme.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK2394723\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:101@acme.example.com>\r\n"
    b"From: <sip:101@acme.example.com>;tag=4711\r\n"
    b"Call-ID: reg-93874@127.0.0.1\r\n"
    b"CSeq: 2 REGISTER\r\n"
    b"Contact: <sip:101@127.0.0.1:5070>;expires=600\r\n"
    b'Authorization: Digest username="101", realm="acme.example.com", nonce="MTcwMDAwMDAw'
    b'MDAwLjAwOmFiY2RlZg", uri="sip:acme.example.com", response="6629fae49393a05397450978507c'
    b'4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"\r\n'
    b"Content-Length: 0\r\n\r\n"
)
OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK74bf9;received=127.0.0.1;rport=5060\r\n"
    b"To: <sip:102@acme.example.com>;tag=8321234356\r\n"
    b'From: "Alice" <sip:101@acme.example.com>;tag=9fxced76sl\r\n'
    b"Call-ID: 3848276298220188511@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:102@127.0.0.1:5072>\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of `fn` over about `seconds` (bounded: at most 10 million calls)."""
    n = 0
    batch = 200
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline and n < 10_000_000:
        for _ in range(batch):
            fn()
        n += batch
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    invite = parse_message(INVITE)

    def access() -> object:
        message = parse_message(INVITE)
        return (message.vias, message.from_, message.to, message.cseq)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("parse INVITE with SDP (1 kB)", lambda: parse_message(INVITE)),
        ("parse REGISTER with Authorization", lambda: parse_message(REGISTER)),
        ("parse 200 OK", lambda: parse_message(OK)),
        ("parse INVITE + Via/From/To/CSeq", access),
        ("serialize the parsed INVITE", invite.serialize),
    ]
    print(f"# {platform.python_implementation()} {platform.python_version()}, one core")
    for name, fn in cases:
        per_second = rate(fn, args.seconds)
        print(f"{name:40s} {per_second:12,.0f}/s  {1e6 / per_second:7.1f} µs")


if __name__ == "__main__":
    main()
