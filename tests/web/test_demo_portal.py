"""`centrex demo` (what `make run` starts): the printed portal URL lets the demo admin log in
and manage extensions."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_http


def test_demo_admin_logs_in_at_the_printed_url(tmp_path: Path) -> None:
    env = dict(os.environ, CENTREX_DATA_DIR=str(tmp_path / "data"), CENTREX_DATABASE_URL="")
    sip, http = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "centrex",
            "demo",
            "--sip",
            f"127.0.0.1:{sip}",
            "--http",
            f"127.0.0.1:{http}",
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        wait_http(f"http://127.0.0.1:{http}/api/v1/health")
        with httpx.Client(base_url=info["portal"], follow_redirects=True, timeout=30) as client:
            login = client.get("/")
            assert str(login.url).endswith("/login")
            match = re.search(r'name="csrf" value="([^"]+)"', login.text)
            assert match is not None
            form = {
                "email": info["admin_email"],
                "password": info["admin_password"],
                "csrf": match.group(1),
            }
            page = client.post("/login", data=form)
            assert page.status_code == 200
            assert str(page.url).endswith("/tenant/extensions")
            for number in ("101", "102", "103"):
                assert f'data-extension="{number}"' in page.text
            csrf = re.search(r'data-csrf="([^"]+)"', page.text)
            assert csrf is not None
            created = client.post(
                "/tenant/extensions", data={"number": "104", "name": "Dave", "csrf": csrf.group(1)}
            )
            assert 'data-extension="104"' in created.text
            assert "Extension 104 created" in created.text
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
