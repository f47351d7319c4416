"""Opus through PyAV's libopus: a tone survives the 8 kHz face's round trip (FFT), one packet
per 20 ms, the RFC 7587 constants, one state per stream."""

from __future__ import annotations

import pytest

from centrex.media.codecs.opus import OPUS, OpusCodec
from tests.media.signals import dominant_frequency, to_pcm, tone


@pytest.mark.parametrize("hz", [400.0, 1000.0, 2500.0])
def test_round_trip_keeps_the_tone(hz: float) -> None:
    pcm = to_pcm(tone([hz], 1000))
    encoder, decoder = OPUS.new_stream(), OPUS.new_stream()
    packets = [encoder.encode(pcm[i : i + 320]) for i in range(0, len(pcm), 320)]
    assert len(packets) == 50
    assert all(0 < len(p) < 160 for p in packets)  # compressed below G.711's 160 bytes
    decoded = b"".join(decoder.decode(p) for p in packets)
    assert len(decoded) == len(pcm)
    assert abs(dominant_frequency(decoded[4000:12000]) - hz) < 10


def test_rfc_7587_constants_and_streams() -> None:
    assert (OPUS.name, OPUS.clock_rate, OPUS.channels, OPUS.sample_rate) == ("opus", 48000, 2, 8000)
    assert OPUS.payload_type == 111
    assert isinstance(OPUS.new_stream(), OpusCodec)
    assert OPUS.new_stream() is not OPUS.new_stream()
    assert OPUS.new_stream().decode(b"") == b""
