"""The media building blocks stay pure and numpy-free (DESIGN.md habit 1).

tests/test_architecture.py checks the modules listed in DESIGN.md; this also covers the pure
helpers added with them (pcm, tones) and makes sure numpy, which the tests use, never leaks into
the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MEDIA = Path(__file__).resolve().parents[2] / "centrex" / "media"
PURE = ["rtp.py", "rtcp.py", "jitter.py", "dtmf.py", "pcm.py", "tones.py", "codecs"]
FORBIDDEN = {"asyncio", "socket", "ssl", "time", "sqlalchemy", "uvloop", "selectors", "audioop"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def pure_files() -> list[Path]:
    files: list[Path] = []
    for name in PURE:
        target = MEDIA / name
        files.extend(sorted(target.rglob("*.py")) if target.is_dir() else [target])
    return files


@pytest.mark.parametrize("path", pure_files(), ids=lambda p: p.name)
def test_pure_media_module(path: Path) -> None:
    assert not imports(path) & FORBIDDEN


@pytest.mark.parametrize("path", sorted(MEDIA.rglob("*.py")), ids=lambda p: p.name)
def test_package_does_not_need_numpy(path: Path) -> None:
    assert "numpy" not in imports(path)


@pytest.mark.parametrize("path", sorted(MEDIA.rglob("*.py")), ids=lambda p: p.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600


def test_checker_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import time\nfrom numpy import array\n", encoding="utf-8")
    assert imports(bad) == {"time", "numpy"}
