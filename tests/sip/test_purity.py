"""The SIP core is pure (DESIGN.md §4 habit 1): no I/O or clock imports anywhere in it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIP = Path(__file__).resolve().parents[2] / "centrex" / "sip"
FORBIDDEN = {
    "asyncio",
    "socket",
    "ssl",
    "time",
    "sqlalchemy",
    "selectors",
    "datetime",
    "uvloop",
    "threading",
}


@pytest.mark.parametrize("path", sorted(SIP.glob("*.py")), ids=lambda p: p.name)
def test_no_io_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    assert not names & FORBIDDEN, f"{path.name} imports {sorted(names & FORBIDDEN)}"
    text = path.read_text(encoding="utf-8")
    assert "print(" not in text
    assert len(text.splitlines()) <= 600, f"{path.name} is over 600 lines"


def test_public_face() -> None:
    import centrex.sip as sip

    for name in (
        "parse_message",
        "SipParseError",
        "SipError",
        "Request",
        "Response",
        "parse_uri",
        "parse_sdp",
        "compute_ha1",
        "SipEndpoint",
        "TimerConfig",
        "build_response",
        "validate_request",
    ):
        assert hasattr(sip, name), name
    assert issubclass(sip.SipParseError, ValueError)
    assert issubclass(sip.SdpParseError, ValueError)
