"""The wire formats of call transfer: Refer-To, Replaces, message/sipfrag, Subscription-State.

Pure (no I/O, no clock). Each format is a parse/serialize pair tested with byte fixtures
(tests/sip/test_refer.py).

* Refer-To (RFC 3515 §2.1) is a name-addr whose URI names the transfer target. An attended
  transfer puts the dialog the target must replace into the URI's `?Replaces=` header (RFC 3891
  §3, escaped: `callid%3Bto-tag%3Dx%3Bfrom-tag%3Dy`); the URI headers are the instructions for
  the INVITE the transferee sends, so they are parsed here and never copied into a request.
* Replaces (RFC 3891 §6.1) is `callid *(;to-tag=x / ;from-tag=y / ;early-only)`. The tags are
  seen from the UA that receives it: `to-tag` is that UA's own (local) tag, `from-tag` its
  peer's — pjsip and baresip build it that way, and so does the matching here.
* message/sipfrag (RFC 3420) is at least the status line of the response a REFER's INVITE got;
  RFC 3515 §2.4.5 sends it in NOTIFY `Event: refer` bodies, `SIP/2.0 100 Trying` first.
* Subscription-State (RFC 6665 §8.2.3): `active;expires=N` while the transfer runs, then
  `terminated;reason=noresource` with the final result.
"""

from __future__ import annotations

from dataclasses import dataclass

from centrex.sip.errors import SipParseError
from centrex.sip.grammar import TOKEN_CHARS, is_digits
from centrex.sip.headers import parse_name_addr
from centrex.sip.uri import URI, unescape

__all__ = [
    "SIPFRAG",
    "ReferTo",
    "Replaces",
    "parse_refer_to",
    "parse_replaces",
    "parse_sipfrag",
    "sipfrag",
    "subscription_state",
]

SIPFRAG = "message/sipfrag;version=2.0"
_REASONS = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    600: "Busy Everywhere",
    603: "Decline",
}


@dataclass(frozen=True, slots=True)
class Replaces:
    """The dialog an INVITE (or a Refer-To) asks to replace (RFC 3891 §3)."""

    call_id: str
    to_tag: str  # the receiving UA's own tag
    from_tag: str  # the receiving UA's peer's tag
    early_only: bool = False

    def __str__(self) -> str:
        flag = ";early-only" if self.early_only else ""
        return f"{self.call_id};to-tag={self.to_tag};from-tag={self.from_tag}{flag}"


@dataclass(frozen=True, slots=True)
class ReferTo:
    """A parsed Refer-To: the target URI and, for an attended transfer, its Replaces."""

    uri: URI
    replaces: Replaces | None = None

    @property
    def user(self) -> str:
        """The target's user part, unescaped ('' when there is none)."""
        return unescape(self.uri.user) if self.uri.user else ""


def parse_replaces(text: str) -> Replaces:
    """Parse a Replaces value; both tags are required (RFC 3891 §6.1). Raises SipParseError."""
    call_id, *params = [part.strip() for part in text.strip().split(";")]
    if not call_id or any(ch in call_id for ch in ' \t<>"') or not call_id.isprintable():
        raise SipParseError("Replaces without a valid Call-ID")
    tags: dict[str, str] = {}
    early = False
    for param in params:
        name, eq, value = param.partition("=")
        name = name.strip().lower()
        if name == "early-only" and not eq:
            early = True
            continue
        value = value.strip()
        if name in ("to-tag", "from-tag"):
            if not value or not TOKEN_CHARS.issuperset(value):
                raise SipParseError(f"Replaces {name} is not a token")
            tags[name] = value
        elif not name or not TOKEN_CHARS.issuperset(name):
            raise SipParseError("bad Replaces parameter")
    if "to-tag" not in tags or "from-tag" not in tags:
        raise SipParseError("Replaces needs to-tag and from-tag")
    return Replaces(call_id, tags["to-tag"], tags["from-tag"], early)


def parse_refer_to(text: str) -> ReferTo:
    """Parse a Refer-To value (RFC 3515 §2.1). Only sip/sips/tel targets are transfer targets;
    any URI header but Replaces is ignored (RFC 3515 §2.1 leaves them to the referee, and a
    B2BUA acting for the referee honours only what it understands). Raises SipParseError."""
    address = parse_name_addr(text)
    uri = address.uri
    if uri.scheme not in ("sip", "sips", "tel"):
        raise SipParseError(f"Refer-To scheme {uri.scheme} is not a SIP or tel URI")
    if uri.scheme != "tel" and not uri.user:
        raise SipParseError("Refer-To names no user")
    replaces: Replaces | None = None
    for name, value in uri.headers:
        if name.lower() == "replaces":
            replaces = parse_replaces(unescape(value))
    return ReferTo(uri, replaces)


def sipfrag(status: int, reason: str | None = None) -> bytes:
    """The message/sipfrag body of a NOTIFY: the status line only (RFC 3515 §2.4.5)."""
    if not 100 <= status <= 699:
        raise ValueError(f"not a SIP status: {status}")
    text = reason or _REASONS.get(status) or ("OK" if status < 300 else "Failed")
    if "\r" in text or "\n" in text:
        raise ValueError("a reason phrase is one line")
    return f"SIP/2.0 {status} {text}\r\n".encode()


def parse_sipfrag(body: bytes) -> tuple[int, str]:
    """The status and reason of a sipfrag body's status line (RFC 3420 §2). Raises
    SipParseError for a body that does not start with a SIP/2.0 status line."""
    line = body.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
    version, _, rest = line.partition(" ")
    code, _, reason = rest.partition(" ")
    if version.upper() != "SIP/2.0" or len(code) != 3 or not is_digits(code):
        raise SipParseError("sipfrag without a SIP/2.0 status line")
    status = int(code)
    if not 100 <= status <= 699:
        raise SipParseError("sipfrag status out of range")
    return status, reason


def subscription_state(final: bool, expires: int = 60) -> str:
    """Subscription-State of a NOTIFY `Event: refer` (RFC 6665 §8.2.3, RFC 3515 §2.4.7)."""
    return "terminated;reason=noresource" if final else f"active;expires={expires}"
