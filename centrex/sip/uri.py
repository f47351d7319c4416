"""SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) with §19.1.4 comparison.

The user part is kept exactly as received (escaped), so re-serializing never changes what a
peer sent; comparison and address-of-record keys unescape it first, as §19.1.4 requires ("an
implementation MUST compare characters ... escaped or not ... as equivalent"). Host names are
compared case-insensitively and IPv6 references in their canonical form.
URIs of schemes this code does not know (RFC 4475 "unkscm", "novelsc") parse as opaque URIs, so
that the endpoint can answer 416 instead of failing the whole message.
"""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass, replace

from centrex.sip.errors import SipParseError

_ALNUM = frozenset(string.ascii_letters + string.digits)
_SCHEME_CHARS = _ALNUM | frozenset("+-.")
_UNRESERVED = _ALNUM | frozenset("-_.!~*'()")
# §25.1: user = 1*( unreserved / escaped / user-unreserved ), user-unreserved = & = + $ , ; ? /
_USER_CHARS = _UNRESERVED | frozenset("&=+$,;?/%")
# password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
_PASSWORD_CHARS = _UNRESERVED | frozenset("&=+$,%")
# Leniency: "_" is accepted in host names (seen in the wild in SRV-derived names).
_HOST_CHARS = _ALNUM | frozenset("-._")
# paramchar = param-unreserved / unreserved / escaped; param-unreserved = [ ] / : & + $
_PARAM_CHARS = _UNRESERVED | frozenset("[]/:&+$%")
# hnv-unreserved = [ ] / ? : + $
_HEADER_CHARS = _UNRESERVED | frozenset("[]/?:+$%")
_TEL_CHARS = frozenset(string.digits + "abcdefABCDEF*#+-.()pPwW")
_HEX = frozenset(string.hexdigits)
_OPAQUE_FORBIDDEN = frozenset(' \t\r\n<>"')
# §19.1.4: these parameters must match when present in either URI.
_STRICT_PARAMS = ("user", "ttl", "method", "maddr", "transport")

Params = tuple[tuple[str, str | None], ...]


def unescape(text: str) -> str:
    """Resolve %HH escapes (RFC 3261 §25.1 `escaped`), decoding the octets as UTF-8."""
    if "%" not in text:
        return text
    raw = text.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        byte = raw[i]
        if byte == 0x25 and i + 2 < n + 1 and _is_hex_pair(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
            continue
        out.append(byte)
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _is_hex_pair(pair: bytes) -> bool:
    return len(pair) == 2 and all(chr(b) in _HEX for b in pair)


def _check_chars(text: str, allowed: frozenset[str], what: str) -> None:
    if not allowed.issuperset(text):
        raise SipParseError(f"bad character in URI {what}")
    i = text.find("%")
    while i >= 0:
        if i + 2 >= len(text) or text[i + 1] not in _HEX or text[i + 2] not in _HEX:
            raise SipParseError(f"bad escape in URI {what}")
        i = text.find("%", i + 3)


@dataclass(frozen=True, slots=True)
class URI:
    """A parsed URI. For sip/sips every field is meaningful; tel keeps the number in `user`;
    other schemes keep everything after the colon in `opaque`."""

    scheme: str
    user: str | None = None
    password: str | None = None
    host: str = ""
    port: int | None = None
    params: Params = ()
    headers: tuple[tuple[str, str], ...] = ()
    opaque: str | None = None

    @property
    def is_sip(self) -> bool:
        """True for sip: and sips: URIs."""
        return self.scheme in ("sip", "sips")

    def param(self, name: str) -> str | None:
        """Value of URI parameter `name` ('' for a flag such as `lr`), or None if absent.

        Names are compared case-insensitively and unescaped (§19.1.4: `%6C%72` is `lr`)."""
        lname = name.lower()
        for key, value in self.params:
            if key.lower() == lname or ("%" in key and unescape(key).lower() == lname):
                return "" if value is None else value
        return None

    @property
    def transport(self) -> str | None:
        """The `transport` URI parameter, lower case (§19.1.1)."""
        value = self.param("transport")
        return value.lower() if value else None

    @property
    def host_port(self) -> tuple[str, int | None]:
        """(host without IPv6 brackets, port or None)."""
        host = self.host
        if host.startswith("["):
            host = host[1:-1]
        return host, self.port

    def with_params(self, params: Params) -> URI:
        """Copy with other URI parameters."""
        return replace(self, params=params)

    def __str__(self) -> str:
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        out = [self.scheme, ":"]
        if self.scheme == "tel":
            out.append(self.user or "")
        else:
            if self.user is not None:
                out.append(self.user)
                if self.password is not None:
                    out.append(":" + self.password)
                out.append("@")
            out.append(self.host)
            if self.port is not None:
                out.append(f":{self.port}")
        for name, value in self.params:
            out.append(f";{name}" if value is None else f";{name}={value}")
        if self.headers:
            out.append("?" + "&".join(f"{k}={v}" for k, v in self.headers))
        return "".join(out)

    def aor(self) -> str:
        """Address-of-record key (RFC 3261 §10.3 step 5): parameters removed, user unescaped,
        scheme and host lower-cased. Two URIs that denote the same AOR give the same key."""
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        if self.scheme == "tel":
            return "tel:" + _tel_digits(self.user or "")
        user = unescape(self.user) + "@" if self.user is not None else ""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}:{user}{_canonical_host(self.host)}{port}"

    def equivalent(self, other: URI) -> bool:
        """URI comparison of RFC 3261 §19.1.4 (tel: RFC 3966 §4)."""
        if self.scheme != other.scheme:
            return False
        if self.opaque is not None or other.opaque is not None:
            return self.opaque == other.opaque
        if self.scheme == "tel":
            return _tel_digits(self.user or "") == _tel_digits(other.user or "") and (
                _lower_params(self.params) == _lower_params(other.params)
            )
        # userinfo is case-sensitive, compared unescaped
        if (self.user is None) != (other.user is None):
            return False
        if self.user is not None and unescape(self.user) != unescape(other.user or ""):
            return False
        if (self.password or None) != (other.password or None) and unescape(
            self.password or ""
        ) != unescape(other.password or ""):
            return False
        if _canonical_host(self.host) != _canonical_host(other.host):
            return False
        # an absent port is NOT equal to an explicit default port (§19.1.4)
        if self.port != other.port:
            return False
        mine = _lower_params(self.params)
        theirs = _lower_params(other.params)
        for name in _STRICT_PARAMS:
            if mine.get(name, _ABSENT) != theirs.get(name, _ABSENT):
                return False
        for name, value in mine.items():
            if name in theirs and theirs[name] != value:
                return False
        # headers: all must be present in both and equal
        mine_h = {unescape(k).lower(): unescape(v) for k, v in self.headers}
        theirs_h = {unescape(k).lower(): unescape(v) for k, v in other.headers}
        return mine_h == theirs_h


_ABSENT = "\x00absent"


def _lower_params(params: Params) -> dict[str, str]:
    return {unescape(k).lower(): ("" if v is None else unescape(v).lower()) for k, v in params}


def _tel_digits(number: str) -> str:
    return "".join(ch for ch in number if ch not in "-.()").lower()


def _canonical_host(host: str) -> str:
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError:
            return host
    return host


_PARAM_LIST_CHARS = (_PARAM_CHARS - {"%"}) | frozenset(";=")


def _parse_uri_params(text: str) -> Params:
    if not text:
        return ()
    if _PARAM_LIST_CHARS.issuperset(text) and ";;" not in text and "==" not in text:
        # fast path: no escapes, no empty items, every character legal
        fast: list[tuple[str, str | None]] = []
        for item in text.split(";"):
            name, eq, value = item.partition("=")
            if not name or (eq and (not value or "=" in value)):
                break
            fast.append((name, value if eq else None))
        else:
            return tuple(fast)
    result: list[tuple[str, str | None]] = []
    for item in text.split(";"):
        if not item:
            # Leniency: an empty parameter (";;") carries no meaning; skip it.
            continue
        name, eq, value = item.partition("=")
        if not name:
            raise SipParseError("empty URI parameter name")
        _check_chars(name, _PARAM_CHARS, "parameter")
        if eq:
            if not value:
                raise SipParseError("empty URI parameter value")
            _check_chars(value, _PARAM_CHARS, "parameter")
            result.append((name, value))
        else:
            result.append((name, None))
    return tuple(result)


def _parse_uri_headers(text: str) -> tuple[tuple[str, str], ...]:
    result: list[tuple[str, str]] = []
    for item in text.split("&"):
        name, eq, value = item.partition("=")
        if not name or not eq:
            raise SipParseError("bad URI header")
        _check_chars(name, _HEADER_CHARS, "header")
        _check_chars(value, _HEADER_CHARS, "header")
        result.append((name, value))
    return tuple(result)


def parse_hostport(text: str) -> tuple[str, int | None]:
    """Parse `host[:port]` (IPv6 references in brackets), as in URIs and Via sent-by."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError("unterminated IPv6 reference")
        host = text[: end + 1]
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise SipParseError("bad IPv6 reference") from exc
        rest = text[end + 1 :]
        if not rest:
            return host, None
        if rest[0] != ":":
            raise SipParseError("text after IPv6 reference")
        port_text = rest[1:]
    else:
        host, colon, port_text = text.partition(":")
        if not host:
            raise SipParseError("empty host")
        if not _HOST_CHARS.issuperset(host):
            raise SipParseError("bad character in host")
        if not colon:
            return host, None
    if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5:
        raise SipParseError("bad port")
    port = int(port_text)
    if port > 65535:
        raise SipParseError("port out of range")
    return host, port


def parse_uri(text: str) -> URI:
    """Parse a URI (RFC 3261 §19.1.1 / §25.1; RFC 3966 for tel; opaque otherwise).

    Raises `SipParseError` on any syntax error, including white space inside the URI (RFC 4475
    "lwsruri", "escruri" style breakage).
    """
    colon = text.find(":")
    if colon <= 0:
        raise SipParseError("URI without scheme")
    scheme = text[:colon].lower()
    if not scheme[0].isalpha() or not _SCHEME_CHARS.issuperset(scheme):
        raise SipParseError("bad URI scheme")
    rest = text[colon + 1 :]
    if not rest:
        raise SipParseError("empty URI")
    if scheme in ("sip", "sips"):
        return _parse_sip(scheme, rest)
    if scheme == "tel":
        number, _, param_text = rest.partition(";")
        if not number or not _TEL_CHARS.issuperset(number):
            raise SipParseError("bad tel number")
        return URI(scheme="tel", user=number, params=_parse_uri_params(param_text))
    for ch in rest:
        if ch in _OPAQUE_FORBIDDEN or ord(ch) < 0x20:
            raise SipParseError("bad character in URI")
    return URI(scheme=scheme, opaque=rest)


def _parse_sip(scheme: str, rest: str) -> URI:
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:
        userinfo = rest[:at]
        rest = rest[at + 1 :]
        user, colon, pw = userinfo.partition(":")
        if not user:
            raise SipParseError("empty user part")
        _check_chars(user, _USER_CHARS, "user")
        if colon:
            _check_chars(pw, _PASSWORD_CHARS, "password")
            password = pw
    end = len(rest)
    for sep in (";", "?"):
        idx = rest.find(sep)
        if 0 <= idx < end:
            end = idx
    host, port = parse_hostport(rest[:end])
    params: Params = ()
    headers: tuple[tuple[str, str], ...] = ()
    tail = rest[end:]
    if tail:
        param_text, qmark, header_text = tail.partition("?")
        params = _parse_uri_params(param_text[1:] if param_text.startswith(";") else param_text)
        if qmark:
            headers = _parse_uri_headers(header_text)
    return URI(
        scheme=scheme,
        user=user,
        password=password,
        host=host,
        port=port,
        params=params,
        headers=headers,
    )
