"""Upload conversion with sox (good and broken files), media files and quota, MOH, MWI bodies
(RFC 3842) and silence detection."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from centrex.apps.moh import default_moh, moh_file
from centrex.apps.silence import SilenceDetector, is_silent, trim_trailing_silence
from centrex.data.db import Database
from centrex.data.models import GreetingKind, MediaKind
from centrex.errors import CentrexError
from centrex.media.audio_files import (
    AudioBroken,
    AudioTooLarge,
    AudioTooLong,
    AudioUnsupported,
    convert_upload,
    sniff_format,
)
from centrex.provisioning import media_files
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import MediaStore, QuotaExceeded, usage
from centrex.sip.message_summary import (
    CONTENT_TYPE,
    MessageSummary,
    MwiParseError,
    parse_simple_message_summary,
    simple_message_summary,
)
from tests.apps.conftest import (
    Scopes,
    dominant_frequency,
    set_quota,
    silence,
    tone,
    wav_bytes_info,
    write_wav,
)


def _stereo_44k(tmp_path: Path, seconds: float = 1.5) -> bytes:
    t = np.arange(int(seconds * 44100)) / 44100
    mono = (np.sin(2 * np.pi * 1000 * t) * 8000).astype("<i2")
    stereo = np.repeat(mono, 2)
    return write_wav(tmp_path / "in.wav", stereo.tobytes(), rate=44100, channels=2).read_bytes()


def _mp3(tmp_path: Path, seconds: float = 1.5) -> bytes:
    path = tmp_path / "in.mp3"
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", str(path), "synth", str(seconds), "sine", "1000"],
        check=True,
    )
    return path.read_bytes()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_sniff() -> None:
    assert sniff_format(b"RIFF\0\0\0\0WAVEfmt ") == "wav"
    assert sniff_format(b"ID3\x04") == "mp3"
    assert sniff_format(b"\xff\xfb\x90") == "mp3"
    assert sniff_format(b"OggS\0") is None
    assert sniff_format(b"") is None


async def test_wav_upload_is_converted_to_telephone_format(tmp_path: Path) -> None:
    target = tmp_path / "out" / "greeting.wav"
    info = await convert_upload(_stereo_44k(tmp_path), target)
    rate, channels, width, samples = wav_bytes_info(target.read_bytes(), tmp_path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert info.duration_ms == 1500
    assert info.size_bytes == len(target.read_bytes())
    assert dominant_frequency(samples) == pytest.approx(1000.0, abs=5)


async def test_mp3_upload_is_converted(tmp_path: Path) -> None:
    target = tmp_path / "moh.wav"
    info = await convert_upload(_mp3(tmp_path), target)
    rate, channels, _, samples = wav_bytes_info(target.read_bytes(), tmp_path)
    assert (rate, channels) == (8000, 1)
    assert info.duration_ms == pytest.approx(1500, abs=100)
    assert dominant_frequency(samples) == pytest.approx(1000.0, abs=10)


@pytest.mark.parametrize(
    ("data", "error", "error_id"),
    [
        (b"RIFF\x10\0\0\0WAVEgarbage-garbage-garbage", AudioBroken, "audio-broken"),
        (b"ID3\x03\0\0\0\0\0\0" + b"\0" * 64, AudioBroken, "audio-broken"),
        (b"OggS\0\x02" + b"\0" * 100, AudioUnsupported, "audio-unsupported-format"),
        (b"just some text, not audio", AudioUnsupported, "audio-unsupported-format"),
    ],
)
async def test_bad_uploads(
    tmp_path: Path, data: bytes, error: type[CentrexError], error_id: str
) -> None:
    target = tmp_path / "out" / "x.wav"
    with pytest.raises(error) as info:
        await convert_upload(data, target)
    assert info.value.error_id == error_id
    assert info.value.field == "file"
    assert _files(tmp_path / "out") == []


async def test_size_and_duration_limits(tmp_path: Path) -> None:
    data = _stereo_44k(tmp_path, 2.0)
    with pytest.raises(AudioTooLarge) as too_large:
        await convert_upload(data, tmp_path / "out" / "a.wav", max_bytes=1000)
    assert too_large.value.status == 413
    with pytest.raises(AudioTooLong) as too_long:
        await convert_upload(data, tmp_path / "out" / "b.wav", max_seconds=1.0)
    assert too_long.value.error_id == "audio-too-long"
    assert _files(tmp_path / "out") == []


async def test_greeting_upload_replaces_and_quota(
    db: Database, scopes: Scopes, two_tenants: dict[str, int], store: MediaStore, tmp_path: Path
) -> None:
    async with scopes("a.example.com") as scope:
        box = await vm.create_mailbox(scope, extension="101", pin="1234")
        first = await media_files.upload_media(
            scope,
            store,
            _stereo_44k(tmp_path),
            kind=MediaKind.GREETING,
            name="busy",
            mailbox_id=box.id,
            greeting=GreetingKind.BUSY,
        )
        first_path = store.resolve(first.path)
        second = await media_files.upload_media(
            scope,
            store,
            _mp3(tmp_path),
            kind=MediaKind.GREETING,
            name="busy 2",
            mailbox_id=box.id,
            greeting=GreetingKind.BUSY,
        )
        assert await media_files.greeting_file(
            scope, store, box.id, GreetingKind.BUSY
        ) == store.resolve(second.path)
        assert (
            await media_files.greeting_file(scope, store, box.id, GreetingKind.UNAVAILABLE) is None
        )
        assert [m.id for m in await media_files.list_media(scope)] == [second.id]
        assert (await usage(scope))["used_bytes"] == second.size_bytes
    assert not first_path.exists()
    await set_quota(db, two_tenants["a.example.com"], 0)
    with pytest.raises(QuotaExceeded) as info:
        async with scopes("a.example.com") as scope:
            await media_files.upload_media(
                scope, store, _mp3(tmp_path), kind=MediaKind.MOH, name="tune"
            )
    assert (info.value.error_id, info.value.status) == ("storage-quota-exceeded", 507)
    assert len(_files(store.data_dir / "tenants")) == 1  # only the greeting remains


async def test_greeting_upload_needs_mailbox(
    scopes: Scopes, store: MediaStore, tmp_path: Path
) -> None:
    async with scopes("a.example.com") as scope:
        with pytest.raises(CentrexError, match="mailbox"):
            await media_files.upload_media(
                scope, store, _mp3(tmp_path), kind=MediaKind.GREETING, name="g"
            )
        with pytest.raises(CentrexError, match="mailbox"):
            await media_files.upload_media(
                scope, store, _mp3(tmp_path), kind=MediaKind.MOH, name="m", mailbox_id=1
            )


async def test_moh_default_and_upload(scopes: Scopes, store: MediaStore, tmp_path: Path) -> None:
    async with scopes("a.example.com") as scope:
        default = await moh_file(scope, store, store.data_dir)
        assert default == store.data_dir / "moh" / "default.wav"
        rate, channels, _, samples = wav_bytes_info(default.read_bytes(), tmp_path)
        assert (rate, channels) == (8000, 1)
        assert len(samples) / rate >= 30
        assert float(np.sqrt(np.mean(samples.astype(float) ** 2))) > 300
        assert samples[0] == 0  # starts in silence: loops without a click
        upload = await media_files.upload_media(
            scope, store, _mp3(tmp_path), kind=MediaKind.MOH, name="jingle"
        )
        assert await moh_file(scope, store, store.data_dir) == store.resolve(upload.path)
        assert await moh_file(scope, store, store.data_dir, upload.id) == store.resolve(upload.path)
    async with scopes("b.example.com") as scope_b:
        # tenant b neither sees a's upload nor can pick it by id
        assert await moh_file(scope_b, store, store.data_dir) == default
        assert await moh_file(scope_b, store, store.data_dir, upload.id) == default
    assert default_moh(store.data_dir) == default


def test_mwi_body_round_trip() -> None:
    summary = MessageSummary(2, 8, 0, 2, "sip:101@acme.example")
    body = simple_message_summary(summary)
    assert body == (
        "Messages-Waiting: yes\r\n"
        "Message-Account: sip:101@acme.example\r\n"
        "Voice-Message: 2/8 (0/2)\r\n"
    )
    assert parse_simple_message_summary(body) == summary
    assert CONTENT_TYPE == "application/simple-message-summary"
    empty = simple_message_summary(MessageSummary(0, 3))
    assert empty.startswith("Messages-Waiting: no\r\n")
    # RFC 3842 example without the urgent counts, lower-case header names
    parsed = parse_simple_message_summary("messages-waiting: yes\nvoice-message: 4/8\n")
    assert (parsed.new, parsed.old, parsed.urgent_new) == (4, 8, 0)


@pytest.mark.parametrize(
    "body",
    [
        "Voice-Message: 1/0\r\n",
        "Messages-Waiting: maybe\r\n",
        "Messages-Waiting: yes\r\nVoice-Message: lots\r\n",
        "Messages-Waiting: no\r\nVoice-Message: 3/0 (0/0)\r\n",
        "no colon here\r\n",
    ],
)
def test_mwi_bad_bodies(body: str) -> None:
    with pytest.raises(MwiParseError):
        parse_simple_message_summary(body)


def test_mwi_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        simple_message_summary(MessageSummary(-1, 0))


def test_silence_detection() -> None:
    detector = SilenceDetector(silence_ms=1000)
    speech = tone(0.5)
    frames = [speech[i : i + 320] for i in range(0, len(speech), 320)]
    quiet = [bytes(320)] * 60
    assert not any(detector.feed(f) for f in frames)
    stops = [detector.feed(f) for f in quiet]
    assert stops.index(True) == 49  # 50 frames x 20 ms = 1 s of silence
    assert detector.heard_sound
    assert is_silent(silence(2.0))
    assert not is_silent(silence(1.0) + tone(0.1))
    trimmed = trim_trailing_silence(tone(1.0) + silence(3.0))
    assert len(trimmed) == 2 * 8000 * 13 // 10  # 1 s of tone plus 300 ms of tail
    assert trim_trailing_silence(tone(1.0)) == tone(1.0)
