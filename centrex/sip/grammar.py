"""Lexical helpers of the SIP grammar (RFC 3261 §25.1), written as plain scanners.

The hot path of a registrar parses thousands of messages a second, so nothing here uses a
backtracking regular expression: every helper is a single left-to-right scan with a fast path
for the common case (no quotes, no angle brackets). Separators are tolerant of linear white
space around them (SEMI, EQUAL, COMMA, SLASH are all `SWS x SWS` in §25.1), which the RFC 4475
"wsinv" message exercises.
"""

from __future__ import annotations

import string

from centrex.sip.errors import SipParseError

# RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-.!%*_+`'~")
# Parameter values: token or host (IPv6 references carry ":" "[" "]"). Leniency: "/" and ":"
# are accepted in values because deployed phones put URIs-like text in unknown parameters.
PARAM_VALUE_CHARS = TOKEN_CHARS | frozenset("[]:/@?=")
WSP = " \t"
_SIMPLE_PARAMS = TOKEN_CHARS | frozenset("[]:/@?;=")

# RFC 3261 §7.3.3 compact forms, plus the ones later RFCs registered (IANA "Header Fields").
COMPACT_FORMS: dict[str, str] = {
    "i": "call-id",
    "m": "contact",
    "f": "from",
    "t": "to",
    "v": "via",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
    "o": "event",  # RFC 6665
    "r": "refer-to",  # RFC 3515
    "b": "referred-by",  # RFC 3892
    "u": "allow-events",  # RFC 6665
    "x": "session-expires",  # RFC 4028
    "y": "identity",  # RFC 8224
}

# Spelling used when this code creates a header field (received ones keep their own spelling).
CANONICAL_NAMES: dict[str, str] = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "rack": "RAck",
    "rseq": "RSeq",
}

# Header fields whose value is a comma-separated list (RFC 3261 §7.3.1: "field-name: value *(","
# value)"). Only these are ever split on commas: Date, Authorization etc. contain commas of their
# own.
LIST_HEADERS = frozenset(
    {
        "via",
        "contact",
        "route",
        "record-route",
        "path",
        "service-route",
        "allow",
        "supported",
        "require",
        "proxy-require",
        "unsupported",
        "accept",
        "accept-encoding",
        "accept-language",
        "content-encoding",
        "content-language",
        "allow-events",
        "in-reply-to",
        "alert-info",
        "call-info",
        "error-info",
        "warning",
        "reason",
        "security-client",
        "security-server",
        "security-verify",
    }
)


_KEY_CACHE: dict[str, str] = {}


def header_key(name: str) -> str:
    """Return the lookup key of a header name: lower case, compact forms expanded (§7.3.3).

    Memoised for the spellings seen (bounded, so junk names cannot grow it without limit).
    """
    key = _KEY_CACHE.get(name)
    if key is None:
        lower = name.lower()
        key = COMPACT_FORMS.get(lower, lower)
        if len(_KEY_CACHE) < 4096:
            _KEY_CACHE[name] = key
    return key


def canonical_name(key: str) -> str:
    """Return the usual capitalisation of a header name (`call-id` -> `Call-ID`)."""
    known = CANONICAL_NAMES.get(key)
    if known is not None:
        return known
    return "-".join(part[:1].upper() + part[1:] for part in key.split("-"))


def is_digits(text: str) -> bool:
    """ASCII digits only (RFC 5234 DIGIT): `str.isdigit` alone also takes "²" or "３", which
    `int` then refuses or reads as another number."""
    return text.isascii() and text.isdigit()


def is_token(text: str) -> bool:
    """True if `text` is a non-empty RFC 3261 token."""
    return bool(text) and TOKEN_CHARS.issuperset(text)


def unquote(text: str) -> str:
    """Strip the quotes of a quoted-string and resolve quoted-pairs (§25.1).

    Raises `SipParseError` for an unterminated string (RFC 4475 "quotbal").
    """
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise SipParseError("unterminated quoted string")
    inner = text[1:-1]
    if "\\" not in inner:
        if '"' in inner:
            raise SipParseError("stray quote inside quoted string")
        return inner
    out: list[str] = []
    i = 0
    n = len(inner)
    while i < n:
        ch = inner[i]
        if ch == "\\":
            if i + 1 >= n:
                raise SipParseError("unterminated quoted string")
            out.append(inner[i + 1])
            i += 2
            continue
        if ch == '"':
            raise SipParseError("stray quote inside quoted string")
        out.append(ch)
        i += 1
    return "".join(out)


def quote(text: str) -> str:
    """Quote `text` as a quoted-string, escaping backslash and double quote (§25.1)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def skip_quoted(text: str, start: int) -> int:
    """Return the index just after the quoted-string opening at `start` (which holds '"')."""
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            return i + 1
        i += 1
    raise SipParseError("unterminated quoted string")


def split_unquoted(text: str, sep: str) -> list[str]:
    """Split on `sep` outside quoted strings and angle brackets (§7.3.1 list values)."""
    if '"' not in text:
        if "<" not in text:
            return text.split(sep)
        return _split_angles(text, sep)
    parts: list[str] = []
    start = 0
    i = 0
    n = len(text)
    angle = False
    while i < n:
        ch = text[i]
        if ch == '"' and not angle:
            i = skip_quoted(text, i)
            continue
        if ch == "<":
            angle = True
        elif ch == ">":
            angle = False
        elif ch == sep and not angle:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if angle:
        raise SipParseError("unterminated '<' in header value")
    parts.append(text[start:])
    return parts


def _split_angles(text: str, sep: str) -> list[str]:
    """`split_unquoted` without quotes: jump from bracket to bracket with str.find (hot path)."""
    parts: list[str] = []
    start = 0
    i = 0
    while True:
        s = text.find(sep, i)
        lt = text.find("<", i)
        if lt >= 0 and (s < 0 or lt < s):
            gt = text.find(">", lt)
            if gt < 0:
                raise SipParseError("unterminated '<' in header value")
            i = gt + 1
            continue
        if s < 0:
            break
        parts.append(text[start:s])
        start = i = s + 1
    parts.append(text[start:])
    return parts


def split_commas(text: str) -> list[str]:
    """Split a list header value into its elements, respecting quotes and <...> (§7.3.1).

    Empty elements (",,") are dropped: §7.3.1 allows a list to be written with empty items
    only in the sense of folding several header lines; a stray comma is harmless.
    """
    return [part.strip(WSP) for part in split_unquoted(text, ",") if part.strip(WSP)]


def parse_params(text: str) -> tuple[tuple[str, str | None], ...]:
    """Parse `;name=value;flag` parameters (header or URI params), LWS tolerated around ; and =.

    `text` starts just after the first ';' (or is empty). Names are kept as written; lookups
    compare case-insensitively. Quoted values are kept with their quotes so serialization is
    faithful; use `unquote` to read them.
    """
    if not text:
        return ()
    if _SIMPLE_PARAMS.issuperset(text):
        # fast path (the usual `tag=1234;q=0.8`): no quotes, no white space
        simple: list[tuple[str, str | None]] = []
        for item in text.split(";"):
            pname, sep, pvalue = item.partition("=")
            if not pname or not TOKEN_CHARS.issuperset(pname) or (sep and not pvalue):
                raise SipParseError(f"bad parameter {item[:40]!r}")
            simple.append((pname, pvalue if sep else None))
        return tuple(simple)
    result: list[tuple[str, str | None]] = []
    for raw in split_unquoted(text, ";"):
        item = raw.strip(WSP)
        if not item:
            raise SipParseError("empty parameter")
        eq = item.find("=")
        if eq < 0:
            if not is_token(item):
                raise SipParseError(f"bad parameter name {item[:40]!r}")
            result.append((item, None))
            continue
        name = item[:eq].rstrip(WSP)
        value = item[eq + 1 :].lstrip(WSP)
        if not is_token(name):
            raise SipParseError(f"bad parameter name {name[:40]!r}")
        if value.startswith('"'):
            if skip_quoted(value, 0) != len(value):
                raise SipParseError("text after quoted parameter value")
        elif not value or not PARAM_VALUE_CHARS.issuperset(value):
            raise SipParseError(f"bad value for parameter {name[:40]!r}")
        result.append((name, value))
    return tuple(result)


def format_params(params: tuple[tuple[str, str | None], ...]) -> str:
    """Serialize parameters as `;name=value;flag` (inverse of `parse_params`)."""
    return "".join(f";{name}" if value is None else f";{name}={value}" for name, value in params)


def get_param(params: tuple[tuple[str, str | None], ...], name: str) -> str | None:
    """Return the first value of parameter `name` (case-insensitive), '' for a flag, else None."""
    lname = name.lower()
    for key, value in params:
        if key.lower() == lname:
            return "" if value is None else value
    return None


def has_param(params: tuple[tuple[str, str | None], ...], name: str) -> bool:
    """True if parameter `name` is present (case-insensitive)."""
    lname = name.lower()
    return any(key.lower() == lname for key, _ in params)


def set_param(
    params: tuple[tuple[str, str | None], ...], name: str, value: str | None
) -> tuple[tuple[str, str | None], ...]:
    """Return `params` with `name` set to `value` (replacing in place, else appended)."""
    lname = name.lower()
    out: list[tuple[str, str | None]] = []
    done = False
    for key, old in params:
        if key.lower() == lname:
            if not done:
                out.append((key, value))
                done = True
            continue
        out.append((key, old))
    if not done:
        out.append((name, value))
    return tuple(out)


def parse_uint(text: str, what: str, limit: int = 2**32 - 1) -> int:
    """Parse 1*DIGIT bounded by `limit` (RFC 4475 "scalar02": overlarge values are errors)."""
    text = text.strip(WSP)
    if not text or not text.isascii() or not text.isdigit():
        raise SipParseError(f"bad {what}")
    if len(text.lstrip("0")) > 12:
        raise SipParseError(f"{what} too large")
    value = int(text)
    if value > limit:
        raise SipParseError(f"{what} too large")
    return value
