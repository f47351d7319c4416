"""Framing of SIP messages on stream transports (RFC 3261 §18.3, RFC 5626 §3.5.1).

On TCP/TLS a message ends where its Content-Length says, so the framer only needs the header
section: bytes go in, whole messages come out as bytes (to be handed to `parse_message` or the
endpoint). CRLFs between messages are ignored (§7.5); a double CRLF is an RFC 5626 keep-alive
"ping" that the transport answers with a single CRLF "pong", so pings are counted.

A stream cannot resynchronise after a framing error, so `feed` raises `SipParseError` and the
transport closes the connection. Datagram framing lives in `message.parse_message`.
"""

from __future__ import annotations

from centrex.sip.errors import SipParseError
from centrex.sip.grammar import WSP, header_key, parse_uint
from centrex.sip.message import MAX_MESSAGE_SIZE, decode_head


class StreamFramer:
    """Incremental framer: `feed(bytes) -> list[bytes]`, one item per complete message."""

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self._buffer = bytearray()
        self._max_size = max_size
        self._pings = 0
        # how far the search for the blank line has got, so a peer trickling bytes one at a
        # time costs linear, not quadratic, work
        self._searched = 0
        self._pending_total: int | None = None

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the complete messages now available, in order."""
        self._buffer.extend(data)
        messages: list[bytes] = []
        while True:
            if self._pending_total is None:
                self._skip_crlf()
                if not self._buffer:
                    break
                total = self._frame()
                if total is None:
                    break
                self._pending_total = total
            total = self._pending_total
            if len(self._buffer) < total:
                break
            messages.append(bytes(self._buffer[:total]))
            del self._buffer[:total]
            self._pending_total = None
            self._searched = 0
        return messages

    def _frame(self) -> int | None:
        """Total length of the message at the head of the buffer, once its headers are in."""
        buf = self._buffer
        start = max(0, self._searched - 3)
        crlf = buf.find(b"\r\n\r\n", start)
        lf = buf.find(b"\n\n", start)
        if crlf >= 0 and (lf < 0 or crlf <= lf):
            head_end, body_start = crlf, crlf + 4
        elif lf >= 0:
            head_end, body_start = lf, lf + 2
        else:
            self._searched = len(buf)
            if len(buf) > self._max_size:
                raise SipParseError("header section too large")
            return None
        if head_end > self._max_size:
            raise SipParseError("header section too large")
        length = _content_length(decode_head(bytes(buf[:head_end])))
        total = body_start + length
        if total > self._max_size:
            raise SipParseError("message too large")
        return total

    def _skip_crlf(self) -> None:
        buf = self._buffer
        i = 0
        while True:
            if buf[i : i + 4] == b"\r\n\r\n":
                self._pings += 1
                i += 4
            elif len(buf) - i < 4 and b"\r\n\r\n".startswith(bytes(buf[i:])) and i < len(buf):
                break  # maybe the first half of a ping: wait for the next bytes
            elif buf[i : i + 2] == b"\r\n":
                i += 2
            elif buf[i : i + 1] == b"\n":
                i += 1
            else:
                break
        if i:
            del buf[:i]
            self._searched = 0

    def take_pings(self) -> int:
        """Number of CRLFCRLF keep-alives seen since the last call (each wants a CRLF pong)."""
        pings, self._pings = self._pings, 0
        return pings

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a message."""
        return len(self._buffer)


def _content_length(head: str) -> int:
    """Content-Length of a header section; missing means 0 on a stream (§18.3 leniency:
    the RFC requires it, a message without one is taken to have no body)."""
    found: set[int] = set()
    for line in head.split("\n")[1:]:
        colon = line.find(":")
        if colon <= 0 or line[0] in WSP:
            continue
        if header_key(line[:colon].rstrip(WSP)) == "content-length":
            found.add(parse_uint(line[colon + 1 :].rstrip("\r"), "Content-Length"))
    if len(found) > 1:
        raise SipParseError("multiple Content-Length values")
    return found.pop() if found else 0
