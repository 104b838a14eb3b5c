"""Write a new Alembic revision for what the models changed (`make migration MESSAGE="…"`).

Releases are out, so existing revisions are never deleted or rewritten (0001 is the released
schema): this builds a scratch SQLite database at the current head, compares the models with
it and writes the next numbered revision (0002, 0003, …) with autogenerate. Read and finish the
file it writes: autogenerate only sees the schema, so a migration that must keep data (copy a
column, convert a type) needs its data steps written by hand, and a test that upgrades a
database holding rows as the previous release wrote them (tests/test_migrations.py).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.engine import make_engine
from db.migrate import alembic_config, upgrade
from db.models import Base


def next_revision_id(head: str | None) -> str:
    """'0002' after '0001': the revisions are numbered, four digits."""
    return f"{int(head or 0) + 1:04d}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message", help="what the revision changes, e.g. 'contact identity'")
    args = parser.parse_args(argv)
    if not args.message.strip():
        parser.error('say what the revision changes: make migration MESSAGE="…"')
    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    rev_id = next_revision_id(head)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'head.db'}")
        upgrade(engine)
        with engine.begin() as conn:
            if not compare_metadata(MigrationContext.configure(conn), Base.metadata):
                print(f"the models match revision {head}: nothing to write")
                return
            cfg.attributes["connection"] = conn
            script = command.revision(cfg, message=args.message, autogenerate=True, rev_id=rev_id)
        engine.dispose()
    path = script.path if script is not None and not isinstance(script, list) else "?"
    print(f"wrote {path}: check it, and write the data steps autogenerate cannot see")


if __name__ == "__main__":
    main()
