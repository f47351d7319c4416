"""The runtime media modules keep DESIGN.md's layer rules; the SDP/port helpers stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MEDIA = Path(__file__).resolve().parents[2] / "centrex" / "media"
RUNTIME = [
    "ports.py",
    "ticker.py",
    "session.py",
    "relay.py",
    "sdp_rewrite.py",
    "engine.py",
    "channel.py",
    "player.py",
    "recorder.py",
    "digits.py",
]
PURE = ["ports.py", "sdp_rewrite.py", "relay.py"]
IO = {"asyncio", "socket", "ssl", "time", "sqlalchemy", "uvloop", "selectors"}
UPPER = {"transport", "registrar", "calls", "apps", "api", "web", "cli", "server", "data"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("name", RUNTIME)
def test_runtime_modules_import_no_upper_layer(name: str) -> None:
    bad = {
        n for n in imports(MEDIA / name) if n.startswith("centrex.") and n.split(".")[1] in UPPER
    }
    assert not bad


@pytest.mark.parametrize("name", PURE)
def test_sdp_and_port_helpers_are_pure(name: str) -> None:
    assert not {n.split(".")[0] for n in imports(MEDIA / name)} & IO


@pytest.mark.parametrize("name", RUNTIME)
def test_no_print_and_no_time_module(name: str) -> None:
    """Time comes from the injected Clock (DESIGN.md habit 2); output goes through logging."""
    source = (MEDIA / name).read_text(encoding="utf-8")
    assert "print(" not in source
    assert "time" not in {n.split(".")[0] for n in imports(MEDIA / name)}
