"""`duban export ledger -o 台账.xlsx` and `duban export charts -o DIR`."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from db.models import Task
from duban import context
from duban.argtypes import iso_date
from duban.errors import UserError
from duban.ledger import build_ledger


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="export the ledger (台账, XLSX) or its charts (PNG)",
        description="Export the 台账 workbook (`export ledger -o FILE.xlsx`) or its charts "
        "(`export charts -o DIR`), as of a day; refused until a task table is imported.",
    )
    what = p.add_subparsers(dest="what", metavar="WHAT", required=True)
    ledger = what.add_parser(
        "ledger",
        help="the 台账 workbook",
        description="Write the 台账 workbook: one row per task with its units' states, "
        "targets, figures and light; the overdue items; one sheet per lead department; 说明.",
    )
    ledger.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    charts = what.add_parser(
        "charts",
        help="PNG charts into a directory",
        description="Write the charts (on-time rate by unit, overdue items by section and by "
        "lead department, reports per week, progress toward targets) as PNGs into DIR.",
    )
    charts.add_argument("-o", "--output", required=True, metavar="DIR")
    for q in (ledger, charts):
        q.add_argument(
            "--at", type=iso_date, metavar="DATE", help="as of this date (default: today, local)"
        )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    with ctx.sessions() as session:
        if session.scalar(select(func.count(Task.id))) == 0:
            raise UserError(
                "no tasks in the database yet, so nothing to export: import the task table "
                "first (`duban import FILE`)"
            )
    as_of = args.at or dt.datetime.now(ctx.config.tz).date()
    out = Path(args.output)
    if args.what == "ledger":
        if out.suffix.lower() != ".xlsx":
            raise UserError(f"{out}: the ledger is an .xlsx workbook; name the file *.xlsx")
        if not out.parent.is_dir():
            raise UserError(f"{out.parent}: no such directory")
        with ctx.sessions() as session:
            build_ledger(session, ctx.config, as_of, dest=out)
        print(f"ledger as of {as_of}: {out}")
        return 0
    # Lazy: matplotlib loads only for chart export, not for every `duban` command.
    from duban.charts import write_charts

    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: not a directory")
    with ctx.sessions() as session:
        paths = write_charts(session, ctx.config, as_of, out)
    print(f"charts as of {as_of}:")
    for path in paths:
        print(f"  {path}")
    return 0
