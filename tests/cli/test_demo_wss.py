"""`centrex demo` and `centrex serve` listen for SIP over secure WebSocket (browsers' softphones):
the demo prints the wss URL, `serve` puts it beside HTTP (HTTP port + 1) unless
CENTREX_SIP_WSS_PORT says otherwise, and a real WebSocket client (`websockets`, subprotocol
"sip", the self-signed certificate not verified) gets a SIP answer over it."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.helpers import free_port, wait_http


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "centrex", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"process did not stop on SIGINT: {err}")
    return process.returncode, out, err


def _options_over_wss(url: str) -> str:
    """Send OPTIONS over the WebSocket; returns the first line of the answer."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the generated self-signed certificate

    async def run() -> str:
        async with connect(url, subprotocols=[Subprotocol("sip")], ssl=context,
                           local_addr=("127.0.0.62", 0)) as ws:  # fmt: skip
            branch = secrets.token_hex(6)
            await ws.send(
                "OPTIONS sip:demo.centrex.test SIP/2.0\r\n"
                f"Via: SIP/2.0/WSS k3k3k3.invalid;branch=z9hG4bK{branch}\r\n"
                "Max-Forwards: 70\r\nTo: <sip:demo.centrex.test>\r\n"
                f"From: <sip:probe@k3k3k3.invalid>;tag={branch}\r\nCall-ID: {branch}\r\n"
                "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            )
            async with asyncio.timeout(20):
                answer = await ws.recv()
            text = answer if isinstance(answer, str) else answer.decode()
            return text.split("\r\n", 1)[0]

    return asyncio.run(run())


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, CENTREX_DATA_DIR=str(tmp_path / "data"), CENTREX_DATABASE_URL="")
    env.pop("CENTREX_CONFIG", None)
    env.update(extra)
    return env


def test_demo_prints_the_wss_url_and_answers_on_it(tmp_path: Path) -> None:
    sip, http, wss = free_port(), free_port(), free_port()
    env = _env(tmp_path, CENTREX_SIP_WSS_PORT=str(wss))
    args = ["demo", "--sip", f"127.0.0.1:{sip}", "--http", f"127.0.0.1:{http}", "--json"]
    process = _start(args, env)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        wait_http(f"http://127.0.0.1:{http}/api/v1/health")
        assert info["wss_url"] == f"wss://127.0.0.1:{wss}"
        assert _options_over_wss(info["wss_url"]) == "SIP/2.0 200 OK"
    finally:
        code, _out, err = _stop(process)
    assert code == 0, err
    # the readable banner says it too
    process = _start(args[:-1], env)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while lines[-1] and "Press Ctrl-C" not in lines[-1]:
            lines.append(process.stdout.readline())
        banner = "".join(lines)
        wait_http(f"http://127.0.0.1:{http}/api/v1/health")
    finally:
        _stop(process)
    assert f"SIP over secure WebSocket at wss://127.0.0.1:{wss}" in banner, banner


def _port_with_free_neighbour() -> int:
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports")


def test_serve_puts_wss_beside_http_by_default(tmp_path: Path) -> None:
    sip, http = free_port(), _port_with_free_neighbour()
    env = _env(tmp_path)
    env.pop("CENTREX_SIP_WSS_PORT", None)  # the suite's per-process port: not wanted here
    subprocess.run([sys.executable, "-m", "centrex", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    process = _start(["serve", "--sip", f"127.0.0.1:{sip}", "--http", f"127.0.0.1:{http}"], env)
    try:
        wait_http(f"http://127.0.0.1:{http}/api/v1/health")
        assert _options_over_wss(f"wss://127.0.0.1:{http + 1}") == "SIP/2.0 200 OK"
    finally:
        code, _out, err = _stop(process)
    assert code == 0, err
    assert f"127.0.0.1:{http + 1} (secure WebSocket)" in err
