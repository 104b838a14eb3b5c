"""`duban outbox`: messages that could not be delivered (dead) or wait for a retry (failed)."""

from __future__ import annotations

import argparse

from duban import context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("outbox", help="list undelivered messages: dead, failed, stuck")
    p.add_argument("--limit", type=int, default=200, help="at most this many rows (default 200)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from db.models import OutboxItem
    from jobs.deliverer import problem_items

    ctx = context.load(args)
    tz = ctx.config.tz
    with ctx.sessions() as session:
        counts = dict(
            session.execute(
                select(OutboxItem.state, func.count(OutboxItem.id)).group_by(OutboxItem.state)
            ).all()
        )
        rows = problem_items(session, args.limit)
    summary = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "empty"
    print(f"outbox: {summary}")
    if not rows:
        print("nothing dead or waiting for a retry")
        return 0
    print(f"{'state':<8} {'due':<16} {'next try':<16} {'tries':>5}  recipient / kind / item")
    for row in rows:
        item = row.payload.get("item", {})
        name = row.payload.get("recipient_name", row.recipient)
        print(
            f"{row.state:<8} {row.due_at.astimezone(tz):%Y-%m-%d %H:%M} "
            f"{row.next_attempt_at.astimezone(tz):%Y-%m-%d %H:%M} {row.attempts:>5}  "
            f"{name} / {row.kind} / task {item.get('task')} {item.get('unit', '')}"
        )
        if row.last_error:
            print(f"{'':<8} last error: {row.last_error[:200]}")
    return 0
