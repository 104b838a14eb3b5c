"""`duban import FILE`: read a task table (text, XLSX, CSV) into the database, print the diff.

`--dry-run --format json` prints the parsed table as a JSON list, one object per task:
{"number", "section", "text", "lead", "responsible"} with canonical names and group names
unexpanded. Other tools read that shape: keep it stable.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from db.engine import transaction
from db.migrate import current_revision
from duban import context
from duban.errors import UserError
from duban.importer import (
    ImportResult,
    StaleDatabaseError,
    TableError,
    import_file,
    load_table,
    resolve_table,
    table_warnings,
)
from duban.importer.diff import ImportDiff
from duban.importer.explain import explain_readings, explain_table
from duban.importer.reading import Readings
from duban.importer.text_layouts import LAYOUTS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import",
        help="import a task table (text, XLSX or CSV); prints what changed",
        description="Import a task decomposition table. Re-importing the same file changes "
        "nothing; a revised table updates tasks by number and prints the diff.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="parse and compare; write nothing")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--add-units", action="store_true", help="register unknown unit names as new units"
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="show how each line was read (section, task, lead, responsible, leader, "
        "ignored); writes nothing",
    )
    p.add_argument(
        "--layout",
        choices=tuple(LAYOUTS),
        help="read a text table in this layout instead of detecting it: table (the seed's "
        "header and unit lines), labelled (牵头单位：… lines), inline (（牵头单位：…） after "
        "the task), cells (one cell per line under 序号/主要工作举措/牵头单位/配合单位/责任领导)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args, require_schema=False)
    initialised = current_revision(ctx.engine) is not None
    if args.explain:
        args.dry_run = True
        _explain(args, ctx.config.duban.locale)
    try:
        if not initialised:
            if not args.dry_run:
                raise UserError(
                    f"database {ctx.engine.url!r} is not initialised: run `duban init` first"
                )
            # A dry run needs no database: resolve against the config alone.
            resolved = resolve_table(
                load_table(args.file, args.layout),
                ctx.config,
                add_units=args.add_units,
                placeholder_lead=ctx.config.importer.placeholder_lead,
            )
            diff = ImportDiff(warnings=table_warnings(ctx.config, resolved))
            result = ImportResult(resolved.parsed, resolved, diff, dry_run=True)
        else:
            with transaction(ctx.sessions) as session:
                result = import_file(
                    session,
                    ctx.config,
                    args.file,
                    add_units=args.add_units,
                    dry_run=args.dry_run,
                    layout=args.layout,
                )
    except (TableError, StaleDatabaseError) as exc:
        raise UserError(str(exc)) from exc
    if args.format == "json":
        if result.dry_run:  # the table is the contract on stdout; warnings go beside it
            for warning in result.diff.warnings:
                print(f"duban: warning: {warning}", file=sys.stderr)
        print(json.dumps(_json(result), ensure_ascii=False, indent=2))
    else:
        print(render_text(result, compared=initialised))
    return 0


def _explain(args: argparse.Namespace, locale: str) -> None:
    """Print how each line was read (to stderr beside --format json); a table that does not
    parse is explained up to its error, and the error follows as usual."""
    out = sys.stderr if args.format == "json" else sys.stdout
    try:
        table = load_table(args.file, args.layout)
    except TableError as exc:
        if isinstance(exc.readings, Readings):
            print(explain_readings(exc.readings, locale), file=out)
        raise UserError(str(exc)) from exc
    print(explain_table(table, locale), file=out)


def _json(result: ImportResult) -> object:
    if result.dry_run:
        return result.resolved.as_json()
    return {
        "file": str(result.parsed.path),
        "tasks": len(result.resolved.tasks),
        "sections": len(result.parsed.sections),
        **result.diff.as_json(),
    }


def render_text(result: ImportResult, compared: bool = True) -> str:
    parsed, diff = result.parsed, result.diff
    out = [
        f"{parsed.path}: {parsed.format}, {len(parsed.tasks)} tasks in "
        f"{len(parsed.sections)} sections"
    ]
    for unit in result.resolved.new_units:
        like = f" — a typo of {'、'.join(unit.closest)}?" if unit.closest else ""
        out.append(f"  new unit (--add-units): {unit.name} [{unit.kind}]{like}")
    added = set(diff.tasks_added)
    if len(added) > 20 and not diff.tasks_removed and not diff.tasks_changed:
        # A first import: one line, not one per task (`duban tasks` lists them).
        numbers = sorted(added)
        out.append(f"  + {len(numbers)} tasks ({numbers[0]}–{numbers[-1]})")
    else:
        for number in diff.tasks_added:
            n = sum(1 for a in diff.assignments_added if a.task == number)
            out.append(f"  + task {number} ({n} assignment{'s' if n != 1 else ''})")
    gone = set(diff.tasks_removed)
    for number in diff.tasks_removed:
        n = sum(1 for a in diff.assignments_removed if a.task == number)
        out.append(f"  - task {number} ({n} assignment{'s' if n != 1 else ''})")
    for change in diff.tasks_changed:
        fields = ", ".join(change.changes)
        out.append(f"  ~ task {change.number}: {fields} changed")
        for old, new in change.changes.values():
            out.append(f"      was: {old}")
            out.append(f"      now: {new}")
    for a in (a for a in diff.assignments_added if a.task not in added):
        via = f" (via {a.via_group})" if a.via_group else ""
        out.append(f"  + task {a.task} {a.role}: {a.unit}{via}")
    for a in (a for a in diff.assignments_removed if a.task not in gone):
        via = f" (via {a.via_group})" if a.via_group else ""
        out.append(f"  - task {a.task} {a.role}: {a.unit}{via}")
    for d in (d for d in diff.designations_added if d.task not in added):
        state = "designated by config" if d.designated else "to be designated by the lead"
        out.append(f"  + task {d.task} {d.role}: {d.group} ({state})")
    for d in (d for d in diff.designations_removed if d.task not in gone):
        out.append(f"  - task {d.task} {d.role}: {d.group}")
    for warning in diff.warnings:
        out.append(f"  warning: {warning}")
    s = diff.summary()
    if not compared:
        verb = "dry run (no database yet): nothing compared, nothing written"
    elif result.dry_run:
        verb = "dry run: nothing written; would change" if diff.changed else "dry run: no change"
    else:
        verb = "imported" if diff.changed else "no change"
    out.append(
        f"{verb}: tasks +{s['tasks_added']} -{s['tasks_removed']} ~{s['tasks_changed']}, "
        f"assignments +{s['assignments_added']} -{s['assignments_removed']}, "
        f"placeholders +{s['designations_added']} -{s['designations_removed']}, "
        f"units +{len(result.resolved.new_units)}"
    )
    return "\n".join(out)
