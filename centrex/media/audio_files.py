"""Audio files on disk: upload conversion and e-mail encoding with sox, run as a subprocess.

Why sox: it is a Debian package that reads WAV and (with `libsox-fmt-mp3`) MP3, resamples with
a proper filter and never downloads anything. Everything Centrex plays or stores is "telephone
WAV": 8 kHz, 16-bit signed, mono, the format the media engine frames into 20 ms packets.

Uploads are checked in a fixed order so each failure has one clear error id: size first (before
any work), then the container (magic bytes: RIFF/WAVE, ID3 or an MPEG frame sync), then whether
sox can decode it, then the decoded duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from centrex.errors import CentrexError, ValidationFailed

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
TELEPHONE_WAV_ARGS = ("-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer")
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_SECONDS = 600.0
TOOL_TIMEOUT_S = 120.0


class AudioTooLarge(ValidationFailed):
    status = 413
    error_id = "audio-too-large"


class AudioUnsupported(ValidationFailed):
    status = 415
    error_id = "audio-unsupported-format"


class AudioBroken(ValidationFailed):
    error_id = "audio-broken"


class AudioTooLong(ValidationFailed):
    error_id = "audio-too-long"


class ToolMissing(CentrexError):
    """A Debian program Centrex needs (sox, espeak-ng) is not installed."""

    status = 503
    error_id = "audio-tool-missing"


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """A stored telephone WAV: how long and how big."""

    duration_ms: int
    size_bytes: int


def sniff_format(data: bytes) -> str | None:
    """ "wav" or "mp3" from the first bytes, None for anything else."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3":
        return "mp3"
    if len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0:
        return "mp3"
    return None


def _read(path: Path) -> bytes:
    return path.read_bytes()


def is_file(path: Path) -> bool:
    """Whether a file exists (sync on purpose, like `discard`)."""
    return path.is_file()


def discard(path: Path) -> None:
    """Remove a file if it exists (sync on purpose: local disk, microseconds)."""
    path.unlink(missing_ok=True)


def wav_info(path: Path) -> AudioInfo:
    """Duration and size of a PCM WAV file (stdlib `wave`)."""
    with wave.open(str(path), "rb") as wav:
        frames, rate = wav.getnframes(), wav.getframerate()
    return AudioInfo(round(1000 * frames / rate) if rate else 0, path.stat().st_size)


async def run_tool(*argv: str, stdin: bytes | None = None) -> bytes:
    """Run a program, return its stdout; raise RuntimeError with stderr on failure."""
    if shutil.which(argv[0]) is None:
        raise ToolMissing(f"{argv[0]} is not installed (Debian package needed)")
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), TOOL_TIMEOUT_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise RuntimeError(f"{argv[0]} did not finish within {TOOL_TIMEOUT_S:.0f} s") from None
    if process.returncode != 0:
        raise RuntimeError(err.decode(errors="replace").strip() or f"{argv[0]} failed")
    return out


async def to_telephone_wav(source: Path, target: Path, source_type: str | None = None) -> None:
    """Convert any audio sox reads into telephone WAV at `target` (written atomically)."""
    tmp = target.with_name(f".{target.name}.tmp")
    type_args = ("-t", source_type) if source_type else ()
    try:
        await run_tool("sox", *type_args, str(source), *TELEPHONE_WAV_ARGS, "-t", "wav", str(tmp))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


async def convert_upload(
    data: bytes,
    target: Path,
    *,
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> AudioInfo:
    """Check and convert an uploaded WAV or MP3 into telephone WAV at `target`."""
    if len(data) > max_bytes:
        raise AudioTooLarge(
            f"the file has {len(data)} bytes, at most {max_bytes} are accepted", field="file"
        )
    kind = sniff_format(data)
    if kind is None:
        raise AudioUnsupported("only WAV and MP3 files are accepted", field="file")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(suffix=f".{kind}", dir=target.parent)
    source = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            await to_telephone_wav(source, target, kind)
            info = wav_info(target)
        except (RuntimeError, wave.Error, EOFError) as exc:
            discard(target)
            raise AudioBroken(
                f"the {kind.upper()} file cannot be decoded: {exc}", field="file"
            ) from exc
    finally:
        discard(source)
    if info.duration_ms <= 0:
        discard(target)
        raise AudioBroken("the file contains no audio", field="file")
    if info.duration_ms > max_seconds * 1000:
        discard(target)
        raise AudioTooLong(
            f"the audio lasts {info.duration_ms / 1000:.1f} s, at most {max_seconds:.0f} s",
            field="file",
        )
    return info


async def encode_mp3(source: Path) -> bytes | None:
    """MP3 bytes of a WAV file via sox (libsox-fmt-mp3) or lame; None when neither works."""
    fd, name = tempfile.mkstemp(suffix=".mp3")
    os.close(fd)
    target = Path(name)
    try:
        for argv in (
            ("sox", str(source), "-t", "mp3", str(target)),
            ("lame", "--quiet", str(source), str(target)),
        ):
            try:
                await run_tool(*argv)
            except (RuntimeError, ToolMissing) as exc:
                log.debug("mp3 encoding with %s failed: %s", argv[0], exc)
                continue
            data = _read(target)
            if data:
                return data
        return None
    finally:
        discard(target)
