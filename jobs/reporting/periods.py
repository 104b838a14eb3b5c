"""The lazy creation of Period rows: a period appears when its window opens, WINDOW_MARGIN
working days before its first reminder. The watermark (jobs/reporting/meta.py) lets a tick where
no window opens and no assignment was added return after one one-row query.

Each new period gets a copy of the escalation ladder (`Settings.escalation`): later config
edits don't change a running period.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Assignment, Period, Task
from db.models.periods import OPEN
from db.models.tasks import LEAD, RESPONSIBLE
from jobs.ladder import Policy, settled_ladder
from jobs.reporting.meta import (
    META_DESIGNATIONS,
    META_MARK,
    META_START,
    META_THROUGH,
    chunks,
    meta_set,
    meta_value,
)
from jobs.reporting.schedules import PeriodSpec, periods_for, plan_window, schedule_for
from jobs.settings import ReportingPlan, Settings
from jobs.workdays import CalendarGapError, WorkCalendar

log = logging.getLogger(__name__)

WINDOW_MARGIN = 2  # working days between a period's row appearing and its first reminder

_REPORTED_GAPS: set[dt.date] = set()

# The watermark and the highest assignment id in one row (ensure_periods' quiet path).
_WATERMARK = select(
    meta_value(META_THROUGH),
    meta_value(META_MARK),
    select(func.max(Assignment.id)).scalar_subquery(),
    meta_value(META_START),
)


def window_opens(spec: PeriodSpec, policy: Policy, cal: WorkCalendar) -> dt.date:
    """The day a period's row appears: WINDOW_MARGIN working days before its first reminder."""
    lead_days = max(policy.remind_before, default=0) + WINDOW_MARGIN
    return cal.add_workdays(spec.due_on, -lead_days)


@dataclass
class _Plan:
    start: dt.date
    end: dt.date
    policy: dict[str, Any]
    pol: Policy
    # id(schedule) → [(spec, opens_on)]
    specs: dict[int, list[tuple[PeriodSpec, dt.date]]]
    settled_until: dt.date | None = None  # last day before a calendar gap, if one was met


def _specs(
    reporting: ReportingPlan,
    policy: dict[str, Any],
    cal: WorkCalendar,
    start: dt.date,
    end: dt.date,
    today: dt.date,
) -> _Plan:
    """The specs whose window can have opened by `today` (due within a horizon of today).

    A due date in a year the calendar cannot settle is logged as an error naming the date and
    the config keys; periods before it go on (only the tasks of that schedule are held up)."""
    pol = Policy.from_mapping(policy)
    lead_days = max(pol.remind_before, default=0) + WINDOW_MARGIN
    horizon = min(end, today + dt.timedelta(days=max(62, 3 * lead_days)))
    specs: dict[int, list[tuple[PeriodSpec, dt.date]]] = {}
    settled: dt.date | None = None
    for schedule in (reporting.default, *reporting.rules):
        try:
            found = periods_for(schedule, start, horizon, cal)
        except CalendarGapError as gap:
            if gap.date not in _REPORTED_GAPS:  # once per process, not every tick
                _REPORTED_GAPS.add(gap.date)
                log.error("reporting calendar: %s", gap)
            last = dt.date(gap.date.year - 1, 12, 31)
            settled = last if settled is None else min(settled, last)
            found = periods_for(schedule, start, last, cal) if last >= start else []
        specs[id(schedule)] = [(spec, window_opens(spec, pol, cal)) for spec in found]
    return _Plan(start, end, policy, pol, specs, settled)


def ensure_periods(
    session: Session,
    settings: Settings,
    cal: WorkCalendar,
    today: dt.date,
    *,
    start: dt.date | None = None,
) -> int:
    """Create the Period rows whose window has opened by `today`; returns how many were new.

    Two sources, both idempotent (a period exists at most once per assignment and label):
    1. windows that opened after the watermark date, up to today: every active assignment of
       the tasks concerned gets that period — also periods already past due if the process
       was down, so the planner can catch up (restart safety);
    2. assignments added since the last run (import, designation): every period whose window
       has opened and whose due date is today or later. A unit is never chased for a deadline
       that passed before duban learned of its assignment.
    Cheap when nothing changed: one one-row query and no writes.
    """
    reporting = settings.reporting
    plan_start, plan_end = plan_window(session, reporting, settings.tz, today, start)
    through_text, mark_text, max_id, start_text = session.connection().execute(_WATERMARK).one()
    through = dt.date.fromisoformat(through_text) if through_text is not None else None
    mark = int(mark_text if mark_text is not None else "0")
    max_id = max_id or 0
    if start_text is not None and plan_start < dt.date.fromisoformat(start_text):
        # reporting.start moved earlier (e.g. set after a first tick, to replay a past year):
        # the windows before the old start were never walked, so walk from the new one, and
        # ask for designations again from there. Existing periods are never duplicated.
        through = None
        meta_set(session, {META_DESIGNATIONS: "{}"})
    marks = {META_MARK: str(max_id), META_START: plan_start.isoformat()}

    plan = _specs(reporting, dict(settings.escalation), cal, plan_start, plan_end, today)
    opened = [
        (key, spec)
        for key, specs in plan.specs.items()
        for spec, opens in specs
        if opens <= today and (through is None or opens > through)
    ]
    if not opened and max_id <= mark:
        if through is None or start_text != marks[META_START]:
            meta_set(session, {META_THROUGH: _through(plan, today), **marks})
        return 0  # the quiet path: no window opened, no assignment added, nothing written

    tasks = session.execute(
        select(Task.id, Task.number, Task.section).where(Task.removed_at.is_(None))
    ).all()
    tasks_of: dict[int, list[int]] = {}
    for t in tasks:
        tasks_of.setdefault(id(schedule_for(reporting, t)), []).append(t.id)

    # (schedule, spec, only assignments with id > this) → one INSERT … SELECT per role and
    # chunk of tasks: the rows are built by the database, not in Python.
    jobs: dict[tuple[int, PeriodSpec], int] = {}
    for key, spec in opened:  # 1. newly opened windows: every active assignment
        jobs[(key, spec)] = 0
    if max_id > mark:  # 2. assignments added since the last run: periods still ahead
        for key, specs in plan.specs.items():
            for spec, opens in specs:
                if opens <= today and spec.due_on >= today:
                    jobs.setdefault((key, spec), mark)

    created = 0
    created_at = dt.datetime.now(dt.UTC)
    for (key, spec), above in jobs.items():
        task_ids = tasks_of.get(key, [])
        for role in (LEAD, RESPONSIBLE):
            first = _first_moment(cal, spec.due_on, plan.pol, role)
            for chunk in chunks(task_ids, 500):
                created += _insert_select(
                    session, spec, role, first, plan.policy, created_at, chunk, above
                )
    meta_set(session, {META_THROUGH: _through(plan, today), **marks})
    return created


def _through(plan: _Plan, today: dt.date) -> str:
    """The new watermark: today, but never past a calendar gap — once the admin adds the
    overrides, windows that opened meanwhile are still "new" and get their periods."""
    if plan.settled_until is not None:
        return min(today, plan.settled_until).isoformat()
    return today.isoformat()


def _first_moment(cal: WorkCalendar, due: dt.date, policy: Policy, role: str) -> dt.datetime:
    """When the planner must first look at a new period: its first stage (stages past a
    calendar gap are the planner's to report)."""
    stages, gap = settled_ladder(cal, due, None, policy, role, True, True)
    if not stages:
        assert gap is not None
        raise gap
    return stages[0].moment


def _insert_select(
    session: Session,
    spec: PeriodSpec,
    role: str,
    next_check: dt.datetime,
    policy: dict[str, Any],
    created_at: dt.datetime,
    task_ids: Sequence[int],
    above_id: int,
) -> int:
    """INSERT INTO periods SELECT … FROM assignments … ON CONFLICT DO NOTHING → rows added."""
    cols = Period.__table__.c
    source = (
        select(
            Assignment.id,
            literal(spec.label, cols.label.type),
            literal(spec.starts_on, cols.starts_on.type),
            literal(spec.due_on, cols.due_on.type),
            literal(OPEN, cols.state.type),
            literal(next_check, cols.next_check_at.type),
            literal(policy, cols.policy.type),
            literal(created_at, cols.created_at.type),
        )
        .join(Task, Task.id == Assignment.task_id)
        .where(
            Assignment.task_id.in_(task_ids),
            Assignment.role == role,
            Assignment.removed_at.is_(None),
            Assignment.done_at.is_(None),  # a unit done with the task is chased no more
            Task.removed_at.is_(None),
            Assignment.id > above_id,
        )
    )
    names = [
        "assignment_id", "label", "starts_on", "due_on", "state", "next_check_at", "policy",
        "created_at",
    ]  # fmt: skip
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(Period.__table__).from_select(names, source)
    else:
        stmt = sqlite.insert(Period.__table__).from_select(names, source)
    stmt = stmt.on_conflict_do_nothing(index_elements=["assignment_id", "label"])
    return max(session.execute(stmt).rowcount, 0)
