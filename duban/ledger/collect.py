"""The ledger's rows from the database, as of a date (see the package docstring for what
overdue, due soon and the lights mean)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models.periods import ACCEPTED, CANCELLED, DONE, OPEN, RETURNED, SUBMITTED, Period
from db.models.reports import Report
from db.models.tasks import LEAD, Assignment, Task
from duban.config import Config
from duban.ledger.model import (
    Ledger,
    LedgerRow,
    OverdueItem,
    UnitOnTime,
    UnitStatus,
)
from duban.wiring import lights_for
from jobs.lights import Lights, Standing
from jobs.workdays import WorkCalendar
from messages.vocabulary import Light, Status, period_state_word, status_word
from services.standing import closed_task_ids, is_closed, unit_facts
from services.target_progress import progress_of

ACTIVE = (OPEN, RETURNED)


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _unit_status(
    assignment: Assignment,
    periods: list[Period],
    reports: list[Report],
    as_of: dt.date,
    lights: Lights,
    closed: bool,
) -> tuple[UnitStatus, list[Period]]:
    """The unit's line (light and status from jobs/lights.py) and its overdue periods."""
    name, role = assignment.unit.name, assignment.role
    periods = sorted(periods, key=lambda p: (p.effective_due, p.id))
    judged = lights.unit(unit_facts(periods, reports), as_of, closed=closed)
    word = status_word(judged.status)
    cal = lights.cal
    overdue = [p for p in periods if p.state in ACTIVE and p.effective_due < as_of]
    last = max(reports, key=lambda r: r.submitted_at, default=None)
    common: dict[str, Any] = {
        "unit": name,
        "role": role,
        "light": judged.light,
        "status": judged.status,
        "last_report_at": last.submitted_at if last else None,
        "last_report_text": last.text if last else "",
    }
    if closed:
        return UnitStatus(state="done", text=word, due=None, **common), []
    if overdue:
        first = overdue[0]
        days = cal.days_overdue(first.effective_due, as_of)
        text = f"{word}，逾期{days}个工作日" + (
            f"（{len(overdue)}期未报）" if len(overdue) > 1 else ""
        )
        if judged.returned:
            text += "，" + period_state_word(RETURNED)
        status = UnitStatus(
            state="overdue", text=text, due=first.effective_due, days_overdue=days, **common
        )
        return status, overdue
    if judged.returned and judged.period is not None:
        due = judged.period.due
        return UnitStatus(
            state="returned",
            text=f"{word}，{period_state_word(RETURNED)}（{_md(due)}前）",
            due=due,
            **common,
        ), []
    if judged.period is not None:  # due within the warning window
        due = judged.period.due
        left = (due - as_of).days
        soon = "今日到期" if left == 0 else f"{left}天后到期（{_md(due)}）"
        return UnitStatus(state="due_soon", text=f"{word}，{soon}", due=due, **common), []
    upcoming = [p for p in periods if p.state == OPEN and p.effective_due > as_of]
    closed_periods = [p for p in periods if p.state in (SUBMITTED, ACCEPTED)]
    parts = [word]
    state = "open" if upcoming else "none"
    if closed_periods:
        state = "submitted" if closed_periods[-1].state == SUBMITTED else "accepted"
        parts.append(period_state_word(state))  # 已报送，待审核 / 已通过
    if upcoming:
        parts.append(f"下期{_md(upcoming[0].effective_due)}截止")
    due = upcoming[0].effective_due if upcoming else None
    return UnitStatus(state=state, text="，".join(parts), due=due, **common), []


def collect_ledger(session: Session, cfg: Config, as_of: dt.date) -> Ledger:
    """Read the database into a Ledger as of the end of `as_of` (in cfg.tz)."""
    tz = cfg.tz
    lights = lights_for(cfg)
    cal = lights.cal
    closed_ids = closed_task_ids(session)
    rules = cfg.figures.figure_rules()
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tz)
    tasks = session.scalars(
        select(Task)
        .where(Task.removed_at.is_(None))
        .order_by(Task.number)
        .options(
            selectinload(Task.assignments).selectinload(Assignment.unit),
            selectinload(Task.targets),
        )
    ).all()
    periods_by_assignment: dict[int, list[Period]] = defaultdict(list)
    for period in session.scalars(
        select(Period).where(Period.starts_on <= as_of, Period.state != CANCELLED)
    ):
        periods_by_assignment[period.assignment_id].append(period)
    reports_by_assignment: dict[int, list[Report]] = defaultdict(list)
    all_reports: list[Report] = []
    for report, assignment_id in session.execute(
        select(Report, Period.assignment_id)
        .join(Period, Report.period_id == Period.id)
        .where(Report.submitted_at < cutoff)
        .order_by(Report.submitted_at, Report.id)
    ):
        reports_by_assignment[assignment_id].append(report)
        all_reports.append(report)

    in_charge = _leaders_in_charge(cfg)
    rows: list[LedgerRow] = []
    overdue_items: list[OverdueItem] = []
    on_time: dict[str, list[int]] = {}
    for task in tasks:
        assignments = sorted(
            (a for a in task.assignments if a.removed_at is None),
            key=lambda a: (a.role != LEAD, a.position, a.id),
        )
        leads = [a.unit.name for a in assignments if a.role == LEAD]
        responsibles = [a.unit.name for a in assignments if a.role != LEAD]
        units: list[UnitStatus] = []
        task_reports: list[tuple[Report, str]] = []
        closed = is_closed(
            task.id, closed_ids, (p for a in assignments for p in periods_by_assignment[a.id])
        )
        for a in assignments:
            periods = periods_by_assignment.get(a.id, [])
            reports = reports_by_assignment.get(a.id, [])
            status, late = _unit_status(a, periods, reports, as_of, lights, closed)
            units.append(status)
            task_reports.extend((r, a.unit.name) for r in reports)
            for p in late:
                overdue_items.append(
                    OverdueItem(
                        task_number=task.number,
                        task_text=task.text,
                        section=task.section,
                        unit=a.unit.name,
                        role=a.role,
                        leads=leads,
                        period_label=p.label,
                        due=p.effective_due,
                        days_overdue=cal.days_overdue(p.effective_due, as_of),
                        state=p.state,
                        light=status.light,
                    )
                )
            counts = on_time.setdefault(a.unit.name, [0, 0])
            for _due, ok in _on_time(periods, reports, as_of, tz):
                counts[0] += 1
                counts[1] += ok
                status.missed += not ok
        task_standing = lights.task(
            (lights_of(u) for u in units), as_of, closed=closed, deadline=task.deadline
        )
        if task_standing.deadline_passed:
            overdue_items.extend(_past_deadline(task, units, leads, as_of, cal))
        task_reports.sort(key=lambda ru: (ru[0].submitted_at, ru[0].id))
        last = task_reports[-1] if task_reports else None
        rows.append(
            LedgerRow(
                number=task.number,
                section=task.section,
                text=task.text,
                leads=leads,
                responsibles=responsibles,
                targets=progress_of(task.number, task.targets, task_reports, rules),
                units=units,
                last_report_at=last[0].submitted_at if last else None,
                last_report_unit=last[1] if last else "",
                last_report_text=last[0].text if last else "",
                days_overdue=max((u.days_overdue for u in units), default=0),
                light=task_standing.light,
                status=task_standing.status,
                missed=sum(u.missed for u in units),
                leaders=[n for n in task.leaders.split("、") if n]
                or list(dict.fromkeys(n for lead in leads for n in in_charge.get(lead, ()))),
                deadline=task.deadline,
                deadline_text=task.deadline_text,
            )
        )
    overdue_items.sort(key=lambda o: (-o.days_overdue, o.task_number, o.unit))
    weeks: dict[dt.date, int] = defaultdict(int)
    for r in all_reports:
        day = r.submitted_at.astimezone(tz).date()
        weeks[day - dt.timedelta(days=day.weekday())] += 1
    return Ledger(
        as_of=as_of,
        tz=tz,
        rows=rows,
        overdue=overdue_items,
        on_time=[UnitOnTime(u, c[0], c[1]) for u, c in on_time.items() if c[0]],
        reports_per_week=sorted(weeks.items()),
        warn_within=lights.rules.warn_within,
        lead_after=lights.rules.lead_after,
    )


def _leaders_in_charge(cfg: Config) -> dict[str, list[str]]:
    """Canonical lead unit name → the configured leaders in charge of it."""
    index = cfg.name_index()
    out: dict[str, list[str]] = {}
    for leader in cfg.leaders:
        for unit in leader.units:
            out.setdefault(index.get(unit, unit), []).append(leader.name)
    return out


def lights_of(unit: UnitStatus) -> Standing:
    """A unit line's verdict as the task's judgement takes it."""
    return Standing(unit.light, unit.status)


def _past_deadline(
    task: Task, units: list[UnitStatus], leads: list[str], as_of: dt.date, cal: WorkCalendar
) -> Iterable[OverdueItem]:
    """A task past its 完成时限: one 逾期 line per unit that has not finished."""
    assert task.deadline is not None
    for u in units:
        if u.status in (Status.COMPLETED, Status.CLOSED):
            continue
        yield OverdueItem(
            task_number=task.number,
            task_text=task.text,
            section=task.section,
            unit=u.unit,
            role=u.role,
            leads=leads,
            period_label="完成时限",
            due=task.deadline,
            days_overdue=cal.days_overdue(task.deadline, as_of),
            state="past_deadline",
            light=Light.RED,
        )


def _on_time(
    periods: list[Period], reports: list[Report], as_of: dt.date, tz: ZoneInfo
) -> Iterable[tuple[dt.date, bool]]:
    """For each period whose due date has passed: was it reported by then?"""
    first: dict[int, dt.date] = {}
    for r in reports:  # in submission order
        first.setdefault(r.period_id, r.submitted_at.astimezone(tz).date())
    for p in periods:
        if p.effective_due >= as_of:
            continue
        if p.state == DONE and p.id not in first:
            continue  # closed by completion (办结), nothing was due
        reported = first.get(p.id)
        yield p.effective_due, reported is not None and reported <= p.effective_due
