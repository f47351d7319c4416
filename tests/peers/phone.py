"""A baresip 1.0 softphone that places and answers real calls with real audio.

Each phone sends a WAV (a tone) as its microphone (`aufile`), records what it hears with
`sndfile` (`dump-*-dec.wav`), and takes commands over `ctrl_tcp` (netstring JSON: dial, hangup,
hold, resume). Phones listen on 127.0.0.1 with their own ports: baresip binds its RTP to the
default address whatever `sip_listen` says, and symmetric latching wants signalling and media
from one host (shared/TESTING-NOTES.md). baresip opens TLS on the SIP port + 1, so ports are
spaced by the caller.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODULE_PATH = "/usr/lib/baresip/modules"


def write_tone(path: Path, frequency: float, seconds: float = 120.0) -> Path:
    """An 8 kHz mono WAV of a sine, longer than any call (baresip hangs up at end of file)."""
    samples = np.arange(int(8000 * seconds))
    pcm = (0.35 * 32767 * np.sin(2 * np.pi * frequency * samples / 8000)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(pcm.tobytes())
    return path


def read_recording(path: Path, timeout: float = 5.0) -> np.ndarray:
    """The samples of a baresip recording once the file is a complete WAV.

    baresip's sndfile module writes the header when it opens and finalises the file when the
    call ends, a moment after the SIP hang-up the test saw: read too early and the file has no
    `fmt `/`data` chunk yet. Wait (bounded) until it parses and its size stops changing.
    """
    deadline = time.monotonic() + timeout
    last_size = -1
    while True:
        size = path.stat().st_size if path.exists() else -1
        try:
            with wave.open(str(path), "rb") as source:
                frames = source.readframes(source.getnframes())
            if size == last_size or time.monotonic() >= deadline:
                return np.frombuffer(frames, dtype="<i2").astype(float)
        except (wave.Error, EOFError):
            if time.monotonic() >= deadline:
                raise
        last_size = size
        time.sleep(0.2)


def dominant_frequency(path: Path) -> tuple[float, float]:
    """(peak frequency in Hz, RMS) of the middle second of a recording."""
    data = read_recording(path)
    if len(data) < 8000:
        return 0.0, 0.0
    middle = data[len(data) // 2 - 4000 : len(data) // 2 + 4000]
    spectrum = np.abs(np.fft.rfft(middle))
    return float(np.argmax(spectrum) * 8000 / len(middle)), float(np.sqrt(np.mean(middle**2)))


def _free_port_pair() -> int:
    """A port free with the next one too (baresip's SIP port and its TLS port + 1)."""
    from tests.helpers import free_port

    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports for baresip")


@dataclass
class Phone:
    """One baresip process with one account (a context manager)."""

    directory: Path
    user: str
    domain: str
    password: str
    server: tuple[str, int]
    sip_port: int
    ctrl_port: int
    rtp_ports: tuple[int, int]
    tone: Path
    auto_answer: bool = False
    process: subprocess.Popen[str] | None = field(default=None, init=False)

    def write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = [
            f"module_path {MODULE_PATH}",
            f"sip_listen 127.0.0.1:{self.sip_port}",
            "sip_trans_def udp",
            "net_prefer_ipv6 no",
            f"rtp_ports {self.rtp_ports[0]}-{self.rtp_ports[1]}",
            "module g711.so",
            "module aufile.so",
            "module sndfile.so",
            "module_app account.so",
            "module_app menu.so",
            "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"audio_source aufile,{self.tone}",
            "audio_player aufile,/dev/null",
            f"snd_path {self.directory}",
        ]
        (self.directory / "config").write_text("\n".join(config) + "\n", encoding="ascii")
        host, port = self.server
        account = (
            f"<sip:{self.user}@{self.domain}>;auth_pass={self.password};"
            f'outbound="sip:{host}:{port}";regint=600;ptime=20;audio_codecs=PCMU,PCMA'
        )
        if self.auto_answer:
            account += ";answermode=auto"
        (self.directory / "accounts").write_text(account + "\n", encoding="ascii")

    def __enter__(self) -> Phone:
        # baresip also binds TLS on the SIP port + 1, which nothing reserved: when another
        # process took it meanwhile, start again on a new port (bounded) instead of failing.
        for _attempt in range(3):
            if self._start():
                return self
            log = self.log()
            self._reap()
            if "Address already in use" not in log:
                break
            self.sip_port = _free_port_pair()
        raise RuntimeError(f"baresip did not start: {self.log()}")

    def _start(self) -> bool:
        self.write_config()
        with (self.directory / "baresip.log").open("w") as log:
            self.process = subprocess.Popen(
                ["baresip", "-f", str(self.directory)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1),
            ):
                return True
            if self.process.poll() is not None:
                return False  # exited (e.g. a port in use): no need to wait the 15 s
            time.sleep(0.1)
        return False

    def _reap(self) -> None:
        """A baresip that did not come up is ended and waited for (no stray process)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.directory / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def command(self, command: str, params: str = "") -> str:
        """Send one ctrl_tcp command; returns baresip's response text."""
        body = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5) as conn:
            conn.sendall(str(len(body)).encode() + b":" + body + b",")
            conn.settimeout(5)
            data = b""
            with contextlib.suppress(TimeoutError):
                while b"," not in data[data.find(b":") :] or data.count(b":") == 0:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                    if data.endswith(b","):
                        break
        return data.decode(errors="replace")

    def wait_log(self, text: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.1)
        return False

    def wait_hung_up(self, timeout: float = 15.0) -> bool:
        """The call ended: baresip's menu prints "... terminated" for most calls, but for a
        call closed by a BYE within its first second it printed only "session closed: ..."
        (ECONNRESET, its word for a received BYE)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if "terminated (duration" in log or "session closed: Connection reset" in log:
                return True
            time.sleep(0.1)
        return False

    def recordings(self) -> list[Path]:
        """Decoded audio (what this phone heard) of each call, oldest first."""
        return sorted(self.directory.glob("dump-*-dec.wav"))
