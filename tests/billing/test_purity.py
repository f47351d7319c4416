"""Every pure billing module imports no I/O or clock (DESIGN.md habit 1), not only the three
listed in tests/test_architecture.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BILLING = Path(__file__).resolve().parents[2] / "centrex" / "billing"
PURE = [
    "money.py",
    "decks.py",
    "rating.py",
    "plans.py",
    "usage.py",
    "clauses.py",
    "credit.py",
    "invoices.py",
    "dunning.py",
    "signals.py",
    "documents.py",
]
FORBIDDEN = {"asyncio", "socket", "ssl", "time", "sqlalchemy", "selectors", "uvloop"}


@pytest.mark.parametrize("name", PURE)
def test_pure_billing_module_imports_no_io(name: str) -> None:
    tree = ast.parse((BILLING / name).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
    source = (BILLING / name).read_text(encoding="utf-8")
    assert "datetime.now" not in source
    assert "date.today" not in source
