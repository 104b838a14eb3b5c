"""`duban assignments [--unit U]`: who answers for which task (U by any spelling)."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Group, Unit
from duban import context
from duban.errors import UserError
from duban.importer import NameIndex
from duban.listing import assignment_views

ROLE_LABEL = {"lead": "牵头", "responsible": "责任"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("assignments", help="list assignments, optionally of one unit")
    p.add_argument("--unit", metavar="U", help="a unit name or alias")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    with ctx.sessions() as session:
        unit_id = None
        if args.unit:
            index = NameIndex.from_session(session)
            name = index.lookup(args.unit)
            if name is not None and index.is_group(name):
                raise UserError(f"--unit {args.unit!r}: {_group_hint(session, name)}")
            if name is None:
                hint = "、".join(index.closest(args.unit)) or "(none)"
                raise UserError(f"--unit {args.unit!r}: no known unit; closest known: {hint}")
            unit_id = session.scalar(select(Unit.id).where(Unit.name == name))
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


def _group_hint(session: Session, name: str) -> str:
    """What to pass instead of a group: one of its member units."""
    group = session.scalar(select(Group).where(Group.name == name))
    members = [m.unit.name for m in group.members] if group is not None else []
    if not members:
        return f"{name} is a group whose units the lead designates per task; name one unit"
    shown = "、".join(members[:8]) + (" …" if len(members) > 8 else "")
    return f"{name} is a group, not a unit; name one of its {len(members)} units: {shown}"
