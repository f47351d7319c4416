"""One settings object for the whole process.

Values come, in order of precedence, from explicit arguments, `CENTREX_*` environment variables,
an optional TOML file (`CENTREX_CONFIG`, default `<data dir>/centrex.toml`) and the defaults below,
which are chosen so that Centrex runs with zero configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def default_data_dir() -> Path:
    """The per-user data directory (e.g. ~/.local/share/centrex on Linux)."""
    return Path(platformdirs.user_data_dir("centrex", appauthor=False))


def _config_file() -> Path:
    explicit = os.environ.get("CENTREX_CONFIG")
    if explicit:
        return Path(explicit)
    data_dir = os.environ.get("CENTREX_DATA_DIR")
    return (Path(data_dir) if data_dir else default_data_dir()) / "centrex.toml"


class Settings(BaseSettings):
    """Process-wide configuration. Build it once in `server.py` or the CLI and pass it down."""

    model_config = SettingsConfigDict(env_prefix="CENTREX_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    secret_key: str = ""

    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    sip_tls_port: int = 5061
    sip_ws_port: int = 5066
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # SIP over secure WebSocket for browsers (RFC 7118), with the TLS certificate below;
    # -1: beside HTTP (http_port + 1, 8081 by default); 0: off
    sip_wss_port: int = -1
    _wss_beside_http: bool = PrivateAttr(default=False)
    public_address: str = ""

    rtp_port_min: int = 20000
    rtp_port_max: int = 29999
    # "expected": latch RTP only from the SDP or signalling address; "any": first source wins
    rtp_latch: str = "expected"

    ring_timeout: float = 60.0
    trunk_setup_timeout: float = 8.0
    route_cache_seconds: float = 2.0

    smtp_url: str = ""
    # how often `serve` synchronises the campaigns' CalDAV calendars (0: only after changes)
    caldav_sync_seconds: float = 60.0
    log_level: str = "INFO"

    auth_failures_to_ban: int = 5
    auth_failure_window_s: float = 60.0
    ban_seconds: float = 600.0
    max_messages_per_second: float = 200.0
    # SIP UDP socket receive buffer in bytes (0: the system's ~208 KiB): room for a burst of
    # ~16 000 REGISTERs/NOTIFY answers while the loop is busy
    sip_udp_receive_buffer: int = Field(default=8 * 1024 * 1024, ge=0)

    # SIP TLS certificate (PEM); empty: a self-signed one is generated in <data dir>/tls
    sip_tls_cert: str = ""
    sip_tls_key: str = ""
    # registrar (RFC 3261 §10.3): expiry granted when a phone asks none, 423 below the
    # minimum, capped at the maximum
    registrar_default_expires: int = 3600
    registrar_min_expires: int = 60
    registrar_max_expires: int = 7200
    # digest challenges in order (RFC 8760 §2.4) for tenants with the `compatible` digest
    # policy: MD5 first, since many phones (and sipp 3.6) read only the first challenge and
    # know only MD5; a tenant or extension may prefer or require SHA-256 (`digest_policy`)
    sip_digest_algorithms: str = "MD5,SHA-256"

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _wss_port_default(self) -> Settings:
        if self.sip_wss_port < 0:
            self.sip_wss_port = self.http_port + 1
            self._wss_beside_http = True
        return self

    @property
    def sip_wss_follows_http(self) -> bool:
        """True when `sip_wss_port` was not set (it is then the HTTP port + 1, and a command
        given another HTTP port puts WSS beside that one)."""
        return self._wss_beside_http

    @property
    def effective_database_url(self) -> str:
        """The configured URL, else an SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'centrex.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment and the TOML file, with explicit overrides on top."""
    return Settings(**overrides)
