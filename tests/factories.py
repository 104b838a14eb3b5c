"""Small helpers that put tasks, assignments, periods and reports straight into the database,
for tests that must not depend on the importer or the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.periods import OPEN, Period
from db.models.reports import REVIEW_PENDING, Report
from db.models.tasks import LEAD, RESPONSIBLE, Assignment, Target, Task
from db.models.units import Unit

SECTION = "一、优结构、谋发展"


def unit(session: Session, name: str) -> Unit:
    found = session.scalars(select(Unit).where(Unit.name == name)).one_or_none()
    if found is None:
        found = Unit(name=name)
        session.add(found)
        session.flush()
    return found


def add_task(
    session: Session,
    number: int,
    text: str,
    units: Sequence[str] = ("区发改局", "区工信局"),
    leads: int = 1,
    section: str = SECTION,
) -> Task:
    """A task whose first `leads` units lead and the rest are responsible."""
    task = Task(number=number, section=section, text=text)
    session.add(task)
    session.flush()
    for i, name in enumerate(units):
        role = LEAD if i < leads else RESPONSIBLE
        session.add(Assignment(task=task, unit=unit(session, name), role=role, position=i))
    session.flush()
    return task


def assignment(session: Session, task: Task, unit_name: str) -> Assignment:
    return session.scalars(
        select(Assignment).join(Unit).where(Assignment.task_id == task.id, Unit.name == unit_name)
    ).one()


def add_period(
    session: Session,
    task: Task,
    unit_name: str,
    due: dt.date,
    state: str = OPEN,
    label: str | None = None,
    extended_to: dt.date | None = None,
    starts_on: dt.date | None = None,
) -> Period:
    period = Period(
        assignment=assignment(session, task, unit_name),
        label=label or due.strftime("%Y-%m"),
        starts_on=starts_on or due.replace(day=1),
        due_on=due,
        extended_to=extended_to,
        state=state,
    )
    session.add(period)
    session.flush()
    return period


def add_report(
    session: Session,
    period: Period,
    at: dt.datetime,
    text: str = "按计划推进",
    figure: float | None = None,
    target: Target | None = None,
    review_state: str = REVIEW_PENDING,
) -> Report:
    report = Report(
        period=period,
        submitted_at=at,
        text=text,
        figure=figure,
        target=target,
        review_state=review_state,
    )
    session.add(report)
    session.flush()
    return report
