"""One tick of the clock: what is due now goes into the outbox, and the outbox is delivered.

    ensure_periods → load periods whose next_check_at <= now (indexed) → plan (pure) →
    enqueue intents (unique dedupe keys) + set each period's next_check_at → deliver

Planning and enqueueing happen in one transaction per batch of periods, so a crash leaves
either both the outbox rows and the moved next_check_at, or neither. A tick is idempotent:
running it twice, or ticking every minute instead of every hour, cannot create a second row
for the same (kind, assignment, period, stage, recipient).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Assignment, Period, Task, Unit
from db.models.tasks import LEAD
from duban.config import Config
from jobs.channel import Channel
from jobs.deliverer import DeliveryReport, deliver
from jobs.outbox import enqueue_many

log = logging.getLogger(__name__)

BATCH = 5000  # periods planned per transaction: bounds memory on a very busy tick


class AppLike(Protocol):
    config: Config
    sessions: sessionmaker[Session]


@dataclass
class TickReport:
    at: dt.datetime
    periods_created: int = 0
    periods_planned: int = 0
    intents: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def calendar_for(cfg: Config) -> Any:
    from jobs.workdays import from_config

    return from_config(cfg)


async def tick(app: AppLike, channel: Channel, now: dt.datetime, *, cal: Any = None) -> TickReport:
    """Run one tick at `now` (aware). Safe to call at any granularity, and twice."""
    if now.tzinfo is None:
        raise ValueError("tick needs an aware datetime")
    cfg = app.config
    cal = cal if cal is not None else calendar_for(cfg)
    report = TickReport(at=now)
    report.periods_created, report.periods_planned, report.intents = plan_due(
        app.sessions, cfg, cal, now
    )
    report.delivery = await deliver(app.sessions, channel, cfg, now, cal=cal)
    return report


def plan_due(
    session_factory: sessionmaker[Session], cfg: Config, cal: Any, now: dt.datetime
) -> tuple[int, int, int]:
    """ensure_periods, then plan every period whose next_check_at has come.

    Returns (periods created, periods planned, intents)."""
    from jobs.reporting import ensure_periods

    today = now.astimezone(cfg.tz).date()
    with transaction(session_factory) as session:
        created = ensure_periods(session, cfg, cal, today)
    planned = intents = 0
    after_id = 0
    leads_cache: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = {}
    while True:
        with transaction(session_factory) as session:
            n, k, last = _plan_batch(session, cfg, cal, now, after_id, leads_cache)
        planned += n
        intents += k
        if n < BATCH:
            break
        after_id = last
    return created, planned, intents


def _plan_batch(
    session: Session,
    cfg: Config,
    cal: Any,
    now: dt.datetime,
    after_id: int,
    leads_cache: dict[int, tuple[tuple[int, ...], tuple[str, ...]]],
) -> tuple[int, int, int]:
    from jobs.planner import leaders_from_config, plan

    rows = session.execute(
        select(
            Period.id,
            Period.assignment_id,
            Period.due_on,
            Period.label,
            Period.extended_to,
            Period.restarted_on,
            Period.state,
            Period.policy,
            Assignment.task_id,
            Assignment.unit_id,
            Assignment.role,
            Assignment.removed_at,
            Task.number,
            Task.removed_at,
            Unit.name,
        )
        .join(Assignment, Assignment.id == Period.assignment_id)
        .join(Task, Task.id == Assignment.task_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Period.next_check_at <= now, Period.id > after_id)
        .order_by(Period.id)
        .limit(BATCH)
    ).all()
    if not rows:
        return 0, 0, after_id
    _load_leads(session, {r.task_id for r in rows} - leads_cache.keys(), leads_cache)

    views = []
    parked: list[int] = []  # removed tasks/assignments: nothing more to plan
    for r in rows:
        if r.removed_at is not None or r[13] is not None:
            parked.append(r.id)
            continue
        lead_ids, lead_names = leads_cache.get(r.task_id, ((), ()))
        views.append(
            _period_view(
                period_id=r.id,
                assignment_id=r.assignment_id,
                task_number=r.number,
                task_id=r.task_id,
                unit_id=r.unit_id,
                unit_name=r.name,
                role=r.role,
                lead_unit_ids=lead_ids,
                lead_names=lead_names,
                due=r.extended_to or r.due_on,
                due_on=r.due_on,
                label=r.label,
                restarted_on=r.restarted_on,
                state=r.state,
                policy=r.policy or cfg.escalation.model_dump(),
            )
        )
    result = plan(now, cal, views, leaders_from_config(cfg), office_name=cfg.office.name)
    for error in result.errors:
        log.error("planner: %s", error)
    enqueue_many(session, [_intent_row(i) for i in result.intents])
    updates = [{"id": pid, "next_check_at": at} for pid, at in result.next_check.items()]
    updates += [{"id": pid, "next_check_at": None} for pid in parked]
    if updates:
        session.execute(update(Period), updates)
    return len(rows), len(result.intents), rows[-1].id


def _period_view(**fields: Any) -> Any:
    from jobs.planner import PeriodView

    return PeriodView(**fields)


def _intent_row(intent: Any) -> dict[str, Any]:
    return {
        "kind": intent.kind,
        "recipient": intent.recipient,
        "role": intent.role,
        "payload": {"recipient_name": intent.recipient_name, "item": dict(intent.item)},
        "dedupe_key": intent.dedupe_key,
        "due_at": intent.due_at,
        "stage": intent.stage,
        "assignment_id": intent.assignment_id,
        "period_id": intent.period_id,
    }


def _load_leads(
    session: Session,
    task_ids: Iterable[int],
    cache: dict[int, tuple[tuple[int, ...], tuple[str, ...]]],
) -> None:
    ids = sorted(task_ids)
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for task_id, unit_id, name in session.execute(
            select(Assignment.task_id, Assignment.unit_id, Unit.name)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(
                Assignment.task_id.in_(chunk),
                Assignment.role == LEAD,
                Assignment.removed_at.is_(None),
            )
            .order_by(Assignment.task_id, Assignment.position, Assignment.id)
        ):
            found[task_id].append((unit_id, name))
    for task_id in ids:
        pairs = found.get(task_id, [])
        cache[task_id] = (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
