"""One tick of the clock: what is due now goes into the outbox, and the outbox is delivered.

    ensure_periods → load periods whose next_check_at <= now (indexed) → plan (pure) →
    enqueue intents (unique dedupe keys, frozen facts) + set each period's next_check_at →
    deliver (jobs/delivery)

Planning and enqueueing happen in one transaction per batch of periods, so a crash leaves
either both the outbox rows and the moved next_check_at, or neither. A tick is idempotent:
running it twice, or ticking every minute instead of every hour, cannot create a second row
for the same (kind, assignment, period, stage, recipient).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.contracts import OFFICE as OFFICE_RECIPIENT
from db.contracts import Facts, MessageKind, dedupe_key
from db.engine import transaction
from db.models import OutboxItem, Period
from db.models.periods import OPEN, RETURNED
from jobs.delivery import Channel, DeliveryReport, deliver
from jobs.gc_quiet import collector_paused
from jobs.outbox import NewItem, enqueue_many, to_office
from jobs.planner import Intent, plan
from jobs.reporting import (
    due_views,
    ensure_periods,
    final_views,
    pending_designations,
    review_views,
    store_next_checks,
    store_review_checks,
)
from jobs.reporting.meta import meta_get, meta_set
from jobs.review_chase import ReviewIntent, plan_reviews
from jobs.runtime import Runtime
from jobs.settings import Settings
from jobs.workdays import WorkCalendar

log = logging.getLogger(__name__)

BATCH = 100_000  # periods planned per transaction: bounds memory on a very busy tick
META_LAST_TICK = "tick.last"  # ISO datetime of the latest tick so far (`duban tick --at` checks)


@dataclass
class TickReport:
    at: dt.datetime
    periods_created: int = 0
    periods_planned: int = 0
    intents: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


async def tick(
    rt: Runtime, channel: Channel | Sequence[Channel], now: dt.datetime
) -> TickReport:
    """Run one tick at `now` (aware). Safe to call at any granularity, and twice."""
    if now.tzinfo is None:
        raise ValueError("tick needs an aware datetime")
    report = TickReport(at=now)
    report.periods_created, report.periods_planned, report.intents = plan_due(rt, now)
    report.delivery = await deliver(
        rt.sessions, channel, rt.settings, now, cal=rt.calendar, attachments=rt.attachments
    )
    return report


def last_tick(session: Session) -> dt.datetime | None:
    """The latest moment a tick ran at (aware), or None before the first tick."""
    value = meta_get(session, META_LAST_TICK).get(META_LAST_TICK)
    return dt.datetime.fromisoformat(value) if value else None


def _note_tick(session: Session, now: dt.datetime) -> None:
    latest = last_tick(session)
    if latest is None or now > latest:
        meta_set(session, {META_LAST_TICK: now.isoformat()})


def enqueue_weekly_export(
    session: Session, settings: Settings, cal: WorkCalendar, now: dt.datetime
) -> bool:
    """On each week's first working day (in office hours) the district office gets the ledger
    and a chart. An outbox row like any other notice: sent once, kept across restarts; the
    files are made when it is delivered. Only while some reporting period is still running."""
    if not cal.in_office_hours(now):
        return False
    today = now.astimezone(settings.tz).date()
    monday = today - dt.timedelta(days=today.weekday())
    if cal.next_workday_or_same(monday) != today:
        return False
    year, week, _ = today.isocalendar()
    kind = MessageKind.WEEKLY_EXPORT
    key = dedupe_key(kind, OFFICE_RECIPIENT, stage=f"{year}-W{week:02d}")
    if session.scalar(select(exists().where(OutboxItem.dedupe_key == key))):
        return False
    running = exists().where(Period.state.in_((OPEN, RETURNED)) | (Period.due_on >= today))
    if not session.scalar(select(running)):
        return False
    return to_office(
        session,
        office_name=settings.office_name,
        kind=kind,
        facts=Facts(due=today.isoformat()),
        dedupe_key=key,
        now=now,
    )


def plan_due(rt: Runtime, now: dt.datetime) -> tuple[int, int, int]:
    """ensure_periods, then plan every period (and 各相关X placeholder) whose check has come.
    Returns (periods created, periods planned, intents)."""
    today = now.astimezone(rt.settings.tz).date()
    with transaction(rt.sessions) as session:
        _note_tick(session, now)
        created = ensure_periods(session, rt.settings, rt.calendar, today)
        enqueue_weekly_export(session, rt.settings, rt.calendar, now)
    planned = intents = 0
    first = True
    while True:
        with transaction(rt.sessions) as session:
            n, k = _plan_batch(session, rt, now, with_designations=first)
        first = False
        planned += n
        intents += k
        # A planned period's next check always moves past `now`, so the next batch is new.
        if n < BATCH:
            break
    return created, planned, intents


def _plan_batch(
    session: Session, rt: Runtime, now: dt.datetime, *, with_designations: bool
) -> tuple[int, int]:
    """One transaction: load due periods, plan, enqueue, store next checks."""
    with collector_paused():
        return _plan_and_enqueue(session, rt, now, with_designations=with_designations)


def _plan_and_enqueue(
    session: Session, rt: Runtime, now: dt.datetime, *, with_designations: bool
) -> tuple[int, int]:
    settings = rt.settings
    views = due_views(session, now, limit=BATCH)
    designations: list = []  # type: ignore[type-arg]
    reviews = 0
    if with_designations:  # once a tick: placeholders, 完成时限 ladders, pending reviews
        designations = pending_designations(session, settings, now)
        views += final_views(session, settings, now)
        reviews = _chase_reviews(session, rt, now)
    if not views and not designations:
        return 0, reviews
    result = plan(
        now,
        rt.calendar,
        views,
        settings.leaders,
        designations,
        office_name=settings.office_name,
        escalation=settings.escalation,
        designate_within=settings.designate_within,
    )
    planned = len(views)
    del views  # a busy tick's 100 000 views need not outlive the plan
    for error in result.errors:
        log.error("planner: %s", error)
    rows = [_new_item(i) for i in result.intents]
    # Keys in order: the unique index then grows at its end instead of splitting pages.
    rows.sort(key=lambda row: row.dedupe_key)
    enqueue_many(session, rows)
    del rows
    store_next_checks(session, result)
    return planned, len(result.intents) + reviews


def _chase_reviews(session: Session, rt: Runtime, now: dt.datetime) -> int:
    """The review chase (jobs/review_chase.py): reports their leads have left unreviewed."""
    views = review_views(session, rt.settings, now)
    if not views:
        return 0
    chase = plan_reviews(
        now,
        rt.calendar,
        views,
        remind_after=rt.settings.review_within,
        office_after=rt.settings.review_office_after,
        office_name=rt.settings.office_name,
    )
    for error in chase.errors:
        log.error("review chase: %s", error)
    enqueue_many(session, sorted((_new_item(i) for i in chase.intents), key=lambda r: r.dedupe_key))
    store_review_checks(session, chase.next_check)
    return len(chase.intents)


def _new_item(intent: Intent | ReviewIntent) -> NewItem:
    """A planned intent as an outbox row, with its frozen facts."""
    facts = intent.facts
    return NewItem(
        intent.dedupe_key,
        intent.kind,
        intent.recipient,
        intent.role,
        intent.due_at,
        {"recipient_name": intent.recipient_name, "item": facts.as_item()},
        intent.stage,
        facts.overdue_days or 0,
        intent.assignment_id,
        intent.period_id,
    )
