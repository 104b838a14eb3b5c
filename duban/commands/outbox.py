"""`duban outbox`: messages that could not be delivered (dead) or wait for a retry (failed)."""

from __future__ import annotations

import argparse

from sqlalchemy import func, select

from db.models import Digest, OutboxItem
from duban import context
from duban.argtypes import whole_number
from jobs.deliverer import problem_items, resolve_targets
from jobs.reporting import period_views


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("outbox", help="list undelivered messages: dead, failed, stuck")
    p.add_argument(
        "--limit", type=whole_number(1), default=200, help="at most this many rows (default 200)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    tz = ctx.config.tz
    with ctx.sessions() as session:
        # Items per delivery state (an item's state is its digest's).
        counts = dict(
            session.execute(
                select(Digest.state, func.count(OutboxItem.id))
                .join(OutboxItem, OutboxItem.digest_id == Digest.id)
                .group_by(Digest.state)
            ).all()
        )
        rows = problem_items(session, args.limit)
        # Ladder stages keep no copy of their item: name them from their period.
        views = period_views(session, [r.period_id for r in rows if r.payload is None])
        names = {
            key: target.name
            for key, target in resolve_targets(
                session, ctx.config, [r.recipient for r in rows]
            ).items()
        }
    summary = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "empty"
    print(f"outbox: {summary}")
    if not rows:
        print("nothing dead or waiting for a retry")
        return 0
    print(f"{'state':<8} {'due':<16} {'next try':<16} {'tries':>5}  recipient / kind / item")
    for row in rows:
        payload = row.payload or {}
        item = payload.get("item", {})
        view = views.get(row.period_id) if row.payload is None else None  # type: ignore[arg-type]
        if view is not None:
            item = {"task": view.task_number, "unit": view.unit_name}
        name = names.get(row.recipient, row.recipient)
        print(
            f"{row.state:<8} {row.due_at.astimezone(tz):%Y-%m-%d %H:%M} "
            f"{row.next_attempt_at.astimezone(tz):%Y-%m-%d %H:%M} {row.attempts:>5}  "
            f"{name} / {row.kind} / task {item.get('task')} {item.get('unit', '')}"
        )
        if row.last_error:
            print(f"{'':<8} last error: {row.last_error[:200]}")
    return 0
