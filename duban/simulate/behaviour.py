"""How the simulated people behave. Each decision has its own random stream seeded with
(seed, task, unit, …), so it does not depend on the order in which periods appear: whether and
when a unit reports, the figure a lead reports toward its target, when a lead designates
its 各相关X placeholders, and when it reviews a report."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Assignment, Designation, Period, Target, Task, Unit
from db.models.tasks import LEAD
from duban.config import Config
from duban.simulate.model import Planned, SimOptions
from services.designation import candidates

MAX_LATE_WORKDAYS = 8
MAX_REVIEW_WORKDAYS = 2  # a reviewing lead does so within this many working days
REPORT_TEXT = {"on_track": "（模拟报送）序时推进", "difficulty": "（模拟报送）进度滞后"}
ON_TIME_WINDOW = 4  # an on-time report comes on one of the last 4 working days up to D


@dataclass(frozen=True)
class _Designating:
    at: dt.datetime
    designation_id: int
    unit_ids: tuple[int, ...]


def plan_designations(
    sessions: sessionmaker[Session], cal: Any, options: SimOptions
) -> list[_Designating]:
    """Each lead designates its 各相关X placeholders (with the reply rate's probability) on one
    of the first working days: one to three of the candidate units, at an office opening (a
    tick the clock makes anyway). Its own random stream, like the figures."""
    out: list[_Designating] = []
    first = cal.next_workday_or_same(options.start)
    with sessions() as session:
        pending = session.scalars(
            select(Designation)
            .where(Designation.designated_at.is_(None), Designation.removed_at.is_(None))
            .order_by(Designation.id)
        ).all()
        for des in pending:
            rng = random.Random(f"{options.seed}:designate:{des.task.number}:{des.group.name}")
            if rng.random() >= options.reply_rate:
                continue
            choices = sorted(candidates(session, des))
            if not choices:
                continue
            units = tuple(sorted(rng.sample(choices, rng.randint(1, min(3, len(choices))))))
            day = cal.add_workdays(first, rng.randint(1, 5))
            out.append(_Designating(cal.opening(day), des.id, units))
    return out


@dataclass
class FigureModel:
    """Lead units report a figure toward their task's first numeric target, growing over the
    plan roughly in step with time (so the ledger and the progress chart have something to
    show). A task with several leads gets a share from each, as the ledger sums the units'
    figures. Its own random stream: the reporting decisions stay as they were without it."""

    targets: dict[int, tuple[int, float, str]]  # task number → (target id, value, comparator)
    options: SimOptions
    leads: dict[int, int] = field(default_factory=dict)  # task number → its lead units

    @classmethod
    def load(cls, sessions: sessionmaker[Session], options: SimOptions) -> FigureModel:
        with sessions() as session:
            rows = session.execute(
                select(Task.number, Target.id, Target.value, Target.comparator)
                .join(Target, Target.task_id == Task.id)
                .where(Target.removed_at.is_(None))
                .order_by(Task.number, Target.ordinal)
            ).all()
            leads = session.execute(
                select(Task.number, func.count(Assignment.id))
                .join(Assignment, Assignment.task_id == Task.id)
                .where(Assignment.role == LEAD, Assignment.removed_at.is_(None))
                .group_by(Task.number)
            ).all()
        targets: dict[int, tuple[int, float, str]] = {}
        for number, target_id, value, comparator in rows:
            targets.setdefault(number, (target_id, value, comparator))
        return cls(targets, options, {number: n for number, n in leads})

    def for_report(self, planned: Planned, role: str) -> tuple[int | None, float | None]:
        target = self.targets.get(planned.task)
        if role != LEAD or target is None:
            return None, None
        target_id, value, comparator = target
        value /= max(self.leads.get(planned.task, 1), 1)  # this lead's share
        rng = random.Random(f"{self.options.seed}:{planned.task}:{planned.unit}:{planned.due}:fig")
        if comparator in ("<=", "<"):  # a ceiling: mostly within it
            return target_id, round(value * rng.uniform(0.6, 1.05), 2)
        span = max((self.options.end - self.options.start).days, 1)
        elapsed = min(max((planned.due - self.options.start).days, 0), span) / span
        return target_id, round(value * elapsed * rng.uniform(0.85, 1.15), 2)


# Built once: the simulated year asks after every tick (building the statement cost more
# than running it).
_NEW_PERIODS = (
    select(Period.id, Period.label, Period.due_on, Task.number, Unit.id, Unit.name)
    .join(Assignment, Assignment.id == Period.assignment_id)
    .join(Task, Task.id == Assignment.task_id)
    .join(Unit, Unit.id == Assignment.unit_id)
    .where(Period.id > bindparam("seen"))
    .order_by(Period.id)
)


def plan_reports(
    session: Session,
    cfg: Config,
    cal: Any,
    options: SimOptions,
    contacts: dict[int, int],
    seen_period: int,
    now: dt.datetime,
) -> tuple[int, list[Planned]]:
    """Decide, for each period created since the last call, if and when its unit reports."""
    out: list[Planned] = []
    rows = session.connection().execute(_NEW_PERIODS, {"seen": seen_period}).all()
    for pid, label, due, task, unit_id, unit_name in rows:
        seen_period = max(seen_period, pid)
        rng = random.Random(f"{options.seed}:{task}:{unit_name}:{label}")
        if rng.random() >= options.reply_rate:
            continue
        late = rng.random() < options.late_rate
        d = cal.prev_workday_or_same(due)
        if late:
            day = cal.add_workdays(d, rng.randint(1, MAX_LATE_WORKDAYS))
        else:
            day = cal.add_workdays(d, -rng.randint(0, ON_TIME_WINDOW - 1))
        opening = cal.opening(day)
        minutes = _office_minutes(cfg)
        at = opening + dt.timedelta(minutes=rng.randrange(1, minutes))
        status = "difficulty" if rng.random() < 0.1 else "on_track"
        if at <= now:
            continue  # the period appeared after its report time (a very short window)
        if unit_id not in contacts:
            continue
        out.append(Planned(at, task, unit_name, pid, contacts[unit_id], due, status))
    return seen_period, out


def review_time(cfg: Config, cal: Any, options: SimOptions, planned: Planned) -> dt.datetime | None:
    """When the lead reviews (accepts) a responsible unit's report, if it does: with the reply
    rate's probability, on one of the next MAX_REVIEW_WORKDAYS working days (its own random
    stream, so the reporting decisions stay as they were)."""
    rng = random.Random(f"{options.seed}:review:{planned.task}:{planned.unit}:{planned.due}")
    if rng.random() >= options.reply_rate:
        return None
    reported_on = planned.at.astimezone(cal.tz).date()
    day = cal.add_workdays(reported_on, rng.randint(1, MAX_REVIEW_WORKDAYS))
    return cal.opening(day) + dt.timedelta(minutes=rng.randrange(1, _office_minutes(cfg)))


def _office_minutes(cfg: Config) -> int:
    start, end = cfg.calendar.office_hours
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
