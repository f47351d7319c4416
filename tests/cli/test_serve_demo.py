"""`centrex serve` and `centrex demo` as real processes: start, answer, stop cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_http


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "centrex", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"process did not stop on SIGINT: {err}")
    return process.returncode, out, err


def test_serve_starts_answers_and_stops(cli_env: dict[str, str]) -> None:
    sip, http = free_port(), free_port()
    process = _start(["serve", "--sip", f"127.0.0.1:{sip}", "--http", f"127.0.0.1:{http}"], cli_env)
    try:
        health = json.loads(wait_http(f"http://127.0.0.1:{http}/api/v1/health"))
        assert health["status"] == "ok"
    finally:
        code, _out, err = _stop(process)
    assert code == 0, err


def test_serve_refuses_unmigrated_database(tmp_path: Path) -> None:
    env = dict(os.environ, CENTREX_DATA_DIR=str(tmp_path), CENTREX_DATABASE_URL="")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "centrex",
            "serve",
            "--sip",
            "127.0.0.1:0",
            "--http",
            f"127.0.0.1:{free_port()}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "centrex db upgrade" in done.stderr


def test_demo_prints_credentials_and_serves(tmp_path: Path) -> None:
    env = dict(os.environ, CENTREX_DATA_DIR=str(tmp_path / "data"), CENTREX_DATABASE_URL="")
    sip, http = free_port(), free_port()
    args = ["demo", "--sip", f"127.0.0.1:{sip}", "--http", f"127.0.0.1:{http}", "--json"]
    process = _start(args, env)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        wait_http(f"http://127.0.0.1:{http}/api/v1/health")
    finally:
        code, _out, err = _stop(process)
    assert code == 0, err
    assert info["domain"] == "demo.centrex.test"
    assert info["sip_port"] == sip
    assert [x["number"] for x in info["extensions"]] == ["101", "102", "103"]
    passwords = [x["password"] for x in info["extensions"]]
    assert all(len(p) >= 16 for p in passwords)
    assert info["portal"] == f"http://127.0.0.1:{http}/"
    group = {"number": "600", "strategy": "simultaneous", "members": ["101", "102", "103"]}
    assert info["ring_group"] == group
    database = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("centrex.db*"))
    for password in [*passwords, info["admin_password"]]:
        assert password.encode() not in database

    # a second start reuses the tenant and keeps the passwords (<data dir>/demo-credentials.json)
    process = _start(args, env)
    try:
        assert process.stdout is not None
        again = json.loads(process.stdout.readline())
        # stop it once it serves: a SIGINT before the signal handlers are in place can be lost
        wait_http(f"http://127.0.0.1:{http}/api/v1/health")
    finally:
        _stop(process)
    assert [x["number"] for x in again["extensions"]] == ["101", "102", "103"]
    assert [x["password"] for x in again["extensions"]] == passwords
    assert again["ring_group"] == group  # reused, not created twice


def test_demo_follows_the_port_settings(tmp_path: Path) -> None:
    """Without --sip/--http the demo takes CENTREX_SIP_PORT and CENTREX_HTTP_PORT (as `serve`
    does), listening for SIP on every interface so that a real phone can register."""
    sip, http = free_port(), free_port()
    env = dict(
        os.environ,
        CENTREX_DATA_DIR=str(tmp_path / "data"),
        CENTREX_DATABASE_URL="",
        CENTREX_SIP_PORT=str(sip),
        CENTREX_HTTP_PORT=str(http),
    )
    process = _start(["demo", "--json"], env)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        wait_http(f"http://127.0.0.1:{http}/api/v1/health")
    finally:
        code, _out, err = _stop(process)
    assert code == 0, err
    assert info["sip_port"] == sip
    assert info["portal"] == f"http://127.0.0.1:{http}/"
    assert info["sip_server"] != "0.0.0.0"  # the table shows an address a phone can use
