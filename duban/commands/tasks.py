"""`duban tasks`: the imported tasks with their lead and responsible units."""

from __future__ import annotations

import argparse
import json

from duban import context
from duban.listing import task_views


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "tasks",
        help="list the imported tasks and their units",
        description="List the imported tasks by section, each with its lead (牵头) and "
        "responsible (责任) units and the 各相关X placeholders still to designate.",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    with ctx.sessions() as session:
        views = task_views(session)
    if args.format == "json":
        print(json.dumps([v.as_json() for v in views], ensure_ascii=False, indent=2))
        return 0
    section = None
    for v in views:
        if v.section != section:
            section = v.section
            print(section)
        pending = [f"{g}（待指定）" for g in v.undesignated]
        print(f"{v.number:>4}. {v.text}")
        print(f"      牵头: {'、'.join(v.lead) or '-'}")
        print(f"      责任: {'、'.join(v.responsible + pending) or '-'}")
    print(f"{len(views)} tasks")
    return 0
