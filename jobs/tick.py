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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from duban.config import Config
from jobs.channel import Channel
from jobs.deliverer import DeliveryReport, deliver
from jobs.outbox import NewItem, enqueue_many, to_office
from jobs.settings import Settings
from jobs.workdays import WorkCalendar

if TYPE_CHECKING:
    from jobs.planner import Intent

log = logging.getLogger(__name__)

BATCH = 100_000  # periods planned per transaction: bounds memory on a very busy tick


class AppLike(Protocol):
    config: Config  # still read by deliver(); the rest of a tick takes `settings`
    sessions: sessionmaker[Session]

    @property
    def settings(self) -> Settings: ...  # the shell builds it (duban.wiring.engine_settings)

    @property
    def calendar(self) -> WorkCalendar: ...  # the shell builds it (duban.wiring.calendar_for)


@dataclass
class TickReport:
    at: dt.datetime
    periods_created: int = 0
    periods_planned: int = 0
    intents: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


async def tick(app: AppLike, channel: Channel, now: dt.datetime, *, cal: Any = None) -> TickReport:
    """Run one tick at `now` (aware). Safe to call at any granularity, and twice."""
    if now.tzinfo is None:
        raise ValueError("tick needs an aware datetime")
    cal = cal if cal is not None else app.calendar
    report = TickReport(at=now)
    fresh: dict[int, Intent] = {}
    report.periods_created, report.periods_planned, report.intents = plan_due(
        app.sessions, app.settings, cal, now, fresh=fresh
    )
    report.delivery = await deliver(app.sessions, channel, app.config, now, cal=cal, fresh=fresh)
    return report


def enqueue_weekly_export(session: Session, settings: Settings, cal: Any, now: dt.datetime) -> bool:
    """On each week's first working day (in office hours) the district office gets the ledger
    and a chart. An outbox row like any other notice: sent once, kept across restarts; the
    Telegram channel attaches the files. Only while some reporting period is still running."""
    from sqlalchemy import exists, select

    from db.models import OutboxItem, Period
    from db.models.periods import OPEN, RETURNED

    if not cal.in_office_hours(now):
        return False
    today = now.astimezone(settings.tz).date()
    monday = today - dt.timedelta(days=today.weekday())
    if cal.next_workday_or_same(monday) != today:
        return False
    year, week, _ = today.isocalendar()
    key = f"weekly_export:0:0:{year}-W{week:02d}:office"
    if session.scalar(select(exists().where(OutboxItem.dedupe_key == key))):
        return False
    running = exists().where(Period.state.in_((OPEN, RETURNED)) | (Period.due_on >= today))
    if not session.scalar(select(running)):
        return False
    return to_office(
        session,
        office_name=settings.office_name,
        kind="weekly_export",
        item={"due": today.isoformat()},
        dedupe_key=key,
        now=now,
    )


def plan_due(
    session_factory: sessionmaker[Session],
    settings: Settings,
    cal: Any,
    now: dt.datetime,
    *,
    fresh: dict[int, Intent] | None = None,
) -> tuple[int, int, int]:
    """ensure_periods, then plan every period (and 各相关X placeholder) whose check has come.

    Returns (periods created, periods planned, intents). `fresh`, if given, receives each
    intent that became a new outbox row, by the row's id, for the deliverer of the same tick
    (see deliver())."""
    from jobs.reporting import ensure_periods

    today = now.astimezone(settings.tz).date()
    with transaction(session_factory) as session:
        created = ensure_periods(session, settings, cal, today)
        enqueue_weekly_export(session, settings, cal, now)
    planned = intents = 0
    first = True
    while True:
        with transaction(session_factory) as session:
            n, k = _plan_batch(session, settings, cal, now, with_designations=first, fresh=fresh)
        first = False
        planned += n
        intents += k
        # A planned period's next check always moves past `now`, so the next batch is new.
        if n < BATCH:
            break
    return created, planned, intents


def _plan_batch(
    session: Session,
    settings: Settings,
    cal: Any,
    now: dt.datetime,
    *,
    with_designations: bool,
    fresh: dict[int, Intent] | None = None,
) -> tuple[int, int]:
    """One transaction: load due periods, plan, enqueue, store next checks."""
    from jobs.planner import plan
    from jobs.reporting import due_views, pending_designations, store_next_checks

    views = due_views(session, now, limit=BATCH)
    designations = pending_designations(session, settings, now) if with_designations else []
    if not views and not designations:
        return 0, 0
    result = plan(
        now,
        cal,
        views,
        settings.leaders,
        designations,
        office_name=settings.office_name,
    )
    planned = len(views)
    del views  # a busy tick's 100 000 views need not outlive the plan
    for error in result.errors:
        log.error("planner: %s", error)
    rows = [_new_item(i) for i in result.intents]
    by_key = {row.dedupe_key: intent for row, intent in zip(rows, result.intents, strict=True)}
    # Keys in order: the unique index then grows at its end instead of splitting pages.
    rows.sort()
    inserted = enqueue_many(session, rows)
    del rows
    if fresh is not None:
        for rid, key in inserted:
            fresh[rid] = by_key[key]
    store_next_checks(session, result)
    return planned, len(result.intents)


def _new_item(intent: Any) -> NewItem:
    """A planned intent as an outbox row. A period's ladder stage stores no payload: the
    deliverer has the item from this tick's plan, or rebuilds it from the period."""
    item = intent.item
    ladder = intent.period_id is not None
    return NewItem(
        intent.dedupe_key,
        intent.kind,
        intent.recipient,
        intent.role,
        intent.due_at,
        None if ladder else {"recipient_name": intent.recipient_name, "item": dict(item)},
        intent.stage,
        int(item.get("overdue_days") or 0) if ladder else 0,
        intent.assignment_id,
        intent.period_id,
    )
