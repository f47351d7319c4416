"""The migration heads read without Alembic (`centrex.data.migration_heads`) are Alembic's, and
the version table read without Alembic is what Alembic reads (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from centrex.data.db import Database, alembic_config
from centrex.data.migration_heads import RevisionFile, code_heads, heads_of, read_revision


def _alembic_heads() -> set[str]:
    """Alembic's heads, less those another head reaches through its down revisions and
    dependencies at any depth (what its version table records)."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    implied: set[str] = set()
    for head in heads:
        found = script.get_revision(head)
        pending = (
            [] if found is None else [*found._all_down_revisions, *found._resolved_dependencies]
        )
        seen: set[str] = set()
        while pending:
            revision = script.get_revision(pending.pop())
            if revision is None or revision.revision in seen:
                continue
            seen.add(revision.revision)
            pending.extend([*revision._all_down_revisions, *revision._resolved_dependencies])
        implied |= seen
    return heads - implied


def test_the_heads_are_alembics() -> None:
    assert set(code_heads()) == _alembic_heads()
    assert len(code_heads()) > 5  # one branch per domain


async def test_the_version_table_is_read_as_alembic_reads_it(db: Database) -> None:
    def alembic_reads(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with db.engine.connect() as connection:
        expected = await connection.run_sync(alembic_reads)
    current = await db.current_revision()
    assert current is not None
    assert set(current.split("+")) == expected
    assert current == Database.head_revision()
    await db.require_migrated()


async def test_an_empty_database_has_no_revision(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        assert await database.current_revision() is None
    finally:
        await database.dispose()


def test_a_dependency_is_implied_and_a_merge_ends_branches() -> None:
    graph = [
        RevisionFile("base", (), ()),
        RevisionFile("a1", ("base",), ()),
        RevisionFile("b1", ("base",), ()),
        RevisionFile("c1", ("base",), ()),
        RevisionFile("a2", ("a1",), ("b1",)),  # needs b1 applied: b1 is no head of its own
        RevisionFile("m", ("c1",), ()),
    ]
    assert heads_of(graph) == {"a2", "m"}


def test_a_dependency_of_an_ancestor_is_implied_too() -> None:
    """b1 is needed by a2, which a3 builds on: once a3 is a head, b1 is still no head (the case
    of 0032_number_queue, which depends on other branches, getting children of its own)."""
    graph = [
        RevisionFile("base", (), ()),
        RevisionFile("a1", ("base",), ()),
        RevisionFile("b1", ("base",), ()),
        RevisionFile("a2", ("a1",), ("b1",)),
        RevisionFile("a3", ("a2",), ()),
        RevisionFile("a4", ("a2",), ()),
    ]
    assert heads_of(graph) == {"a3", "a4"}


def test_a_file_without_a_revision_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "0099_bad.py"
    bad.write_text('down_revision = "0098"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="no `revision`"):
        read_revision(bad)
    odd = tmp_path / "0100_odd.py"
    odd.write_text('revision = "0100"\ndown_revision = 42\n', encoding="utf-8")
    with pytest.raises(ValueError, match="not a revision name"):
        read_revision(odd)
