"""`duban audit`: who did what, when — registrations, reports, reviews, extensions,
designations, completions and every refused action — filtered by unit, task and date."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from duban import context
from duban.argtypes import iso_date, whole_number
from duban.audit_view import AuditEntry, AuditFilter, audit_entries
from duban.commands import add_command
from duban.errors import UserError
from duban.terminal_table import render_table
from duban.unit_option import unit_of_option
from messages.render import render_plain, render_text

TEMPLATE = "cli_audit.j2"
DETAIL_COLUMNS = 60  # the 说明 column is cut to this width in the table (jsonl has it all)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(
        sub,
        "audit",
        "show the audit log: who did what and when, refusals included",
        "Registrations, reports, reviews, extensions, designations, completions and refused "
        "actions, oldest first, as a table or one JSON object per line.",
    )
    p.add_argument(
        "--unit", metavar="U", help="entries about this unit or done by its contacts (any alias)"
    )
    p.add_argument("--task", type=whole_number(1), metavar="N", help="entries about task N (序号)")
    p.add_argument("--since", type=iso_date, metavar="DATE", help="from this day on (YYYY-MM-DD)")
    p.add_argument("--until", type=iso_date, metavar="DATE", help="up to this day, included")
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    locale = ctx.config.duban.locale

    def text(m: str, **values: object) -> str:
        return render_text(locale, TEMPLATE, m, **values)

    if args.since and args.until and args.since > args.until:
        raise UserError(text("bad_range", since=args.since, until=args.until))
    with ctx.sessions() as session:
        unit = unit_of_option(session, args.unit) if args.unit else None
        where = AuditFilter(args.since, args.until, unit.id if unit else None, args.task)
        entries = audit_entries(session, ctx.config.tz, where)
    if args.format == "jsonl":
        for entry in entries:
            print(json.dumps(entry.as_json(), ensure_ascii=False))
        return 0
    shown = [
        text(f"filter_{key}", value=value)
        for key, value in (
            ("unit", unit.name if unit else None),
            ("task", args.task),
            ("since", args.since),
            ("until", args.until),
        )
        if value is not None
    ]
    filters = "，".join(shown) if locale != "en" else ", ".join(shown)
    if not entries:
        print(text("empty", filters=filters))
        return 0
    rows = [_row(entry, text, locale) for entry in entries]
    for line in render_table(
        text("headers").split("|"),
        rows,
        right=(False, False, False, True),
        limits=(None, 30, None, None, 16, DETAIL_COLUMNS),
    ):
        print(line)
    print(text("count", n=len(entries), filters=filters))
    return 0


def _row(entry: AuditEntry, text: Callable[..., str], locale: str) -> list[str]:
    return [
        entry.at.strftime("%Y-%m-%d %H:%M"),
        text("actor", actor=entry.actor, name=entry.actor_name, unit=entry.actor_unit or ""),
        text("action", name=entry.action),
        str(entry.task) if entry.task is not None else "",
        entry.unit or "",
        text("detail", refused=entry.refused, detail=entry.detail, reason=_reason(entry, locale)),
    ]


def _reason(entry: AuditEntry, locale: str) -> str:
    """Why it was refused, in the reader's language when the service gave a code (the same
    text the bot showed the person refused); else as recorded."""
    detail = entry.detail
    if not entry.refused:
        return ""
    if detail.get("code"):
        return render_plain(
            locale,
            "service_errors.j2",
            code=detail["code"],
            params=detail.get("params") or {},
            message=str(detail.get("reason", "")),
        )
    return str(detail.get("reason", ""))
