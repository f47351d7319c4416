"""The codec interface and the registry that the media engine looks codecs up in.

Why a registry: DESIGN.md habit 8 says pluggable parts go through a small registry, not an
if/elif chain. SDP negotiation (RFC 3264) names codecs by encoding name and clock rate, the RTP
header names them by payload type (RFC 3551 §6 static types, or a dynamic type 96..127 bound in
SDP); the registry answers both questions. The engine builds one registry at wiring time
(`centrex.media.codecs.default_registry()`); there is no module-level singleton.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

__all__ = [
    "Codec",
    "CodecRegistry",
    "StatefulCodec",
    "Transcoder",
    "UnknownCodecError",
    "rtp_step",
]


class UnknownCodecError(KeyError):
    """No codec with that name or payload type is registered."""


@runtime_checkable
class Codec(Protocol):
    """A stateless or per-stream audio codec between pcm16 and RTP payload bytes.

    `encode` takes pcm16 little-endian mono at `clock_rate` and returns one RTP payload;
    `decode` does the reverse. G.711 is stateless and one instance serves every stream; stateful
    codecs (G.722 ADPCM, Opus) will need one instance per stream, so the registry will grow a
    factory method when they land.
    """

    @property
    def name(self) -> str:
        """Encoding name as in SDP rtpmap (RFC 4566 §6), e.g. "PCMU"."""
        ...

    @property
    def payload_type(self) -> int:
        """Static RTP payload type (RFC 3551 §6), or the preferred dynamic one."""
        ...

    @property
    def clock_rate(self) -> int:
        """RTP clock rate in Hz (RFC 3551 §4.5: 8000 for G.711; 8000 for G.722 by error)."""
        ...

    @property
    def sample_rate(self) -> int:
        """Rate of the pcm16 that encode takes and decode returns."""
        ...

    def encode(self, pcm: bytes) -> bytes:
        """pcm16 little-endian -> payload bytes."""
        ...

    def decode(self, payload: bytes) -> bytes:
        """Payload bytes -> pcm16 little-endian."""
        ...


@runtime_checkable
class StatefulCodec(Codec, Protocol):
    """A codec whose encoder/decoder carry state between packets (G.722 ADPCM, Opus).

    The registry keeps one prototype and hands out `new_stream()` on every lookup, so each
    stream (a player, a recorder, a room member) gets its own state.
    """

    def new_stream(self) -> Codec:
        """A fresh instance for one RTP stream."""
        ...


@runtime_checkable
class Transcoder(Protocol):
    """A per-direction relay transcoder for codecs that are not byte-to-byte (G.722 <-> G.711).

    The relay calls `rewrite` with the whole RTP packet; it returns the packet with the payload
    in the receiver's codec and `payload_type`. One instance per bridge direction (stateful).
    """

    def rewrite(self, packet: bytearray, payload_type: int) -> bytearray:
        """The packet with its payload transcoded and relabelled."""
        ...


def rtp_step(codec: Codec, samples: int) -> int:
    """RTP timestamp units that `samples` pcm samples of `codec`'s face cover.

    RFC 3550 §5.1: the timestamp counts the payload's clock, not the pcm. 160 samples at 8 kHz
    are 160 units for G.711 and G.722 (RFC 3551 §4.5.2) and 960 for Opus (RFC 7587 §4.1: a
    48 kHz clock whatever the audio). Every generator of RTP (players, rooms, events) steps by
    this, never by the sample count."""
    return samples * codec.clock_rate // codec.sample_rate


def _stream(codec: Codec) -> Codec:
    return codec.new_stream() if isinstance(codec, StatefulCodec) else codec


class CodecRegistry:
    """Codecs by case-insensitive name and by payload type, in registration (preference) order.

    Lookups of a `StatefulCodec` return a fresh per-stream instance (`new_stream`); iteration
    returns the registered prototypes (names, rates and payload types for negotiation).

    A codec registered with `offered=False` (Opus) is known for everything that meets it on a
    leg (relay routes, transcoding, players, rooms, recorders, digit listeners) but Centrex
    never *chooses* it on its own: fresh offers and the answers of app calls list only
    `offered()`, so apps that work at 8 kHz get G.711/G.722, and Opus is negotiated only where
    both parties of a bridged call bring it (the relay forwards it untouched).
    """

    def __init__(self) -> None:
        self._by_name: dict[str, Codec] = {}
        self._by_pt: dict[int, Codec] = {}
        self._quiet: set[str] = set()

    def register(self, codec: Codec, *, offered: bool = True) -> None:
        """Add a codec; a second codec with the same name or payload type is a wiring bug."""
        key = codec.name.upper()
        if key in self._by_name or codec.payload_type in self._by_pt:
            raise ValueError(f"codec {codec.name}/{codec.payload_type} is already registered")
        self._by_name[key] = codec
        self._by_pt[codec.payload_type] = codec
        if not offered:
            self._quiet.add(key)

    def offered(self) -> tuple[Codec, ...]:
        """The codecs Centrex lists in its own offers and app answers, in preference order."""
        return tuple(c for k, c in self._by_name.items() if k not in self._quiet)

    def by_name(self, name: str) -> Codec:
        """Codec for an SDP encoding name (case-insensitive, RFC 4566 §6 rtpmap)."""
        try:
            return _stream(self._by_name[name.upper()])
        except KeyError:
            raise UnknownCodecError(name) from None

    def by_payload_type(self, payload_type: int) -> Codec:
        """Codec registered under a payload type (static, or as bound at registration)."""
        try:
            return _stream(self._by_pt[payload_type])
        except KeyError:
            raise UnknownCodecError(payload_type) from None

    def get(self, name: str) -> Codec | None:
        """Like `by_name` but None when unknown (for negotiation, where absence is normal)."""
        codec = self._by_name.get(name.upper())
        return None if codec is None else _stream(codec)

    def names(self) -> tuple[str, ...]:
        """Encoding names in preference order, for building an SDP offer (`offered()`)."""
        return tuple(c.name for c in self.offered())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.upper() in self._by_name

    def __iter__(self) -> Iterator[Codec]:
        return iter(tuple(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)
