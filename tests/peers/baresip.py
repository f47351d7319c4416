"""Running baresip 1.0 headless as a registering softphone.

Each instance gets its own config directory (`config` + `accounts`) and its own loopback
address (shared/TESTING-NOTES.md). No UI and no audio modules are loaded: registration needs
only the `account` module. For TLS, `sip_cafile` points at the server's (self-signed)
certificate, the trust anchor baresip 1.0 understands.
"""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

MODULE_PATH = "/usr/lib/baresip/modules"


@dataclass
class BaresipAccount:
    user: str
    domain: str
    password: str
    proxy: tuple[str, int]
    transport: str = "udp"
    regint: int = 600

    def line(self) -> str:
        host, port = self.proxy
        aor = f"<sip:{self.user}@{self.domain}"
        outbound = f"sip:{host}:{port}"
        if self.transport != "udp":
            aor += f";transport={self.transport}"
            outbound += f";transport={self.transport}"
        return (
            f'{aor}>;auth_pass={self.password};outbound="{outbound}";regint={self.regint};ptime=20'
        )


@dataclass
class Baresip:
    """One headless baresip process (a context manager)."""

    directory: Path
    listen: tuple[str, int]
    accounts: list[BaresipAccount]
    cafile: Path | None = None
    process: subprocess.Popen[str] | None = field(default=None, init=False)

    def write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        lines = [
            f"module_path {MODULE_PATH}",
            f"sip_listen {self.listen[0]}:{self.listen[1]}",
            "sip_trans_def udp",
            "module_app account.so",
            "audio_path /usr/share/baresip",
            "net_prefer_ipv6 no",
        ]
        if self.cafile is not None:
            lines.append(f"sip_cafile {self.cafile}")
        (self.directory / "config").write_text("\n".join(lines) + "\n", encoding="ascii")
        (self.directory / "accounts").write_text(
            "\n".join(a.line() for a in self.accounts) + "\n", encoding="ascii"
        )

    def __enter__(self) -> Baresip:
        self.write_config()
        with (self.directory / "baresip.log").open("w") as log:
            self.process = subprocess.Popen(
                ["baresip", "-f", str(self.directory)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        return self

    def log(self) -> str:
        path = self.directory / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
