"""Schedules and their periods: which task reports how often, each period's due date, and the
window of the whole plan.

A task's schedule is the first rule naming its number, else the first rule naming its section
(by number 一/二/… or by full title), else the plan's default.

    month    due on `day` of each month (default 25; day 31 in a 30-day month → the 30th)
    week     due on `weekday` (1 = Monday … 7 = Sunday) of each ISO week
    quarter  due on `day` of the quarter's last month (March, June, September, December)
    once     due on each of `dates`

A due day that is not a working day moves to the PREVIOUS working day (Sunday 2024-08-25 →
Friday 2024-08-23). Only periods whose due date falls within the plan's window exist.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ImportRun
from jobs.settings import ReportingPlan, Schedule
from jobs.workdays import WorkCalendar

_NUMERALS = "一二三四五六七八九十"


class PlanWindowError(ValueError):
    """The plan's end lies before its start (the shell reports it like a config error)."""


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    label: str  # "2024-03", "2024-W12", "2024-Q2", "once-2024-06-30"
    starts_on: dt.date
    due_on: dt.date  # already moved to a working day


def section_number(title: str) -> str:
    """'一、优结构、谋发展…' → '一'; '十二、…' → '十二'; '3.' → '3'; '' when none."""
    m = re.match(rf"^\s*([{_NUMERALS}]+|\d+)\s*[、.．]", title)
    return m.group(1) if m else ""


def _strip_number(title: str) -> str:
    return re.sub(rf"^\s*([{_NUMERALS}]+|\d+)\s*[、.．]\s*", "", title).strip()


def section_matches(wanted: str, section: str) -> bool:
    """A rule's `sections` entry names a task's section by number (一, 二, … or 1, 2, …) or by its
    title, with or without the leading number."""
    wanted = wanted.strip()
    if not wanted or not section:
        return False
    if wanted == section.strip():
        return True
    number = section_number(section)
    if number and wanted.rstrip("、.．") == number:
        return True
    return bool(_strip_number(wanted)) and _strip_number(wanted) == _strip_number(section)


def schedule_for(plan: ReportingPlan, task: Any) -> Schedule:
    """The schedule of a task (anything with .number and .section): rules naming the task's
    number first, then rules naming its section, then the default."""
    for rule in plan.rules:
        if task.number in rule.tasks:
            return rule
    for rule in plan.rules:
        if any(section_matches(s, task.section or "") for s in rule.sections):
            return rule
    return plan.default


def _month_day(year: int, month: int, day: int) -> dt.date:
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day, last))


def periods_for(
    schedule: Schedule, start: dt.date, end: dt.date, cal: WorkCalendar
) -> list[PeriodSpec]:
    """Every period of a schedule whose (moved) due date lies within [start, end]."""
    out: list[PeriodSpec] = []

    def add(label: str, natural_start: dt.date, nominal_due: dt.date) -> None:
        due = cal.prev_workday_or_same(nominal_due)
        if start <= due <= end:
            out.append(PeriodSpec(label, min(max(natural_start, start), due), due))

    if schedule.every == "month":
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            add(
                f"{year}-{month:02d}",
                dt.date(year, month, 1),
                _month_day(year, month, schedule.day),
            )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif schedule.every == "quarter":
        year, quarter = start.year, (start.month - 1) // 3 + 1
        while (year, quarter) <= (end.year, (end.month - 1) // 3 + 1):
            first = dt.date(year, 3 * quarter - 2, 1)
            add(f"{year}-Q{quarter}", first, _month_day(year, 3 * quarter, schedule.day))
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    elif schedule.every == "week":
        monday = start - dt.timedelta(days=start.weekday())
        while monday <= end:
            iso = monday.isocalendar()
            nominal = monday + dt.timedelta(days=schedule.weekday - 1)
            add(f"{iso.year}-W{iso.week:02d}", monday, nominal)
            monday += dt.timedelta(days=7)
    else:  # once
        previous = start
        for nominal in sorted(set(schedule.dates)):
            add(f"once-{nominal.isoformat()}", previous, nominal)
            previous = nominal + dt.timedelta(days=1)
    return out


def plan_window(
    session: Session,
    plan: ReportingPlan,
    tz: ZoneInfo,
    today: dt.date,
    start: dt.date | None = None,
) -> tuple[dt.date, dt.date]:
    """(start, end) of the whole plan: plan.start, else the first import's day (in `tz`), else
    today; plan.end, else 31 December of the start year. `start` overrides the plan's (simulate
    uses it). Raises PlanWindowError when the end lies before the start."""
    if start is None:
        start = plan.start
    if start is None:
        first = session.scalar(select(func.min(ImportRun.at)))
        start = first.astimezone(tz).date() if first is not None else today
    end = plan.end or dt.date(start.year, 12, 31)
    if end < start:
        raise PlanWindowError(
            f"reporting.end ({end.isoformat()}) is before the plan's start ({start.isoformat()}: "
            "reporting.start, else the day of the first import): set reporting.start and "
            "reporting.end to the reporting year"
        )
    return start, end
