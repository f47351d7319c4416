"""The migration heads this code knows, read from the revision files without importing Alembic.

Why not Alembic's `ScriptDirectory`: every CLI command checks the schema before it runs
(`Database.require_migrated`), and importing Alembic (which pulls its DDL implementations and a
PostgreSQL driver) costs about a quarter of a second per command. The revision files hold their
graph in plain module-level literals (`revision`, `down_revision`, `depends_on`), so reading
them with `ast` gives the same heads; tests/data/test_migration_heads.py checks the result
against Alembic's own.

A head that another head `depends_on` (directly or through its ancestors) is left out, because
Alembic's version table leaves it out once the dependent revision is applied.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"
FIELDS = ("revision", "down_revision", "depends_on")


@dataclass(frozen=True, slots=True)
class RevisionFile:
    revision: str
    down: tuple[str, ...]
    depends_on: tuple[str, ...]


def _names(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"not a revision name or a tuple of them: {value!r}")


def read_revision(path: Path) -> RevisionFile:
    """The graph fields of one revision file (a file without `revision` is an error)."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        target = value = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            target, value = node.targets[0].id, node.value
        if target in FIELDS and value is not None:
            found[target] = ast.literal_eval(value)
    revision = found.get("revision")
    if not isinstance(revision, str):
        raise ValueError(f"{path.name}: no `revision` string")
    return RevisionFile(revision, _names(found.get("down_revision")),
                        _names(found.get("depends_on")))  # fmt: skip


def heads_of(revisions: list[RevisionFile]) -> set[str]:
    """Revisions nobody builds on, minus those another head reaches through its ancestry
    (down revisions and `depends_on`, at any depth: a branch that depends on another branch's
    revision makes that revision no head of its own, as Alembic's version table shows)."""
    by_name = {r.revision: r for r in revisions}
    parents = {p for r in revisions for p in r.down}
    heads = set(by_name) - parents
    implied: set[str] = set()
    for head in heads:
        pending = list(by_name[head].down + by_name[head].depends_on)
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen or name not in by_name:
                continue
            seen.add(name)
            pending.extend(by_name[name].down + by_name[name].depends_on)
        implied |= seen
    return heads - implied


@cache
def code_heads(directory: Path = VERSIONS_DIR) -> tuple[str, ...]:
    """The heads of the packaged migrations, sorted."""
    files = [read_revision(p) for p in sorted(directory.glob("[0-9]*.py"))]
    return tuple(sorted(heads_of(files)))
