"""Create or upgrade the schema with Alembic (what `duban init` runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head. Returns (revision before, revision after)."""
    cfg = alembic_config()
    with engine.connect() as conn, _foreign_keys_off(conn), conn.begin():
        before = MigrationContext.configure(conn).get_current_revision()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        _check_foreign_keys(conn)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return before, head or ""


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite alters a table by rebuilding it (copy, drop, rename: Alembic's batch mode), and
    dropping a table that other tables' rows point at fails while foreign keys are on (duban
    turns them on for every connection). The pragma is a no-op inside a transaction, so it is
    set on the driver's connection before the migration's transaction begins, and set back
    after; _check_foreign_keys makes sure the rebuilt tables still hold together."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
