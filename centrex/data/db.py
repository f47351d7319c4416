"""The database handle: one async engine, sessions, and the Alembic migrations.

SQLite (aiosqlite) is the zero-configuration default; PostgreSQL (asyncpg) is the production
database. Both run the same Alembic migrations, and `serve` refuses a database that is behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from centrex.data.migration_heads import code_heads

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


class DatabaseNotMigrated(RuntimeError):
    """The schema is missing or older than this version of Centrex."""


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores ON DELETE CASCADE unless asked per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no alembic.ini needed).

    Alembic is imported here, not at module level, to keep every CLI command's start-up short.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


class Database:
    """Owns the engine; hands out sessions and transactions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, pool_pre_ping=True)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session without an implicit commit (reads, or callers that commit themselves)."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any exception.

        This is what makes "bad input writes nothing" hold: validation errors raised anywhere
        inside the block undo everything the block did.
        """
        async with self._sessions() as session, session.begin():
            yield session

    async def upgrade(self, revision: str = "heads") -> None:
        """Apply the Alembic migrations up to `revision` (default: every head).

        Domains (billing, registrar, auth, ...) may add migrations on separate branches; "heads"
        applies them all, so parallel work never needs a hand-made merge revision.
        """
        from alembic import command

        cfg = alembic_config()

        def run(sync_conn: Connection) -> None:
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, revision)

        async with self.engine.begin() as conn:
            await conn.run_sync(run)

    async def current_revision(self) -> str | None:
        """The revision the database is at (None for an empty database).

        With one migration branch per domain the database is at several heads at once; they are
        reported sorted and joined with "+", the same way `head_revision` reports the code's.
        Read straight from Alembic's version table, without importing Alembic (see
        `migration_heads`: every CLI command asks).
        """

        def read(sync_conn: Connection) -> str | None:
            if not inspect(sync_conn).has_table(VERSION_TABLE):
                return None
            rows = sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            return "+".join(sorted(rows)) or None

        async with self.engine.connect() as conn:
            return await conn.run_sync(read)

    @staticmethod
    def head_revision() -> str:
        """The newest revision this code knows (every branch head, sorted, joined with "+"; a
        head another head depends on is left out, as Alembic's version table leaves it out)."""
        heads = code_heads()
        assert heads
        return "+".join(heads)

    async def require_migrated(self) -> None:
        """Raise `DatabaseNotMigrated` with a message that says what to do."""
        current = await self.current_revision()
        head = self.head_revision()
        if current != head:
            raise DatabaseNotMigrated(
                f"database {self.safe_url} is at revision {current or 'none'}, "
                f"this Centrex needs {head}: run `centrex db upgrade`"
            )

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def dispose(self) -> None:
        await self.engine.dispose()
