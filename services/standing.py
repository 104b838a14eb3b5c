"""The 督办 state of tasks as of a day, read from the database and judged by jobs/lights.py:
what the ledger, the charts and the chat views (/status, /overview) all show.

`unit_facts` turns a unit's loaded periods and reports into the lights' plain facts (the ledger
loads its own rows and calls it); `task_standings` loads and judges whole tasks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Assignment, Completion, Period, Report, Task, Unit
from db.models.periods import ACCEPTED, CANCELLED, DONE, SUBMITTED
from db.models.reports import COMPLETION_CONFIRMED, ON_TRACK, REVIEW_RETURNED
from db.models.tasks import LEAD
from jobs.lights import Lights, PeriodFact, Standing, UnitFacts


def period_fact(period: Period) -> PeriodFact:
    lead_after = (period.policy or {}).get("lead_after")
    return PeriodFact(
        due=period.effective_due,
        state=period.state,
        restarted_on=period.restarted_on,
        lead_after=int(lead_after) if lead_after is not None else None,
        label=period.label,
        period_id=period.id,
    )


def unit_facts(periods: Iterable[Period], reports: Sequence[Report]) -> UnitFacts:
    """A unit's facts from its periods (started by the as-of day, not cancelled) and its
    reports up to that day, oldest first."""
    periods = list(periods)
    standing = [r for r in reports if r.review_state != REVIEW_RETURNED]
    status = standing[-1].status if standing else None
    if status is None and any(p.state in (SUBMITTED, ACCEPTED) for p in periods):
        status = ON_TRACK  # a period marked reported without its report row (set by hand)
    return UnitFacts(periods=[period_fact(p) for p in periods], report_status=status)


def closed_task_ids(session: Session, task_ids: Iterable[int] | None = None) -> set[int]:
    """Tasks the office confirmed 办结."""
    q = select(Completion.task_id).where(Completion.state == COMPLETION_CONFIRMED)
    if task_ids is not None:
        q = q.where(Completion.task_id.in_(list(task_ids)))
    return set(session.scalars(q))


def is_closed(task_id: int, closed: set[int], periods: Iterable[Period]) -> bool:
    """办结: confirmed by the office (or every period closed by it, for rows written by hand)."""
    periods = list(periods)
    return task_id in closed or (bool(periods) and all(p.state == DONE for p in periods))


@dataclass(frozen=True)
class UnitLine:
    unit: str
    role: str
    standing: Standing


@dataclass(frozen=True)
class TaskStanding:
    task_id: int
    number: int
    section: str
    standing: Standing
    units: list[UnitLine]


def task_standings(
    session: Session,
    lights: Lights,
    as_of: dt.date,
    *,
    task_ids: Iterable[int] | None = None,
    cutoff: dt.datetime | None = None,
) -> list[TaskStanding]:
    """Every current task (or those of `task_ids`) judged as of `as_of`, by number; units in
    table order (leads first). Reports count up to `cutoff` (default: all)."""
    tq = select(Task).where(Task.removed_at.is_(None)).order_by(Task.number)
    if task_ids is not None:
        tq = tq.where(Task.id.in_(list(task_ids)))
    tasks = session.scalars(tq).all()
    ids = [t.id for t in tasks]
    assignments = session.execute(
        select(Assignment, Unit.name)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.task_id.in_(ids), Assignment.removed_at.is_(None))
        .order_by(Assignment.role != LEAD, Assignment.position, Assignment.id)
    ).all()
    periods: dict[int, list[Period]] = defaultdict(list)
    for p in session.scalars(
        select(Period)
        .join(Assignment, Assignment.id == Period.assignment_id)
        .where(
            Assignment.task_id.in_(ids), Period.starts_on <= as_of, Period.state != CANCELLED
        )
    ):
        periods[p.assignment_id].append(p)
    reports: dict[int, list[Report]] = defaultdict(list)
    rq = (
        select(Report, Period.assignment_id)
        .join(Period, Period.id == Report.period_id)
        .join(Assignment, Assignment.id == Period.assignment_id)
        .where(Assignment.task_id.in_(ids))
        .order_by(Report.submitted_at, Report.id)
    )
    if cutoff is not None:
        rq = rq.where(Report.submitted_at < cutoff)
    for report, aid in session.execute(rq):
        reports[aid].append(report)
    closed_ids = closed_task_ids(session, ids)
    by_task: dict[int, list[tuple[Assignment, str]]] = defaultdict(list)
    for a, name in assignments:
        by_task[a.task_id].append((a, name))
    out = []
    for task in tasks:
        mine = by_task.get(task.id, [])
        closed = is_closed(task.id, closed_ids, (p for a, _ in mine for p in periods[a.id]))
        lines = [
            UnitLine(
                name,
                a.role,
                lights.unit(unit_facts(periods[a.id], reports[a.id]), as_of, closed=closed),
            )
            for a, name in mine
        ]
        standing = lights.task(
            (u.standing for u in lines), as_of, closed=closed, deadline=task.deadline
        )
        out.append(TaskStanding(task.id, task.number, task.section, standing, lines))
    return out
