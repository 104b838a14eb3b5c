"""The task-table importer: read a table (text, XLSX, CSV), resolve its unit names, write tasks
and assignments, and report what changed.

    from duban.importer import import_file
    result = import_file(session, cfg, Path("table.txt"), add_units=False, dry_run=False)
    result.diff.summary()

`load_table` → ParsedTable (names as written), `resolve_table` → ResolvedTable (canonical
names), `apply_table` → ImportDiff. Errors: TableError (`FILE:LINE: message`), its subclass
UnknownNamesError (every unknown name with its lines and the closest known names), and
StaleDatabaseError (the config names units that `duban init` has not loaded yet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Group, ImportRun, Unit
from duban.config import Config
from duban.importer.apply import apply_table
from duban.importer.config_refs import config_warnings
from duban.importer.deadline import impossible_date
from duban.importer.diff import ImportDiff
from duban.importer.errors import TableError, UnknownName, UnknownNamesError
from duban.importer.load import load_table
from duban.importer.resolve import NameIndex, ResolvedTable, ResolvedTask, resolve_table
from duban.importer.table import ParsedTable, ParsedTask, RawName
from duban.targets import sync_targets

__all__ = [
    "ImportDiff",
    "ImportResult",
    "NameIndex",
    "ParsedTable",
    "ParsedTask",
    "RawName",
    "ResolvedTable",
    "ResolvedTask",
    "StaleDatabaseError",
    "TableError",
    "UnknownName",
    "UnknownNamesError",
    "apply_table",
    "import_file",
    "load_table",
    "resolve_table",
    "table_warnings",
]


class StaleDatabaseError(Exception):
    """The config has units or groups the database lacks: `duban init` must run first."""


@dataclass
class ImportResult:
    parsed: ParsedTable
    resolved: ResolvedTable
    diff: ImportDiff
    dry_run: bool
    import_run_id: int | None = None  # the ImportRun row, when something was written


def import_file(
    session: Session,
    cfg: Config,
    path: Path | str,
    *,
    add_units: bool = False,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    layout: str | None = None,
) -> ImportResult:
    """Import a table in one savepoint: any error (or a dry run) leaves the database as it was.
    The caller commits the session's transaction. `layout` forces a text layout."""
    path = Path(path)
    parsed = load_table(path, layout)
    now = now or dt.datetime.now(dt.UTC)
    savepoint = session.begin_nested()
    try:
        check_database_has_config(session, cfg)
        resolved = resolve_table(
            parsed,
            NameIndex.from_session(session),
            add_units=add_units,
            placeholder_lead=cfg.importer.placeholder_lead,
        )
        diff = apply_table(session, cfg, resolved, now=now)
        diff.warnings.extend(table_warnings(cfg, resolved))
        # Numeric targets (1087亿元, 20家…) follow the task text; ids stay stable when unchanged.
        sync_targets(session, now)
        run_id = None
        if diff.changed and not dry_run:
            run = ImportRun(at=now, source=str(path), sha256=parsed.sha256, summary=diff.summary())
            session.add(run)
            session.flush()
            run_id = run.id
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return ImportResult(parsed, resolved, diff, dry_run, run_id)


def table_warnings(cfg: Config, resolved: ResolvedTable) -> list[str]:
    """What is worth a word but does not stop the import: config entries that apply to
    nothing in this table, and 完成时限 cells written like a date that is none."""
    path = resolved.parsed.path
    return [
        *resolved.warnings,
        *config_warnings(cfg, resolved),
        *(
            f"{path}:{t.line}: task {t.number}: 完成时限 {t.deadline_text!r} is no date of the "
            "calendar; kept as text only"
            for t in resolved.tasks
            if impossible_date(t.deadline_text)
        ),
    ]


def check_database_has_config(session: Session, cfg: Config) -> None:
    have = set(session.scalars(select(Unit.name))) | set(session.scalars(select(Group.name)))
    missing = [u.name for u in cfg.units if u.name not in have]
    missing += [g.name for g in cfg.groups if g.name not in have]
    if missing:
        raise StaleDatabaseError(
            f"the config names {len(missing)} unit(s)/group(s) the database does not know yet "
            f"({'、'.join(missing[:5])}{' …' if len(missing) > 5 else ''}): run `duban init` first"
        )
