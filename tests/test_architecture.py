"""Architecture rules of shared/DESIGN.md §3 checked on the source tree.

Pure modules (the SIP core, the RTP/codec/DTMF code, the router, rating, dialer pacing) must not
import asyncio, socket, ssl, time or sqlalchemy: that is what lets them be tested with byte
fixtures and a manual clock. Lower layers must not import upper ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "centrex"
FORBIDDEN_IN_PURE = {"asyncio", "socket", "ssl", "time", "sqlalchemy", "uvloop", "selectors"}
PURE_GLOBS = [
    "sip/**/*.py",
    "media/rtp.py",
    "media/rtcp.py",
    "media/jitter.py",
    "media/dtmf.py",
    "media/codecs/**/*.py",
    "calls/router.py",
    "billing/rating.py",
    "billing/clauses.py",
    "billing/decks.py",
    "contact_center/dialer.py",
]
# layer -> layers it must never import (DESIGN.md §3 dependency direction)
FORBIDDEN_LAYERS = {
    "sip": {"transport", "registrar", "calls", "media", "apps", "api", "web", "cli", "server"},
    "media": {"transport", "registrar", "calls", "apps", "api", "web", "cli", "server", "data"},
    "transport": {"registrar", "calls", "apps", "api", "web", "cli", "server"},
    "registrar": {"calls", "apps", "api", "web", "cli", "server"},
    "calls": {"apps", "api", "web", "cli", "server"},
    "data": {"sip", "transport", "registrar", "calls", "media", "apps", "api", "web", "cli"},
    "billing": {"api", "web", "cli", "server"},
    "provisioning": {"api", "web", "cli", "server"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _pure_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in PURE_GLOBS:
        files.update(PACKAGE.glob(pattern))
    return sorted(files)


def test_pure_module_list_is_not_empty() -> None:
    assert _pure_files(), "no pure modules found: the glob list is out of date"


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_modules_import_no_io(path: Path) -> None:
    bad = {name for name in _imports(path) if name.split(".")[0] in FORBIDDEN_IN_PURE}
    assert not bad, f"{path.relative_to(PACKAGE)} is pure but imports {sorted(bad)}"


def test_layers_import_downwards_only() -> None:
    problems: list[str] = []
    for layer, forbidden in FORBIDDEN_LAYERS.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "centrex" and len(parts) > 1 and parts[1] in forbidden:
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, "\n".join(problems)


def test_checker_detects_a_forbidden_import(tmp_path: Path) -> None:
    """The rule itself must be able to fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("import time\nfrom asyncio import sleep\n", encoding="utf-8")
    assert {"time", "asyncio"} <= _imports(bad)
