"""G.711 µ-law/A-law (ITU-T G.711) and the codec registry."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media import codecs
from centrex.media.codecs import g711
from tests.media.signals import from_pcm, to_pcm, tone

ALL_SAMPLES = struct.pack("<65536h", *range(-32768, 32768))


@pytest.mark.parametrize(
    ("code", "value"),
    [(0xFF, 0), (0x7F, 0), (0x80, 32124), (0x00, -32124), (0xFE, 8), (0x7E, -8), (0xEF, 132)],
)
def test_ulaw_known_decodes(code: int, value: int) -> None:
    assert g711.ulaw_to_linear(code) == value
    assert g711.ulaw_decode(bytes([code])) == struct.pack("<h", value)


@pytest.mark.parametrize(
    ("code", "value"),
    [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xD4, 24), (0xC5, 264)],
)
def test_alaw_known_decodes(code: int, value: int) -> None:
    assert g711.alaw_to_linear(code) == value
    assert g711.alaw_decode(bytes([code])) == struct.pack("<h", value)


@pytest.mark.parametrize(
    ("sample", "ulaw", "alaw"),
    [
        (0, 0xFF, 0xD5),
        (-1, 0x7E, 0x55),
        (32767, 0x80, 0xAA),
        (-32768, 0x00, 0x2A),
        (100, 0xF2, 0xD3),
    ],
)
def test_known_encodes(sample: int, ulaw: int, alaw: int) -> None:
    assert g711.linear_to_ulaw(sample) == ulaw
    assert g711.linear_to_alaw(sample) == alaw
    assert g711.ulaw_encode(struct.pack("<h", sample)) == bytes([ulaw])
    assert g711.alaw_encode(struct.pack("<h", sample)) == bytes([alaw])


def test_table_encode_equals_reference_for_every_sample() -> None:
    ulaw = g711.ulaw_encode(ALL_SAMPLES)
    alaw = g711.alaw_encode(ALL_SAMPLES)
    for i, sample in enumerate(range(-32768, 32768)):
        assert ulaw[i] == g711.linear_to_ulaw(sample)
        assert alaw[i] == g711.linear_to_alaw(sample)


def test_decode_is_left_inverse_of_encode() -> None:
    """Every code word decodes to a value that encodes back to the same code word,
    except the duplicate zero codes (µ-law 0x7F = -0 encodes as 0xFF)."""
    everything = bytes(range(256))
    assert g711.ulaw_encode(g711.ulaw_decode(everything)) == everything.replace(b"\x7f", b"\xff")
    assert g711.alaw_encode(g711.alaw_decode(everything)) == everything


def test_round_trip_error_bounds() -> None:
    """Quantisation error stays within half a step of the segment: <= 1/32 of |x| roughly."""
    x = np.arange(-32768, 32768, dtype=np.float64)
    for encode, decode, small in (
        (g711.ulaw_encode, g711.ulaw_decode, 4),
        (g711.alaw_encode, g711.alaw_decode, 8),
    ):
        y = from_pcm(decode(encode(ALL_SAMPLES)))
        err = np.abs(y - x)
        clip_zone = np.abs(x) > 32124 if small == 4 else np.abs(x) > 32256
        assert np.all(err[~clip_zone] <= np.maximum(small, np.abs(x[~clip_zone]) / 16 + 8))
        assert np.max(err[clip_zone]) <= 1024  # clipping at the overload point
        assert np.all(np.sign(y[np.abs(x) > 16]) == np.sign(x[np.abs(x) > 16]))


def test_snr_of_speech_level_tone() -> None:
    """G.711 gives ~38 dB SNR for a -10 dBm0 sine (ITU-T G.712 wants > 33 dB)."""
    x = tone([1004.0], 200, -10)
    for encode, decode in (
        (g711.ulaw_encode, g711.ulaw_decode),
        (g711.alaw_encode, g711.alaw_decode),
    ):
        ref = from_pcm(to_pcm(x))
        y = from_pcm(decode(encode(to_pcm(x))))
        snr = 10 * np.log10(np.sum(ref**2) / np.sum((y - ref) ** 2))
        assert snr > 33


def test_translation_equals_decode_then_encode() -> None:
    everything = bytes(range(256))
    assert g711.ulaw_to_alaw(everything) == g711.alaw_encode(g711.ulaw_decode(everything))
    assert g711.alaw_to_ulaw(everything) == g711.ulaw_encode(g711.alaw_decode(everything))
    assert everything.translate(codecs.ULAW_TO_ALAW) == g711.ulaw_to_alaw(everything)


def test_tandem_transcoding_keeps_quality() -> None:
    """A-law -> µ-law -> A-law (a call through two carriers) still meets G.712's 33 dB SNR."""
    ref = from_pcm(to_pcm(tone([440.0, 1300.0], 200, -15)))
    a = g711.alaw_encode(to_pcm(ref))
    y = from_pcm(g711.alaw_decode(g711.ulaw_to_alaw(g711.alaw_to_ulaw(a))))
    snr = 10 * np.log10(np.sum(ref**2) / np.sum((y - ref) ** 2))
    assert snr > 30


@given(st.binary(max_size=400))
def test_encode_decode_lengths(pcm: bytes) -> None:
    assert len(g711.ulaw_encode(pcm)) == len(pcm) // 2
    assert len(g711.alaw_encode(memoryview(pcm))) == len(pcm) // 2
    assert len(g711.ulaw_decode(pcm)) == 2 * len(pcm)
    assert len(g711.alaw_decode(bytearray(pcm))) == 2 * len(pcm)


@given(st.binary(max_size=200))
def test_decode_encode_idempotent(payload: bytes) -> None:
    once = g711.ulaw_decode(g711.ulaw_encode(g711.ulaw_decode(payload)))
    assert once == g711.ulaw_decode(payload)


def test_codec_objects() -> None:
    assert codecs.PCMU.payload_type == 0
    assert codecs.PCMA.payload_type == 8
    assert codecs.PCMU.clock_rate == 8000
    pcm = struct.pack("<3h", 0, 1000, -1000)
    assert codecs.PCMU.encode(pcm) == g711.ulaw_encode(pcm)
    assert codecs.PCMA.decode(b"\xd5") == struct.pack("<h", 8)
    assert isinstance(codecs.PCMA, codecs.Codec)


def test_registry_lookup() -> None:
    reg = codecs.default_registry()
    assert reg.names() == ("PCMA", "PCMU", "G722")
    assert reg.by_name("pcmu") is codecs.PCMU
    assert reg.by_payload_type(8) is codecs.PCMA
    assert "PcMa" in reg
    assert 8 not in reg
    assert len(reg) == 4  # Opus is known (browser legs) but not offered: not in names()
    assert list(reg) == [codecs.PCMA, codecs.PCMU, codecs.G722, codecs.OPUS]
    assert reg.get("G729") is None
    with pytest.raises(codecs.UnknownCodecError):
        reg.by_name("G729")
    with pytest.raises(codecs.UnknownCodecError):
        reg.by_payload_type(18)


def test_registry_rejects_duplicates_and_registries_are_independent() -> None:
    reg = codecs.default_registry()
    with pytest.raises(ValueError, match="already registered"):
        reg.register(codecs.G711Codec("pcmu", 100, "u"))
    with pytest.raises(ValueError, match="already registered"):
        reg.register(codecs.G711Codec("X-ULAW", 0, "u"))
    reg.register(codecs.G711Codec("X-ULAW", 101, "u"))
    assert "X-ULAW" not in codecs.default_registry()


def test_transcode_table() -> None:
    assert codecs.transcode_table("pcmu", "PCMA") is codecs.ULAW_TO_ALAW
    assert codecs.transcode_table("PCMA", "PCMU") is codecs.ALAW_TO_ULAW
    assert codecs.transcode_table("PCMA", "PCMA") is None
    assert codecs.transcode_table("G722", "PCMU") is None
