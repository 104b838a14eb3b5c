"""A numeric target's progress: the units' latest figures, aggregated by the target's rule.

Each unit's latest figure toward a target counts (a report the lead returned does not). By
default the units' figures are summed — each responsible unit reports its own part of the
district's total. Per target the config may say `max` (the units report the same running
total, e.g. the lead and a unit both report the district's count) or `latest` (whoever
reported last states the whole figure). See `[figures]` in config.example.toml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Assignment, Period, Report, Target, Task, Unit
from db.models.reports import REVIEW_RETURNED

SUM, MAX, LATEST = "sum", "max", "latest"
AGGREGATES = (SUM, MAX, LATEST)


@dataclass(frozen=True)
class FigureRules:
    """How each target aggregates: (task number, target ordinal) → rule; ordinal 0 stands
    for every target of the task."""

    default: str = SUM
    rules: Mapping[tuple[int, int], str] = field(default_factory=dict)

    def rule_for(self, task_number: int, ordinal: int) -> str:
        return self.rules.get(
            (task_number, ordinal), self.rules.get((task_number, 0), self.default)
        )


@dataclass(frozen=True)
class UnitFigure:
    unit: str
    figure: float
    at: dt.datetime


@dataclass
class TargetProgress:
    target_id: int
    ordinal: int
    label: str
    comparator: str
    value: float
    unit_label: str
    aggregate: str = SUM
    units: list[UnitFigure] = field(default_factory=list)  # each unit's latest, oldest first

    @property
    def figure(self) -> float | None:
        """The target's figure by its rule; None while no unit has reported one."""
        if not self.units:
            return None
        if self.aggregate == MAX:
            return max(u.figure for u in self.units)
        if self.aggregate == LATEST:
            return self.units[-1].figure
        return round(sum(u.figure for u in self.units), 6)

    @property
    def figure_at(self) -> dt.datetime | None:
        return self.units[-1].at if self.units else None

    @property
    def figure_unit(self) -> str:
        """Who the figure comes from: one unit, or 3个单位 for a sum of three."""
        if not self.units:
            return ""
        if self.aggregate == MAX:
            return max(self.units, key=lambda u: u.figure).unit
        if self.aggregate == LATEST or len(self.units) == 1:
            return self.units[-1].unit
        return f"{len(self.units)}个单位"

    @property
    def figure_text(self) -> str:
        """The figure with its unit (820亿元), "" while none was reported."""
        figure = self.figure
        return "" if figure is None else f"{format_number(figure)}{self.unit_label}"

    @property
    def text(self) -> str:
        return f"{self.label}{describe(self.comparator, self.value, self.unit_label)}"

    @property
    def progress(self) -> float | None:
        figure = self.figure
        return None if figure is None else progress(self.comparator, self.value, figure)


def progress_of(
    task_number: int,
    targets: Iterable[Target],
    reports: Iterable[tuple[Report, str]],
    rules: FigureRules,
) -> list[TargetProgress]:
    """Each current target of one task with its units' latest figures; `reports` are the
    task's reports with their unit's name, oldest first."""
    current = [t for t in targets if t.removed_at is None]
    out = {
        t.id: TargetProgress(
            t.id,
            t.ordinal,
            t.label,
            t.comparator,
            t.value,
            t.unit_label,
            rules.rule_for(task_number, t.ordinal),
        )
        for t in current
    }
    latest: dict[int, dict[str, UnitFigure]] = {t: {} for t in out}
    for report, unit in reports:
        if report.figure is None or report.review_state == REVIEW_RETURNED:
            continue
        target_id = report.target_id
        if target_id is None and len(current) == 1:
            target_id = current[0].id  # one target: a bare figure is toward it
        if target_id in latest:
            by_unit = latest[target_id]
            by_unit.pop(unit, None)  # re-inserted last: dicts keep the reporting order
            by_unit[unit] = UnitFigure(unit, report.figure, report.submitted_at)
    for target_id, by_unit in latest.items():
        out[target_id].units = list(by_unit.values())
    return sorted(out.values(), key=lambda s: s.ordinal)


def task_progress(
    session: Session, task_ids: Iterable[int], rules: FigureRules
) -> dict[int, list[TargetProgress]]:
    """progress_of for several tasks, read from the database (for /status)."""
    ids = list(task_ids)
    if not ids:
        return {}
    tasks = session.execute(select(Task.id, Task.number).where(Task.id.in_(ids))).all()
    targets: dict[int, list[Target]] = {i: [] for i in ids}
    for t in session.scalars(select(Target).where(Target.task_id.in_(ids))):
        targets[t.task_id].append(t)
    reports: dict[int, list[tuple[Report, str]]] = {i: [] for i in ids}
    for report, task_id, unit in session.execute(
        select(Report, Assignment.task_id, Unit.name)
        .join(Period, Report.period_id == Period.id)
        .join(Assignment, Period.assignment_id == Assignment.id)
        .join(Unit, Assignment.unit_id == Unit.id)
        .where(Assignment.task_id.in_(ids), Report.figure.is_not(None))
        .order_by(Report.submitted_at, Report.id)
    ):
        reports[task_id].append((report, unit))
    return {
        task_id: progress_of(number, targets[task_id], reports[task_id], rules)
        for task_id, number in tasks
    }


def progress(comparator: str, value: float, figure: float) -> float | None:
    """How far a reported figure has come toward a target, 1.0 = met (may exceed 1.0)."""
    if comparator in ("<=", "<"):
        if figure <= value:
            return 1.0
        return value / figure if figure else None
    return figure / value if value else None


def describe(comparator: str, value: float, unit_label: str) -> str:
    """A short Chinese rendering: ≥1087亿元."""
    sign = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}.get(comparator, comparator)
    return f"{sign}{format_number(value)}{unit_label}"


def format_number(value: float) -> str:
    """52.3, 1087, 1234567 (never 1.23457e+06), 0.52."""
    if abs(value) >= 1e15:
        return str(value)
    return f"{round(value, 6):f}".rstrip("0").rstrip(".")
