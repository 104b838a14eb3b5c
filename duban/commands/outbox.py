"""`duban outbox`: messages that could not be delivered (dead) or wait for a retry (failed)."""

from __future__ import annotations

import argparse

from sqlalchemy import case, func, select

from db.models import Digest, OutboxItem
from db.models.contacts import TELEGRAM
from db.models.outbox import DEAD, FAILED, PARTIAL, PRINTED, SENDING
from duban import context
from duban.argtypes import whole_number
from duban.commands import add_command
from duban.wiring import engine_settings
from jobs.delivery.route import route


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(
        sub,
        "outbox",
        "list undelivered messages: dead, failed, stuck, printed on a console only",
        "First a count of the outbox's items per delivery state.",
    )
    p.add_argument(
        "--limit", type=whole_number(1), default=200, help="at most this many rows (default 200)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    tz = ctx.config.tz
    with ctx.sessions() as session:
        # Items per delivery state: a dropped item's own, else its digest's.
        state = case((OutboxItem.dropped_at.is_not(None), "dropped"), else_=Digest.state)
        counts = dict(
            session.execute(
                select(state, func.count(OutboxItem.id))
                .join(Digest, OutboxItem.digest_id == Digest.id)
                .group_by(state)
            ).all()
        )
        rows = session.scalars(
            select(OutboxItem)
            .join(Digest, Digest.id == OutboxItem.digest_id)
            .where(Digest.state.in_((DEAD, FAILED, PARTIAL, SENDING)))
            .order_by(OutboxItem.due_at.desc(), OutboxItem.id.desc())
            .limit(args.limit)
        ).all()
        # Only the names are shown: any channel's routing gives them.
        targets = route(session, engine_settings(ctx.config), {r.recipient for r in rows}, TELEGRAM)
    summary = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "empty"
    print(f"outbox: {summary}")
    if counts.get(PRINTED):
        print(
            f"printed: {counts[PRINTED]} item(s) only shown on a console, delivered to nobody; "
            "the next `duban tick` or `duban run` through Telegram sends them"
        )
    if not rows:
        print("nothing dead or waiting for a retry")
        return 0
    print(f"{'state':<8} {'due':<16} {'next try':<16} {'tries':>5}  recipient / kind / item")
    for row in rows:
        item = (row.payload or {}).get("item", {})
        print(
            f"{row.state:<8} {row.due_at.astimezone(tz):%Y-%m-%d %H:%M} "
            f"{row.next_attempt_at.astimezone(tz):%Y-%m-%d %H:%M} {row.attempts:>5}  "
            f"{targets[row.recipient].name} / {row.kind} / task {item.get('task')} "
            f"{item.get('unit', '')}"
        )
        if row.last_error:
            print(f"{'':<8} last error: {row.last_error[:200]}")
    return 0
