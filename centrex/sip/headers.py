"""Structured header field values: name-addr, Contact, Via, CSeq (RFC 3261 §20, §25.1).

Each parser takes the (unfolded) text of one header value and either returns a frozen value
object or raises `SipParseError`; each object's `__str__` is the wire form. LWS around `;`, `=`
and `/` is accepted everywhere the grammar allows SWS (RFC 4475 "wsinv").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

from centrex.sip.errors import SipParseError
from centrex.sip.grammar import (
    WSP,
    format_params,
    get_param,
    is_token,
    parse_params,
    parse_uint,
    quote,
    set_param,
    skip_quoted,
    unquote,
)
from centrex.sip.uri import URI, parse_hostport, parse_uri

Params = tuple[tuple[str, str | None], ...]
MAX_CSEQ = 2**31 - 1  # RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31
MAX_DELTA = 2**32 - 1  # RFC 3261 §20.19 / §25.1 delta-seconds


class CSeq(NamedTuple):
    """CSeq header value (RFC 3261 §20.16)."""

    number: int
    method: str

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


def parse_cseq(text: str) -> CSeq:
    """Parse `1*DIGIT LWS Method`; the number must be below 2**31 (RFC 4475 "scalar02")."""
    parts = text.split()
    if len(parts) != 2:
        raise SipParseError("bad CSeq")
    number = parse_uint(parts[0], "CSeq number", MAX_CSEQ)
    if not is_token(parts[1]):
        raise SipParseError("bad CSeq method")
    return CSeq(number, parts[1])


@dataclass(frozen=True, slots=True)
class NameAddr:
    """`[display-name] <uri> *(;param)` or `addr-spec *(;param)` (From, To, Route... §20.10)."""

    uri: URI
    display_name: str | None = None
    params: Params = ()

    def param(self, name: str) -> str | None:
        """Header parameter value ('' for a flag), or None if absent."""
        return get_param(self.params, name)

    @property
    def tag(self) -> str | None:
        """The `tag` parameter (§19.3), or None."""
        return get_param(self.params, "tag") or None

    def with_tag(self, tag: str) -> NameAddr:
        """Copy with `tag` set (a UAS adds its tag to To, §8.2.6.2)."""
        return replace(self, params=set_param(self.params, "tag", tag))

    def with_param(self, name: str, value: str | None) -> NameAddr:
        """Copy with a header parameter set."""
        return replace(self, params=set_param(self.params, name, value))

    def __str__(self) -> str:
        display = ""
        if self.display_name is not None:
            display = quote(self.display_name) + " "
        return f"{display}<{self.uri}>{format_params(self.params)}"


def _split_name_addr(text: str) -> tuple[str | None, URI, Params]:
    text = text.strip(WSP)
    if not text:
        raise SipParseError("empty address")
    display: str | None = None
    if text[0] == '"':
        end = skip_quoted(text, 0)
        display = unquote(text[:end])
        rest = text[end:].lstrip(WSP)
        if not rest.startswith("<"):
            raise SipParseError("quoted display name without <uri>")
        lt = 0
        text = rest
    else:
        lt = text.find("<")
        if lt > 0:
            words = text[:lt].split()
            for word in words:
                # RFC 4475 "baddn": an unquoted display name must be tokens and LWS only
                if not is_token(word):
                    raise SipParseError("display name must be quoted")
            display = " ".join(words) if words else None
    if lt >= 0:
        gt = text.find(">", lt)
        if gt < 0:
            raise SipParseError("unterminated '<' in address")
        uri = parse_uri(text[lt + 1 : gt])
        rest = text[gt + 1 :].strip(WSP)
    else:
        semi = text.find(";")
        uri_text = text if semi < 0 else text[:semi]
        uri_text = uri_text.rstrip(WSP)
        # §20.10: a URI with ',', '?' or ';' MUST be in angle brackets (RFC 4475 "regbadct")
        for ch in ",? \t>":
            if ch in uri_text:
                raise SipParseError("address with special characters needs <>")
        uri = parse_uri(uri_text)
        rest = "" if semi < 0 else text[semi:]
    if not rest:
        return display, uri, ()
    if rest[0] != ";":
        raise SipParseError("text after address")
    return display, uri, parse_params(rest[1:])


def parse_name_addr(text: str) -> NameAddr:
    """Parse a name-addr or addr-spec with header parameters (From, To, Route, Refer-To)."""
    display, uri, params = _split_name_addr(text)
    return NameAddr(uri=uri, display_name=display, params=params)


@dataclass(frozen=True, slots=True)
class Contact:
    """One Contact value (§20.10); `uri is None` is the wildcard `*` of a REGISTER (§10.2.2)."""

    uri: URI | None
    display_name: str | None = None
    params: Params = ()

    @property
    def is_wildcard(self) -> bool:
        """True for `Contact: *`."""
        return self.uri is None

    def param(self, name: str) -> str | None:
        """Header parameter value ('' for a flag), or None if absent."""
        return get_param(self.params, name)

    @property
    def expires(self) -> int | None:
        """The `expires` parameter in seconds (§20.10), None if absent or in RFC 2543 date form.

        Leniency: a quoted date (RFC 2543) is treated as absent, so the Expires header or the
        registrar default applies.
        """
        value = get_param(self.params, "expires")
        if value is None or value.startswith('"'):
            return None
        return parse_uint(value, "Contact expires", MAX_DELTA)

    @property
    def q(self) -> float | None:
        """The `q` preference (§20.10: qvalue 0..1), None if absent."""
        value = get_param(self.params, "q")
        if value is None:
            return None
        try:
            q = float(value)
        except ValueError as exc:
            raise SipParseError("bad q value") from exc
        if not 0.0 <= q <= 1.0 or len(value) > 5:
            raise SipParseError("bad q value")
        return q

    def __str__(self) -> str:
        if self.uri is None:
            return "*"
        return str(NameAddr(self.uri, self.display_name, self.params))


def parse_contact(text: str) -> Contact:
    """Parse one Contact value, including `*`."""
    if text.strip(WSP) == "*":
        return Contact(uri=None)
    display, uri, params = _split_name_addr(text)
    contact = Contact(uri=uri, display_name=display, params=params)
    # validate the scalar parameters now so a bad value is a parse error, not a late surprise
    _ = contact.expires, contact.q
    return contact


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value (§20.42, §18.2.2; RFC 3581 rport)."""

    transport: str
    host: str
    port: int | None = None
    params: Params = ()
    protocol: str = "SIP/2.0"

    def param(self, name: str) -> str | None:
        """Parameter value ('' for a flag), or None if absent."""
        return get_param(self.params, name)

    @property
    def branch(self) -> str | None:
        """The branch parameter (§8.1.1.7)."""
        return get_param(self.params, "branch") or None

    @property
    def received(self) -> str | None:
        """The `received` parameter added by the server (§18.2.1)."""
        return get_param(self.params, "received") or None

    @property
    def has_rport(self) -> bool:
        """True if the `rport` parameter is present, valued or not (RFC 3581 §3)."""
        return get_param(self.params, "rport") is not None

    @property
    def rport(self) -> int | None:
        """The filled-in `rport` value, None if absent or empty (RFC 3581 §4)."""
        value = get_param(self.params, "rport")
        if not value:
            return None
        return parse_uint(value, "rport", 65535)

    @property
    def maddr(self) -> str | None:
        """The `maddr` parameter (§18.2.2)."""
        return get_param(self.params, "maddr") or None

    @property
    def sent_by(self) -> tuple[str, int | None]:
        """(host without IPv6 brackets, port or None)."""
        host = self.host[1:-1] if self.host.startswith("[") else self.host
        return host, self.port

    def with_param(self, name: str, value: str | None) -> Via:
        """Copy with a parameter set (used to add received/rport, §18.2.1 + RFC 3581 §4)."""
        return replace(self, params=set_param(self.params, name, value))

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.protocol}/{self.transport} {self.host}{port}{format_params(self.params)}"


def parse_via(text: str) -> Via:
    """Parse one via-parm: `SIP / 2.0 / UDP host[:port] *(;param)` with LWS around '/'."""
    semi = text.find(";")
    head = text if semi < 0 else text[:semi]
    s1 = head.find("/")
    s2 = head.find("/", s1 + 1) if s1 >= 0 else -1
    if s1 < 0 or s2 < 0:
        raise SipParseError("bad Via sent-protocol")
    name = head[:s1].strip()
    version = head[s1 + 1 : s2].strip()
    after = head[s2 + 1 :].split()
    if not is_token(name) or not is_token(version) or len(after) != 2:
        raise SipParseError("bad Via")
    transport = after[0]
    if not is_token(transport):
        raise SipParseError("bad Via transport")
    host, port = parse_hostport(after[1])
    params = parse_params(text[semi + 1 :]) if semi >= 0 else ()
    via = Via(
        transport=transport.upper(),
        host=host,
        port=port,
        params=params,
        protocol=f"{name.upper()}/{version}",
    )
    _ = via.rport
    return via
