"""baresip phones with extra modules and codecs for the SRTP and G.722 e2e tests (issue 14).

`Phone` (tests/peers/phone.py) is a G.711 phone; these add `mediaenc` (the `srtp` module:
`srtp` best effort, `srtp-mand` RTP/SAVP) and an `audio_codecs` list (`g722` module), with a
16 kHz tone for wideband phones.
"""

from __future__ import annotations

import itertools
import socket
import struct
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.e2e.test_calls import CallPbx
from tests.helpers import free_port
from tests.peers.phone import Phone, read_recording, write_tone
from tests.peers.rtp_capture import PACKET_HOST, RtpCapture

_rtp_base = itertools.cycle(range(52000, 56000, 100))  # apart from test_calls.phone


@dataclass
class ModPhone(Phone):
    """A baresip phone with `mediaenc` and/or other codecs."""

    mediaenc: str | None = None
    codecs: str = "PCMU,PCMA"

    def write_config(self) -> None:
        super().write_config()
        config = self.directory / "config"
        extra = ["module srtp.so", "module g722.so"]
        config.write_text(config.read_text() + "\n".join(extra) + "\n", encoding="ascii")
        accounts = self.directory / "accounts"
        line = (
            accounts.read_text()
            .strip()
            .replace("audio_codecs=PCMU,PCMA", f"audio_codecs={self.codecs}")
        )
        if self.mediaenc:
            line += f";mediaenc={self.mediaenc}"
        accounts.write_text(line + "\n", encoding="ascii")


def write_tone_16k(path: Path, frequency: float, seconds: float = 120.0) -> Path:
    samples = np.arange(int(16000 * seconds))
    pcm = (0.35 * 32767 * np.sin(2 * np.pi * frequency * samples / 16000)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(pcm.tobytes())
    return path


def mod_phone(
    pbx: CallPbx,
    tmp: Path,
    user: str,
    domain: str,
    hz: float,
    *,
    answer: bool = False,
    mediaenc: str | None = None,
    codecs: str = "PCMU,PCMA",
    wide: bool = False,
) -> ModPhone:
    directory = tmp / f"phone-{user}"
    directory.mkdir(parents=True, exist_ok=True)
    base = next(_rtp_base)
    sip_port = free_port()
    while sip_port + 1 == pbx.sip:
        sip_port = free_port()
    tone = (write_tone_16k if wide else write_tone)(directory / "tone.wav", hz)
    return ModPhone(
        directory=directory, user=user, domain=domain, password=f"pw-{user}-secret",
        server=("127.0.0.1", pbx.sip), sip_port=sip_port, ctrl_port=free_port(),
        rtp_ports=(base, base + 40), tone=tone, auto_answer=answer, mediaenc=mediaenc,
        codecs=codecs,
    )  # fmt: skip


def peak(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(peak frequency in Hz, RMS) of the middle second of `samples` at `rate`."""
    if len(samples) < rate:
        return 0.0, 0.0
    middle = samples[len(samples) // 2 - rate // 2 : len(samples) // 2 + rate // 2]
    spectrum = np.abs(np.fft.rfft(middle))
    return float(np.argmax(spectrum) * rate / len(middle)), float(np.sqrt(np.mean(middle**2)))


def recording_peak(path: Path) -> tuple[float, float]:
    """`peak` of a baresip recording at its own sample rate (8 kHz G.711, 16 kHz G.722)."""
    data = read_recording(path)
    with wave.open(str(path), "rb") as source:
        rate = source.getframerate()
    return peak(data, rate)


@dataclass
class PortCapture(RtpCapture):
    """`RtpCapture` of what Centrex sends: only datagrams whose source port is in Centrex's
    media range (`CallPbx`: 41000-41999), so RTP of a parallel test that lands on the same
    phone ports is not counted; keeps each packet's (source, destination) ports."""

    sources: tuple[int, int] = (41000, 41999)
    ports: list[tuple[int, int]] = field(default_factory=list)

    def _run(self, sock: socket.socket) -> None:
        with sock:
            while not self._stop.is_set():
                try:
                    frame, address = sock.recvfrom(65535)
                except TimeoutError:
                    continue
                if address[2] != PACKET_HOST or len(frame) < 14 + 20 + 8 + 12:
                    continue
                ip = frame[14:]
                if ip[0] >> 4 != 4 or ip[9] != 17:
                    continue
                udp = ip[(ip[0] & 0x0F) * 4 :]
                source, port = struct.unpack_from("!HH", udp, 0)
                rtp = udp[8:]
                if not self.sources[0] <= source <= self.sources[1]:
                    continue
                if self.low <= port <= self.high and rtp[0] & 0xC0 == 0x80:
                    csrc = rtp[0] & 0x0F
                    self.packets.append((rtp[1] & 0x7F, bytes(rtp[12 + 4 * csrc :])))
                    self.ports.append((source, port))
