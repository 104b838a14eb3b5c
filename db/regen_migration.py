"""Regenerate the initial migration from the models (`make migration`).

Founding phase only: nothing is released yet, so the schema is one migration. Once a release
is out, add new revisions with `alembic revision --autogenerate` instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from db.engine import make_engine
from db.migrate import MIGRATIONS, alembic_config

INITIAL = "0001"


def main() -> None:
    for old in (MIGRATIONS / "versions").glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id=INITIAL)
    print(f"wrote {next((MIGRATIONS / 'versions').glob('*.py'))}")


if __name__ == "__main__":
    main()
