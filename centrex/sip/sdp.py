"""SDP session descriptions: parse and serialize (RFC 8866, formerly RFC 4566).

The model keeps what a PBX needs as fields (origin, connection, media lines with ports, protocol
and formats) and every attribute as an ordered `(name, value)` list, so unknown attributes
survive a round trip. Convenience accessors read rtpmap/fmtp/ptime/direction/rtcp and
telephone-event (RFC 4733) from the attributes; static payload types of RFC 3551 are known.

`parse_sdp` raises only `SdpParseError` (a ValueError), whatever the input (fuzzed in tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from centrex.sip.errors import SdpParseError
from centrex.sip.grammar import is_digits

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
MAX_SDP_SIZE = 32768

# RFC 3551 §6 static payload types (audio) that may appear without a=rtpmap
STATIC_PAYLOADS: dict[int, tuple[str, int, int]] = {
    0: ("PCMU", 8000, 1),
    3: ("GSM", 8000, 1),
    4: ("G723", 8000, 1),
    8: ("PCMA", 8000, 1),
    9: ("G722", 8000, 1),
    13: ("CN", 8000, 1),
    18: ("G729", 8000, 1),
}


@dataclass(frozen=True, slots=True)
class Origin:
    """o= line (RFC 8866 §5.2)."""

    username: str = "-"
    session_id: str = "0"
    session_version: str = "0"
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} "
            f"{self.nettype} {self.addrtype} {self.address}"
        )


@dataclass(frozen=True, slots=True)
class Connection:
    """c= line (RFC 8866 §5.7); `address` may carry /ttl/count for multicast."""

    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @classmethod
    def for_address(cls, address: str) -> Connection:
        """IN IP4 or IN IP6 by the shape of the address."""
        return cls(address, "IN", "IP6" if ":" in address else "IP4")

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"


@dataclass(frozen=True, slots=True)
class RtpMap:
    """a=rtpmap value (RFC 8866 §6.6)."""

    payload_type: int
    encoding: str
    clock_rate: int
    channels: int | None = None

    def __str__(self) -> str:
        channels = f"/{self.channels}" if self.channels is not None else ""
        return f"{self.payload_type} {self.encoding}/{self.clock_rate}{channels}"


def _attr(attributes: list[tuple[str, str | None]], name: str) -> list[str | None]:
    return [value for key, value in attributes if key == name]


def _direction(attributes: list[tuple[str, str | None]]) -> str | None:
    for key, _ in attributes:
        if key in DIRECTIONS:
            return key
    return None


def set_direction(attributes: list[tuple[str, str | None]], direction: str) -> None:
    """Replace any direction attribute in `attributes` by `direction` (in place)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction}")
    attributes[:] = [(k, v) for k, v in attributes if k not in DIRECTIONS]
    attributes.append((direction, None))


@dataclass(slots=True)
class MediaDescription:
    """One m= section (RFC 8866 §5.14) with its c=, b= and a= lines."""

    media: str
    port: int
    proto: str
    formats: list[str]
    port_count: int | None = None
    information: str | None = None
    connection: Connection | None = None
    bandwidths: list[str] = field(default_factory=list)
    key: str | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)

    def attribute(self, name: str) -> str | None:
        """First value of attribute `name` ('' for a flag), or None."""
        for key, value in self.attributes:
            if key == name:
                return "" if value is None else value
        return None

    def rtpmaps(self) -> dict[int, RtpMap]:
        """Payload type -> RtpMap for every format, static types filled from RFC 3551."""
        result: dict[int, RtpMap] = {}
        for value in _attr(self.attributes, "rtpmap"):
            rtpmap = parse_rtpmap(value or "")
            result[rtpmap.payload_type] = rtpmap
        for fmt in self.formats:
            if is_digits(fmt) and int(fmt) not in result and int(fmt) in STATIC_PAYLOADS:
                name, rate, channels = STATIC_PAYLOADS[int(fmt)]
                result[int(fmt)] = RtpMap(int(fmt), name, rate, channels)
        return result

    def fmtp(self, payload_type: int) -> str | None:
        """Format parameters for `payload_type` (a=fmtp), or None."""
        prefix = f"{payload_type} "
        for value in _attr(self.attributes, "fmtp"):
            if value and value.startswith(prefix):
                return value[len(prefix) :].strip()
        return None

    @property
    def ptime(self) -> int | None:
        """Packetization time in ms (a=ptime), or None."""
        value = self.attribute("ptime")
        if value is None:
            return None
        try:
            return int(float(value))
        except ValueError:
            return None

    @property
    def direction(self) -> str | None:
        """Media-level direction attribute, None if not given (see `effective_direction`)."""
        return _direction(self.attributes)

    @property
    def rtcp_port(self) -> int | None:
        """Port of a=rtcp (RFC 3605), or None."""
        value = self.attribute("rtcp")
        if not value:
            return None
        head = value.split()[0]
        return int(head) if is_digits(head) and int(head) <= 65535 else None

    @property
    def telephone_event(self) -> int | None:
        """Payload type of telephone-event/8000 (RFC 4733), else of another clock, or None.

        Chromium lists telephone-event/48000 (for Opus) before /8000; Centrex's codecs run
        an 8 kHz RTP clock, so the 8 kHz one is preferred wherever it is listed."""
        events = [
            rtpmap
            for pt, rtpmap in self.rtpmaps().items()
            if rtpmap.encoding.lower() == "telephone-event" and str(pt) in self.formats
        ]
        narrow = [e for e in events if e.clock_rate == 8000]
        return (narrow or events)[0].payload_type if events else None

    def lines(self) -> list[str]:
        """The SDP lines of this section, without line ends."""
        port = f"{self.port}/{self.port_count}" if self.port_count is not None else str(self.port)
        out = [f"m={self.media} {port} {self.proto} {' '.join(self.formats)}".rstrip()]
        if self.information is not None:
            out.append(f"i={self.information}")
        if self.connection is not None:
            out.append(f"c={self.connection}")
        out.extend(f"b={b}" for b in self.bandwidths)
        if self.key is not None:
            out.append(f"k={self.key}")
        out.extend(f"a={k}" if v is None else f"a={k}:{v}" for k, v in self.attributes)
        return out


@dataclass(slots=True)
class SessionDescription:
    """A whole SDP (RFC 8866 §5)."""

    origin: Origin = field(default_factory=Origin)
    session_name: str = "-"
    version: int = 0
    information: str | None = None
    uri: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    connection: Connection | None = None
    bandwidths: list[str] = field(default_factory=list)
    timing: list[tuple[str, str]] = field(default_factory=lambda: [("t", "0 0")])
    key: str | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)

    @property
    def direction(self) -> str | None:
        """Session-level direction attribute, or None."""
        return _direction(self.attributes)

    def effective_direction(self, media: MediaDescription) -> str:
        """Media direction, else session direction, else sendrecv (RFC 8866 §6.7)."""
        return media.direction or self.direction or "sendrecv"

    def connection_for(self, media: MediaDescription) -> Connection | None:
        """Media-level c= if present, else the session-level one (RFC 8866 §5.7)."""
        return media.connection or self.connection

    def serialize(self) -> bytes:
        """Wire form with CRLF line ends (RFC 8866 §5)."""
        out = [f"v={self.version}", f"o={self.origin}", f"s={self.session_name}"]
        if self.information is not None:
            out.append(f"i={self.information}")
        if self.uri is not None:
            out.append(f"u={self.uri}")
        out.extend(f"e={e}" for e in self.emails)
        out.extend(f"p={p}" for p in self.phones)
        if self.connection is not None:
            out.append(f"c={self.connection}")
        out.extend(f"b={b}" for b in self.bandwidths)
        out.extend(f"{kind}={value}" for kind, value in self.timing)
        if self.key is not None:
            out.append(f"k={self.key}")
        out.extend(f"a={k}" if v is None else f"a={k}:{v}" for k, v in self.attributes)
        for media in self.media:
            out.extend(media.lines())
        return ("\r\n".join(out) + "\r\n").encode("utf-8")

    def __bytes__(self) -> bytes:
        return self.serialize()


def parse_rtpmap(value: str) -> RtpMap:
    """Parse `<pt> <encoding>/<clock rate>[/<channels>]`."""
    pt_text, _, rest = value.strip().partition(" ")
    parts = rest.strip().split("/")
    if not is_digits(pt_text) or int(pt_text) > 127 or len(parts) not in (2, 3) or not parts[0]:
        raise SdpParseError(f"bad rtpmap {value[:40]!r}")
    if not is_digits(parts[1]) or (len(parts) == 3 and not is_digits(parts[2])):
        raise SdpParseError(f"bad rtpmap {value[:40]!r}")
    channels = int(parts[2]) if len(parts) == 3 else None
    return RtpMap(int(pt_text), parts[0], int(parts[1]), channels)


def _parse_connection(value: str) -> Connection:
    parts = value.split()
    if len(parts) != 3:
        raise SdpParseError("bad c= line")
    return Connection(parts[2], parts[0], parts[1])


def _parse_origin(value: str) -> Origin:
    parts = value.split()
    if len(parts) != 6:
        raise SdpParseError("bad o= line")
    return Origin(*parts)


def _parse_media(value: str) -> MediaDescription:
    parts = value.split()
    if len(parts) < 4:
        raise SdpParseError("bad m= line")
    port_text, slash, count_text = parts[1].partition("/")
    if not is_digits(port_text) or int(port_text) > 65535:
        raise SdpParseError("bad m= port")
    count: int | None = None
    if slash:
        if not is_digits(count_text):
            raise SdpParseError("bad m= port count")
        count = int(count_text)
    return MediaDescription(parts[0], int(port_text), parts[2], parts[3:], port_count=count)


def _parse_attribute(value: str) -> tuple[str, str | None]:
    name, colon, rest = value.partition(":")
    if not name or " " in name:
        raise SdpParseError("bad a= line")
    return (name, rest if colon else None)


def _parse(text: str) -> SessionDescription:
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0].strip() != "v=0":
        raise SdpParseError("SDP must start with v=0")
    sdp = SessionDescription(timing=[])
    seen_origin = False
    media: MediaDescription | None = None
    for line in lines[1:]:
        if len(line) < 2 or line[1] != "=":
            raise SdpParseError(f"bad SDP line {line[:40]!r}")
        kind, value = line[0], line[2:]
        if kind == "m":
            media = _parse_media(value)
            sdp.media.append(media)
        elif kind == "a":
            (media.attributes if media else sdp.attributes).append(_parse_attribute(value))
        elif kind == "c":
            if media:
                media.connection = _parse_connection(value)
            else:
                sdp.connection = _parse_connection(value)
        elif kind == "b":
            (media.bandwidths if media else sdp.bandwidths).append(value)
        elif kind == "i":
            if media:
                media.information = value
            else:
                sdp.information = value
        elif kind == "k":
            if media:
                media.key = value
            else:
                sdp.key = value
        elif media is not None:
            raise SdpParseError(f"session-level line {kind}= after m=")
        elif kind == "o":
            sdp.origin = _parse_origin(value)
            seen_origin = True
        elif kind == "s":
            sdp.session_name = value
        elif kind == "u":
            sdp.uri = value
        elif kind == "e":
            sdp.emails.append(value)
        elif kind == "p":
            sdp.phones.append(value)
        elif kind in "trz":
            sdp.timing.append((kind, value))
        else:
            raise SdpParseError(f"unknown SDP line type {kind!r}")
    if not seen_origin:
        raise SdpParseError("SDP without o= line")
    if not sdp.timing:
        # Leniency: t= is mandatory but some endpoints omit it; "0 0" (unbounded) is implied.
        sdp.timing.append(("t", "0 0"))
    for section in sdp.media:
        for rtpmap in _attr(section.attributes, "rtpmap"):
            parse_rtpmap(rtpmap or "")
    return sdp


def parse_sdp(data: bytes | str) -> SessionDescription:
    """Parse an SDP body; raises `SdpParseError` and nothing else."""
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_SDP_SIZE:
            raise SdpParseError("SDP too large")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SdpParseError("SDP is not UTF-8") from exc
    else:
        text = data
    try:
        return _parse(text)
    except SdpParseError:
        raise
    except (ValueError, IndexError, TypeError) as exc:
        raise SdpParseError(f"malformed SDP ({type(exc).__name__})") from exc
