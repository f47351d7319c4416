"""Small PyAV helpers shared by the codecs that wrap ffmpeg (G.722, Opus): mono s16 frames in
and out, a resampler call, and a FIFO that turns the resampler's uneven output into exact
frames (its filter delays the first samples, which come out as leading silence)."""

from __future__ import annotations

from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler

__all__ = ["Fifo", "frame", "pcm", "resample"]


def frame(data: bytes, rate: int) -> AudioFrame:
    """Mono s16 `data` at `rate` as a PyAV frame."""
    out = AudioFrame(format="s16", layout="mono", samples=len(data) // 2)
    out.planes[0].update(data)
    out.sample_rate = rate
    return out


def pcm(decoded: AudioFrame) -> bytes:
    """The s16 samples of a mono PyAV frame (its plane may be padded)."""
    return bytes(decoded.planes[0])[: decoded.samples * 2]


class Fifo:
    """Bytes in, exactly `size`-byte chunks out; short at the start is padded with silence."""

    __slots__ = ("_buf", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._buf = bytearray()

    def push(self, data: bytes) -> None:
        self._buf += data

    def pop(self, size: int | None = None) -> bytes:
        want = self.size if size is None else size
        if len(self._buf) < want:
            self._buf[0:0] = bytes(want - len(self._buf))  # resampler delay: leading silence
        out = bytes(self._buf[:want])
        del self._buf[:want]
        return out


def resample(resampler: AudioResampler, data: bytes, rate: int) -> bytes:
    return b"".join(pcm(f) for f in resampler.resample(frame(data, rate)))
