"""`duban summary`: what the database holds — tasks per section, assignments per unit."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import func, select

from db.models import Assignment, Designation, Task, Unit
from db.models.tasks import LEAD, RESPONSIBLE
from duban import context
from duban.argtypes import whole_number


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "summary",
        help="tasks per section, assignments per unit, busiest units",
        description="What the imported table holds: tasks per section, assignments per unit, "
        "the busiest units, and how many 各相关X placeholders still wait for their lead.",
    )
    p.add_argument(
        "--top", type=whole_number(0), default=10, help="how many of the busiest units to list"
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    with ctx.sessions() as s:
        sections = s.execute(
            select(Task.section, func.count(Task.id), func.min(Task.number))
            .where(Task.removed_at.is_(None))
            .group_by(Task.section)
            .order_by(func.min(Task.number))
        ).all()
        per_unit = s.execute(
            select(
                Unit.name,
                func.count().filter(Assignment.role == LEAD),
                func.count().filter(Assignment.role == RESPONSIBLE),
            )
            .join(Assignment, Assignment.unit_id == Unit.id)
            .where(Assignment.removed_at.is_(None))
            .group_by(Unit.name)
            .order_by(func.count().desc(), Unit.name)
        ).all()
        open_placeholders = s.scalar(
            select(func.count(Designation.id)).where(
                Designation.designated_at.is_(None), Designation.removed_at.is_(None)
            )
        )
    total_tasks = sum(n for _, n, _ in sections)
    total_assignments = sum(lead + resp for _, lead, resp in per_unit)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "tasks": total_tasks,
                    "sections": [{"section": t, "tasks": n} for t, n, _ in sections],
                    "assignments": total_assignments,
                    "units": [
                        {"unit": u, "lead": lead, "responsible": resp} for u, lead, resp in per_unit
                    ],
                    "undesignated_placeholders": open_placeholders,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"任务 {total_tasks} 项，分 {len(sections)} 个板块：")
    for title, count, _ in sections:
        short = title if len(title) <= 30 else title[:29] + "…"
        print(f"  {count:>3}  {short}")
    print(
        f"分工 {total_assignments} 条（{len(per_unit)} 个单位）；"
        f"待牵头单位明确的“各相关”占位 {open_placeholders} 处"
    )
    print(f"任务最多的 {args.top} 个单位（牵头 / 责任）：")
    for name, lead, resp in per_unit[: args.top]:
        print(f"  {lead + resp:>3}  {name}（牵头 {lead}，责任 {resp}）")
    return 0
