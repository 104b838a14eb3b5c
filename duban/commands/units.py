"""`duban units`: units with aliases, groups, assignment counts and contacts."""

from __future__ import annotations

import argparse
import json

from duban import context
from duban.listing import unit_views


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "units",
        help="list units, their aliases, groups and assignment counts",
        description="List the units the database knows (from the config and imports), with "
        "their kind, how many tasks each leads and answers for, its contacts, aliases and "
        "groups.",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    with ctx.sessions() as session:
        views = unit_views(session)
    if args.format == "json":
        print(json.dumps([v.as_json() for v in views], ensure_ascii=False, indent=2))
        return 0
    for v in views:
        marks = (" [placeholder]" if v.placeholder else "") + (
            " [from import]" if v.from_import else ""
        )
        extra = []
        if v.aliases:
            extra.append(f"aliases: {'、'.join(v.aliases)}")
        if v.groups:
            extra.append(f"groups: {'、'.join(v.groups)}")
        print(
            f"{v.name} ({v.kind}){marks}: lead {v.lead}, responsible {v.responsible}, "
            f"contacts {v.contacts}" + (f"; {'; '.join(extra)}" if extra else "")
        )
    print(f"{len(views)} units")
    return 0
