"""A real Radicale CalDAV server for tests: started on a free port with htpasswd authentication
(a plain user file) and its storage in a temporary directory; it can be stopped and started
again on the same port and storage (the "server down" cases)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from caldav.collection import Calendar
from caldav.davclient import DAVClient

from tests.helpers import free_port

USER, PASSWORD = "alice", "s3cret-Alice"


class Radicale:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        users = root / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        self.config = root / "config"
        self.config.write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{self.port}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {users}\n"
            "htpasswd_encryption = plain\n"
            "delay = 0\n"
            "[storage]\n"
            f"filesystem_folder = {root / 'collections'}\n"
            "[logging]\n"
            "level = warning\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with (self.root / "radicale.log").open("ab") as log_file:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(self.config)],
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.root / "radicale.log").read_text()
                raise RuntimeError(f"radicale exited: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("radicale did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    @contextmanager
    def client(self, password: str = PASSWORD) -> Iterator[DAVClient]:
        with DAVClient(url=f"{self.url}/{USER}/", username=USER, password=password,
                       enable_rfc6764=False) as client:  # fmt: skip
            yield client

    def make_calendar(self, name: str) -> str:
        """A new calendar collection of the user; its URL."""
        with self.client() as client:
            principal: Any = client.principal()  # type: ignore[no-untyped-call]
            made = principal.make_calendar(name=name, cal_id=name)
            return str(made.url)

    def events(self, url: str) -> list[Any]:
        """The icalendar VEVENT components on the calendar at `url`."""
        with self.client() as client:
            calendar: Any = Calendar(client=client, url=url)
            found = []
            for obj in calendar.get_events():
                found.extend(obj.icalendar_instance.walk("VEVENT"))
            return found

    def add_event(self, url: str, ical: str) -> None:
        with self.client() as client:
            Calendar(client=client, url=url).add_event(ical=ical)

    def delete_event(self, url: str, uid: str) -> None:
        with self.client() as client:
            event: Any = Calendar(client=client, url=url).get_event_by_uid(uid)
            event.delete()

    def edit_event(self, url: str, uid: str, summary: str) -> None:
        with self.client() as client:
            event: Any = Calendar(client=client, url=url).get_event_by_uid(uid)
            component = event.icalendar_instance.walk("VEVENT")[0]
            component["SUMMARY"] = summary
            event.data = event.icalendar_instance.to_ical().decode()
            event.save()


@contextmanager
def running_radicale(root: Path) -> Iterator[Radicale]:
    server = Radicale(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
