"""`duban assignments [--unit U]`: who answers for which task (U by any spelling)."""

from __future__ import annotations

import argparse
import json

from duban import context
from duban.commands import add_command
from duban.listing import assignment_views
from duban.unit_option import unit_of_option

ROLE_LABEL = {"lead": "牵头", "responsible": "责任"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(
        sub,
        "assignments",
        "list assignments (task × unit × role), optionally of one unit",
        "Who answers for which task; --unit takes any spelling or alias of the unit.",
    )
    p.add_argument("--unit", metavar="U", help="a unit name or alias")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    with ctx.sessions() as session:
        unit_id = unit_of_option(session, args.unit).id if args.unit else None
        views = assignment_views(session, unit_id)
    if args.format == "json":
        print(json.dumps([v.as_json() for v in views], ensure_ascii=False, indent=2))
        return 0
    for v in views:
        via = f" (via {v.via_group})" if v.via_group else ""
        text = v.text if len(v.text) <= 40 else v.text[:39] + "…"
        print(f"{v.task:>4} {ROLE_LABEL.get(v.role, v.role)} {v.unit}{via}  {text}")
    print(f"{len(views)} assignments")
    return 0
