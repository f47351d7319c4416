"""SIP requests and responses: parse, inspect, serialize (RFC 3261 §7, §20, §25).

A message keeps its header fields as received: in order, with the original spelling of each
name (compact forms included), so what we forward or log is what the peer sent. Lookups are
case-insensitive and understand compact forms (§7.3.3). The header fields every layer needs
(Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, Expires, Content-Length) are parsed once,
when the message is parsed, so a broken one is a `SipParseError` at the door and the accessors
are cheap afterwards. Everything else is parsed on demand.

`serialize()` (also `bytes(msg)`) always writes a Content-Length matching the body (§20.14).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from centrex.sip.errors import SipParseError
from centrex.sip.grammar import (
    LIST_HEADERS,
    TOKEN_CHARS,
    WSP,
    canonical_name,
    header_key,
    is_token,
    parse_uint,
    split_commas,
)
from centrex.sip.headers import (
    MAX_DELTA,
    Contact,
    CSeq,
    NameAddr,
    Via,
    parse_contact,
    parse_cseq,
    parse_name_addr,
    parse_via,
)
from centrex.sip.uri import URI, parse_uri

MAX_MESSAGE_SIZE = 65536  # bytes; larger datagrams/messages are refused (RFC 3261 §18.1.1 MTU)
MAX_HEADERS = 256
_T = TypeVar("_T")


class Headers:
    """Ordered header fields with case-insensitive, compact-form-aware lookup."""

    __slots__ = ("_cache", "_items")

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str, str]] = [
            (name, header_key(name), value) for name, value in (items or [])
        ]
        self._cache: dict[str, Any] = {}

    def _changed(self, key: str) -> None:
        # accessors cache parsed values under the header key they come from
        self._cache.pop(key, None)

    def get(self, name: str) -> str | None:
        """Value of the first header field called `name`, or None."""
        key = header_key(name)
        for _, k, value in self._items:
            if k == key:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        """Values of every header field line called `name`, in order."""
        key = header_key(name)
        return [value for _, k, value in self._items if k == key]

    def get_list(self, name: str) -> list[str]:
        """Elements of a list header across all its lines, split on commas (§7.3.1)."""
        key = header_key(name)
        out: list[str] = []
        for _, k, value in self._items:
            if k == key:
                out.extend(split_commas(value) if key in LIST_HEADERS else [value.strip(WSP)])
        return out

    def count(self, name: str) -> int:
        """Number of header field lines called `name`."""
        key = header_key(name)
        return sum(1 for _, k, _v in self._items if k == key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter([(name, value) for name, _, value in self._items])

    def __len__(self) -> int:
        return len(self._items)

    def add(self, name: str, value: str) -> None:
        """Append a header field line."""
        key = header_key(name)
        self._items.append((name, key, value))
        self._changed(key)

    def add_first(self, name: str, value: str) -> None:
        """Insert a header field line before all others (a proxy's new Via, §16.6 step 8)."""
        key = header_key(name)
        self._items.insert(0, (name, key, value))
        self._changed(key)

    def set(self, name: str, value: str) -> None:
        """Replace the first line called `name` (keeping its spelling), dropping the others."""
        key = header_key(name)
        out: list[tuple[str, str, str]] = []
        done = False
        for item in self._items:
            if item[1] == key:
                if not done:
                    out.append((item[0], key, value))
                    done = True
                continue
            out.append(item)
        if not done:
            out.append((name, key, value))
        self._items = out
        self._changed(key)

    def remove(self, name: str) -> None:
        """Remove every line called `name`."""
        key = header_key(name)
        self._items = [item for item in self._items if item[1] != key]
        self._changed(key)

    def replace_first_value(self, name: str, value: str) -> None:
        """Replace the first element of a list header (used to rewrite the top Via)."""
        key = header_key(name)
        for index, (orig, k, old) in enumerate(self._items):
            if k == key:
                parts = split_commas(old) if key in LIST_HEADERS else [old]
                parts[0] = value
                self._items[index] = (orig, k, ", ".join(parts))
                self._changed(key)
                return
        raise KeyError(name)

    def copy(self) -> Headers:
        """An independent copy."""
        clone = Headers()
        clone._items = list(self._items)
        return clone


class Message:
    """What requests and responses share: version, header fields, body."""

    __slots__ = ("body", "headers", "truncated", "version")

    def __init__(
        self,
        headers: Headers | list[tuple[str, str]] | None = None,
        body: bytes = b"",
        version: str = "SIP/2.0",
    ) -> None:
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body = body
        self.version = version
        # True when Content-Length promised more octets than the datagram held (RFC 4475 clerr)
        self.truncated = False

    def start_line(self) -> str:
        """The first line, without CRLF."""
        raise NotImplementedError

    def _cached(self, key: str, compute: Callable[[], _T]) -> _T:
        cache = self.headers._cache
        if key in cache:
            return cast(_T, cache[key])
        value = compute()
        cache[key] = value
        return value

    # ---- accessors (RFC 3261 §20) -------------------------------------------------------
    @property
    def call_id(self) -> str | None:
        """Call-ID (§20.8), or None if absent."""
        return self._cached("call-id", lambda: _opt(self.headers.get("call-id"), _parse_call_id))

    @property
    def cseq(self) -> CSeq | None:
        """CSeq as (number, method) (§20.16), or None if absent."""
        return self._cached("cseq", lambda: _opt(self.headers.get("cseq"), parse_cseq))

    @property
    def from_(self) -> NameAddr | None:
        """From (§20.20) with its tag, or None if absent."""
        return self._cached("from", lambda: _opt(self.headers.get("from"), parse_name_addr))

    @property
    def to(self) -> NameAddr | None:
        """To (§20.39) with its tag, or None if absent."""
        return self._cached("to", lambda: _opt(self.headers.get("to"), parse_name_addr))

    @property
    def vias(self) -> list[Via]:
        """All Via values, topmost first (§20.42)."""
        return self._cached("via", lambda: [parse_via(v) for v in self.headers.get_list("via")])

    @property
    def top_via(self) -> Via | None:
        """The topmost Via, or None."""
        vias = self.vias
        return vias[0] if vias else None

    def replace_top_via(self, via: Via) -> None:
        """Rewrite the topmost Via value (received/rport stamping, §18.2.1), keeping the parsed
        Via list current without parsing it again."""
        vias = self.vias
        self.headers.replace_first_value("via", str(via))
        self.headers._cache["via"] = [via, *vias[1:]]

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards (§20.22: 0..255), or None if absent."""
        return self._cached(
            "max-forwards",
            lambda: _opt(self.headers.get("max-forwards"), _parse_max_forwards),
        )

    @property
    def contact(self) -> list[Contact]:
        """All Contact values (§20.10), `*` included as a wildcard Contact."""
        return self._cached(
            "contact", lambda: [parse_contact(v) for v in self.headers.get_list("contact")]
        )

    @property
    def expires(self) -> int | None:
        """Expires in seconds (§20.19), or None if absent."""
        return self._cached(
            "expires",
            lambda: _opt(self.headers.get("expires"), _parse_expires),
        )

    @property
    def route(self) -> list[NameAddr]:
        """Route values in order (§20.34)."""
        return [parse_name_addr(v) for v in self.headers.get_list("route")]

    @property
    def record_route(self) -> list[NameAddr]:
        """Record-Route values in order (§20.30)."""
        return [parse_name_addr(v) for v in self.headers.get_list("record-route")]

    @property
    def require(self) -> list[str]:
        """Option tags of Require (§20.32)."""
        return self.headers.get_list("require")

    @property
    def supported(self) -> list[str]:
        """Option tags of Supported (§20.37)."""
        return self.headers.get_list("supported")

    @property
    def content_type(self) -> str | None:
        """Content-Type value as written (§20.15), or None."""
        return _strip(self.headers.get("content-type"))

    @property
    def mime_type(self) -> str | None:
        """Content-Type media type without parameters, lower case (`application/sdp`)."""
        value = self.content_type
        if value is None:
            return None
        return value.split(";", 1)[0].strip(WSP).lower()

    @property
    def content_length(self) -> int | None:
        """Content-Length as received (§20.14), or None."""
        return self._cached(
            "content-length",
            lambda: _opt(self.headers.get("content-length"), _parse_content_length),
        )

    # ---- serialization ----------------------------------------------------------------
    def serialize(self) -> bytes:
        """Wire bytes with a Content-Length matching `body` (§7.4.1, §20.14)."""
        lines = [self.start_line()]
        length_written = False
        for name, key, value in self.headers._items:
            if key == "content-length":
                if not length_written:
                    lines.append(f"{name}: {len(self.body)}")
                    length_written = True
                continue
            lines.append(f"{name}: {value}")
        if not length_written:
            lines.append(f"Content-Length: {len(self.body)}")
        lines.append("")
        lines.append("")
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + self.body

    def __bytes__(self) -> bytes:
        return self.serialize()


class Request(Message):
    """A SIP request (§7.1)."""

    __slots__ = ("method", "uri")

    def __init__(
        self,
        method: str,
        uri: URI,
        headers: Headers | list[tuple[str, str]] | None = None,
        body: bytes = b"",
        version: str = "SIP/2.0",
    ) -> None:
        super().__init__(headers, body, version)
        self.method = method
        self.uri = uri

    def start_line(self) -> str:
        return f"{self.method} {self.uri} {self.version}"

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.uri} call-id={self.call_id!r}>"


class Response(Message):
    """A SIP response (§7.2)."""

    __slots__ = ("reason", "status")

    def __init__(
        self,
        status: int,
        reason: str = "",
        headers: Headers | list[tuple[str, str]] | None = None,
        body: bytes = b"",
        version: str = "SIP/2.0",
    ) -> None:
        super().__init__(headers, body, version)
        self.status = status
        self.reason = reason

    def start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason} call-id={self.call_id!r}>"


def _strip(value: str | None) -> str | None:
    return None if value is None else value.strip(WSP)


def _opt(value: str | None, parse: Callable[[str], _T]) -> _T | None:
    return None if value is None else parse(value)


def _parse_max_forwards(text: str) -> int:
    return parse_uint(text, "Max-Forwards", 255)


def _parse_content_length(text: str) -> int:
    return parse_uint(text, "Content-Length", MAX_MESSAGE_SIZE * 16)


def _check_version(version: str) -> None:
    # SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; any such version parses, and a request that
    # is not SIP/2.0 is answered 505 by validation (RFC 4475 "badvers").
    if len(version) < 7 or version[:4].upper() != "SIP/":
        raise SipParseError("bad SIP version")
    major, dot, minor = version[4:].partition(".")
    if not dot or not major.isdigit() or not minor.isdigit() or not version.isascii():
        raise SipParseError("bad SIP version")


def parse_start_line(line: str) -> Request | Response:
    """Parse a Request-Line or Status-Line (§7.1, §7.2) into an empty message."""
    if line[:4].upper() == "SIP/":
        version, sp, rest = line.partition(" ")
        _check_version(version)
        code, sp2, reason = rest.partition(" ")
        if not sp or len(code) != 3 or not code.isascii() or not code.isdigit():
            raise SipParseError("bad status code")
        status = int(code)
        if not 100 <= status <= 699:
            raise SipParseError("status code out of range")
        del sp2
        return Response(status, reason, version=version.upper())
    parts = line.split(" ")
    # RFC 4475 "lwsstart", "trws", "lwsruri", "ltgtruri": exactly three parts separated by one SP
    if len(parts) != 3 or not all(parts):
        raise SipParseError("bad request line")
    method, uri_text, version = parts
    if not is_token(method):
        raise SipParseError("bad method")
    _check_version(version)
    if "<" in uri_text or ">" in uri_text:
        raise SipParseError("Request-URI in angle brackets")
    return Request(method, parse_uri(uri_text), version=version.upper())


def build_message(head: str, body: bytes, truncated: bool = False) -> Request | Response:
    """Turn an already-framed header section (text) and body into a message.

    Shared by datagram parsing and the stream framer. Unfolds LWS (§7.3.1), checks header
    names, then parses the header fields every layer relies on.
    """
    if head.count("\r") != head.count("\r\n"):
        # a CR not followed by LF is neither a line end nor legal text (§25.1 TEXT-UTF8)
        raise SipParseError("bare CR in header section")
    lines = head.split("\n")
    msg = parse_start_line(lines[0].rstrip("\r"))
    items: list[tuple[str, str, str]] = []
    for raw in lines[1:]:
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line:
            raise SipParseError("empty line inside header section")
        if line[0] in WSP:
            if not items:
                raise SipParseError("continuation line before first header")
            more = line.strip(WSP)
            if more:  # a blank continuation line adds nothing (§7.3.1: LWS is one SP)
                name, key, value = items[-1]
                items[-1] = (name, key, f"{value} {more}" if value else more)
            continue
        colon = line.find(":")
        if colon <= 0:
            raise SipParseError("header line without colon")
        name = line[:colon].rstrip(WSP)
        if not name:
            raise SipParseError("empty header name")
        if not TOKEN_CHARS.issuperset(name):
            raise SipParseError("bad header name")
        items.append((name, header_key(name), line[colon + 1 :].strip(WSP)))
        if len(items) > MAX_HEADERS:
            raise SipParseError("too many header fields")
    msg.headers._items = items
    msg.body = body
    msg.truncated = truncated
    _parse_core_headers(msg)
    return msg


def _parse_expires(text: str) -> int:
    return parse_uint(text, "Expires", MAX_DELTA)


def _parse_call_id(text: str) -> str:
    return text.strip(WSP)


# header key -> parser for the single-valued fields parsed at the door (first line wins, as
# in the accessors)
_CORE_SINGLE: dict[str, Callable[[str], Any]] = {
    "call-id": _parse_call_id,
    "cseq": parse_cseq,
    "from": parse_name_addr,
    "to": parse_name_addr,
    "max-forwards": _parse_max_forwards,
    "expires": _parse_expires,
}


def _parse_core_headers(msg: Message) -> None:
    """Parse the header fields every layer uses in one pass, so they fail at the door
    (RFC 4475 §3.1.2) and the accessors only read the cache afterwards."""
    cache = msg.headers._cache
    vias: list[Via] = []
    contacts: list[Contact] = []
    lengths: set[str] = set()
    try:
        for _, key, value in msg.headers._items:
            if key == "via":
                vias.extend(parse_via(v) for v in split_commas(value))
            elif key == "contact":
                contacts.extend(parse_contact(v) for v in split_commas(value))
            elif key == "content-length":
                lengths.add(value)
            else:
                parser = _CORE_SINGLE.get(key)
                if parser is not None and key not in cache:
                    cache[key] = parser(value)
        cache["via"] = vias
        cache["contact"] = contacts
        if len(lengths) > 1:
            # RFC 4475 "mcl01": conflicting Content-Length values make the framing unknowable
            raise SipParseError("multiple Content-Length values")
        _ = msg.content_length
    except SipParseError as exc:
        cache.clear()
        raise SipParseError(exc.reason, partial=msg) from None


def split_head(data: bytes) -> tuple[int, int] | None:
    """Find the end of the header section: (index of the blank line, index where body starts).

    Leniency: bare LF line ends are accepted (some embedded stacks send them).
    """
    idx = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if idx >= 0 and (lf < 0 or idx <= lf):
        return idx, idx + 4
    if lf >= 0:
        return lf, lf + 2
    return None


def decode_head(data: bytes) -> str:
    """Decode a header section: UTF-8 (§7.3.1), undecodable octets kept as surrogates so that
    serialization gives the same octets back."""
    return data.decode("utf-8", "surrogateescape")


def _parse_datagram(data: bytes) -> Request | Response:
    if len(data) > MAX_MESSAGE_SIZE:
        raise SipParseError("message too large")
    # §7.5 leniency: CRLFs before the start line are ignored (keep-alives, stray line ends)
    start = 0
    while data[start : start + 2] == b"\r\n":
        start += 2
    while data[start : start + 1] == b"\n":
        start += 1
    if start:
        data = data[start:]
    if not data:
        raise SipParseError("empty message")
    bounds = split_head(data)
    if bounds is None:
        # Leniency: a message that ends right after its last header line has an empty body.
        if data.endswith(b"\r\n") or data.endswith(b"\n"):
            bounds = (len(data.rstrip(b"\r\n")), len(data))
        else:
            raise SipParseError("no end of header section")
    head_end, body_start = bounds
    head = decode_head(data[:head_end])
    rest = data[body_start:]
    msg = build_message(head, b"")
    length = msg.content_length
    if length is None:
        # §18.3: on a datagram transport a missing Content-Length means "rest of the datagram"
        msg.body = rest
    elif length <= len(rest):
        # §18.3: octets after Content-Length are discarded (RFC 4475 "dblreq")
        msg.body = rest[:length]
    else:
        # RFC 4475 "clerr": answered 400 by validation, the message itself is readable
        msg.body = rest
        msg.truncated = True
    return msg


# Exceptions a scanner bug could raise; they are converted so callers see only SipParseError.
_DEFENSIVE = (ValueError, IndexError, KeyError, TypeError, AttributeError, OverflowError)


def parse_message(data: bytes) -> Request | Response:
    """Parse one datagram into a `Request` or `Response`.

    Raises `SipParseError` (a ValueError) for anything that is not a SIP message, and nothing
    else, whatever the bytes (fuzzed in tests/sip). Semantically wrong but well-formed messages
    (missing headers, Max-Forwards 0, unknown scheme...) parse; `validate_request` says what to
    answer.
    """
    try:
        return _parse_datagram(bytes(data))
    except SipParseError:
        raise
    except (*_DEFENSIVE, RecursionError, UnicodeError) as exc:
        raise SipParseError(f"malformed message ({type(exc).__name__})") from exc


def make_header_name(key: str) -> str:
    """Canonical spelling for a header created by this code."""
    return canonical_name(header_key(key))
