"""The demo's passwords, kept in the data directory so that a restart does not break phones.

Centrex stores only digests (HA1 for SIP, Argon2 for portal logins), so the passwords the demo
prints cannot be read back from the database. A phone configured from yesterday's table must
still register after a restart, so the demo keeps the plaintext of its own demo tenant's
passwords, and only those, in `<data dir>/demo-credentials.json`, readable only by its owner
(mode 0600, written atomically). It is a demo convenience: real tenants' passwords are never
written anywhere.

A file that cannot be understood (not JSON, wrong shape, a password too short) is replaced by
new passwords with a warning rather than stopping the demo: nothing in it can be recovered, and
the table printed afterwards is the truth. A file that cannot be read or written at all (a
directory in its place, no permission) is a `DemoCredentialsError` with a message naming it.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from centrex.provisioning.credentials import generate_password

log = logging.getLogger(__name__)

FILE_NAME = "demo-credentials.json"
FORMAT_VERSION = 1
MIN_PASSWORD = 8  # the SIP and portal minimum (provisioning.extensions, provisioning.logins)
SIP_PASSWORD_LENGTH = 20  # as provisioning.credentials.generate_password
PORTAL_PASSWORD_LENGTH = 16


class DemoCredentialsError(Exception):
    """The credentials file exists but cannot be read or written (a clear one-line message)."""


class PasswordSource(StrEnum):
    """Where this start's passwords came from (the demo says it in its output)."""

    KEPT = "kept"  # read back from the file: the same as on the last start
    NEW = "new"  # first start (or a file that could not be understood)
    RESET = "reset"  # --reset
    GIVEN = "given"  # --password (SIP passwords; portal ones kept or new)


@dataclass
class DemoCredentials:
    """The demo tenant's passwords: per extension number, the tenant admin's and the softphone
    user's portal logins."""

    sip: dict[str, str] = field(default_factory=dict)
    admin_password: str = ""
    softphone_password: str = ""
    agent_password: str = ""  # the agent desktop's login (issue 16), owning 102
    supervisor_password: str = ""  # the supervisor console's login (issue 16)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "extensions": dict(self.sip),
            "admin_password": self.admin_password,
            "softphone_password": self.softphone_password,
            "agent_password": self.agent_password,
            "supervisor_password": self.supervisor_password,
        }


def credentials_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def _password(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) < MIN_PASSWORD:
        raise ValueError(f"{what} is not a password of at least {MIN_PASSWORD} characters")
    return value


def parse(data: object) -> DemoCredentials:
    """The credentials of a decoded file; ValueError names what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("the file does not hold a JSON object")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unknown format version {data.get('version')!r}")
    extensions = data.get("extensions")
    if not isinstance(extensions, dict):
        raise ValueError('"extensions" is not an object of number → password')
    return DemoCredentials(
        sip={str(k): _password(v, f"the password of {k}") for k, v in extensions.items()},
        admin_password=_password(data.get("admin_password"), '"admin_password"'),
        softphone_password=_password(data.get("softphone_password"), '"softphone_password"'),
        # absent from a file written before issue 16: new passwords are made for them
        agent_password=_optional(data.get("agent_password"), '"agent_password"'),
        supervisor_password=_optional(data.get("supervisor_password"), '"supervisor_password"'),
    )


def _optional(value: object, what: str) -> str:
    return "" if value is None else _password(value, what)


def load(path: Path) -> DemoCredentials | None:
    """The saved credentials; None when there is no file or it cannot be understood (warned).

    A file readable by others (copied around, restored from a backup) is narrowed back to 0600.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DemoCredentialsError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        raise DemoCredentialsError(f"{path} is not a regular file: remove it or move it away")
    try:
        if mode & 0o077:
            log.warning("%s was readable by others: narrowed to its owner (0600)", path)
            path.chmod(0o600)
        raw = path.read_bytes()
    except OSError as exc:
        raise DemoCredentialsError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return parse(json.loads(raw.decode("utf-8")))
    except ValueError as exc:  # UnicodeDecodeError and json.JSONDecodeError are ValueErrors
        log.warning("%s is not a valid demo credentials file (%s): new demo passwords replace it",
                    path, exc)  # fmt: skip
        return None


def save(path: Path, credentials: DemoCredentials) -> None:
    """Write the file atomically with mode 0600 whatever the umask (a temporary file in the same
    directory, created 0600 by `mkstemp`, then renamed over the old one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise DemoCredentialsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(credentials.to_json(), out, indent=2)
            out.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise DemoCredentialsError(f"cannot write {path}: {exc.strerror or exc}") from exc


def check_password(password: str) -> str:
    """The `--password` rule: what the SIP provisioning accepts (at least 8 characters)."""
    if len(password) < MIN_PASSWORD:
        raise DemoCredentialsError(
            f"--password must have at least {MIN_PASSWORD} characters (it is every demo"
            " phone's SIP password)"
        )
    return password


def resolve(
    path: Path, numbers: Sequence[str], *, reset: bool = False, password: str | None = None
) -> tuple[DemoCredentials, PasswordSource]:
    """This start's passwords, saved to `path` before the database is touched.

    The file is the truth and the database follows it, so a start that fails half-way still
    leaves the next one with the passwords the file holds. Numbers missing from the file (an
    extension the demo gained) get new passwords; the others keep theirs.
    """
    if password is not None:
        check_password(password)
    saved = None if reset else load(path)
    credentials = saved or DemoCredentials()
    source = PasswordSource.RESET if reset else PasswordSource.NEW
    if saved is not None:
        source = PasswordSource.KEPT
    if password is not None:
        source = PasswordSource.GIVEN
    sip = {
        number: password or credentials.sip.get(number) or generate_password(SIP_PASSWORD_LENGTH)
        for number in numbers
    }
    result = DemoCredentials(
        sip=sip,
        admin_password=credentials.admin_password or generate_password(PORTAL_PASSWORD_LENGTH),
        softphone_password=credentials.softphone_password
        or generate_password(PORTAL_PASSWORD_LENGTH),
        agent_password=credentials.agent_password or generate_password(PORTAL_PASSWORD_LENGTH),
        supervisor_password=credentials.supervisor_password
        or generate_password(PORTAL_PASSWORD_LENGTH),
    )
    if saved is None or result != saved or not _private(path):
        save(path, result)
    return result, source


def _private(path: Path) -> bool:
    try:
        return path.stat().st_mode & 0o777 == 0o600
    except OSError:
        return False
