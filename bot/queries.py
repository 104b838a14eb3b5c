"""Read-only queries behind the bot's lists (/tasks, /report, /status, /overview, /overdue)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Assignment, Extension, Period, Task, Unit
from db.models.periods import OPEN, RETURNED
from db.models.reports import EXT_PENDING
from db.models.tasks import LEAD
from jobs.lights import Lights
from messages.vocabulary import Light, Status
from services.reports import REPORTABLE
from services.standing import TaskStanding, task_standings

OPEN_STATES = (OPEN, RETURNED)
REPORTABLE_STATES = REPORTABLE  # the service's rule, not a copy of it


@dataclass(frozen=True)
class Item:
    period_id: int
    task_id: int
    task_number: int
    task_text: str
    unit: str
    role: str
    label: str
    due: dt.date
    state: str


def _items(session: Session, *where) -> list[Item]:  # type: ignore[no-untyped-def]
    stmt = (
        select(Period, Assignment, Task, Unit.name)
        .join(Assignment, Period.assignment_id == Assignment.id)
        .join(Task, Assignment.task_id == Task.id)
        .join(Unit, Assignment.unit_id == Unit.id)
        .where(Assignment.removed_at.is_(None), Task.removed_at.is_(None), *where)
        .order_by(Task.number, Assignment.position, Period.due_on)
    )
    return [
        Item(p.id, t.id, t.number, t.text, unit, a.role, p.label, p.effective_due, p.state)
        for p, a, t, unit in session.execute(stmt)
    ]


def open_items(session: Session, unit_id: int) -> list[Item]:
    """My unit's items that still need a report, earliest due first."""
    items = _items(session, Assignment.unit_id == unit_id, Period.state.in_(OPEN_STATES))
    return sorted(items, key=lambda i: (i.due, i.task_number))


def current_items(session: Session, unit_id: int) -> list[Item]:
    """One line per assignment of my unit: its latest period."""
    latest: dict[tuple[int, str], Item] = {}
    for item in _items(session, Assignment.unit_id == unit_id):
        key = (item.task_id, item.role)
        cur = latest.get(key)
        new_open = item.state in OPEN_STATES
        cur_open = cur is not None and cur.state in OPEN_STATES
        if (
            cur is None
            or (new_open and (not cur_open or item.due < cur.due))
            or (not new_open and not cur_open and item.due > cur.due)
        ):
            latest[key] = item
    return sorted(latest.values(), key=lambda i: i.task_number)


def led_items(session: Session, unit_id: int) -> dict[int, list[Item]]:
    """For each task my unit leads: the latest period of every assignment, unit by unit."""
    led = select(Assignment.task_id).where(
        Assignment.unit_id == unit_id, Assignment.role == LEAD, Assignment.removed_at.is_(None)
    )
    latest: dict[tuple[int, str, str], Item] = {}
    for item in _items(session, Assignment.task_id.in_(led)):
        key = (item.task_id, item.unit, item.role)
        if key not in latest or item.due >= latest[key].due:
            latest[key] = item
    by_task: dict[int, list[Item]] = defaultdict(list)
    for item in latest.values():
        by_task[item.task_number].append(item)
    return dict(sorted(by_task.items()))


def item(session: Session, period_id: int) -> Item | None:
    found = _items(session, Period.id == period_id)
    return found[0] if found else None


@dataclass
class Overview:
    """Tasks by light and by status, overall and per section (in table order)."""

    tasks: int = 0
    lights: Counter[Light] = field(default_factory=Counter)
    statuses: Counter[Status] = field(default_factory=Counter)
    sections: dict[str, Overview] = field(default_factory=dict)

    def add(self, standing: TaskStanding, section: bool = True) -> None:
        self.tasks += 1
        self.lights[standing.standing.light] += 1
        self.statuses[standing.standing.status] += 1
        if section:
            self.sections.setdefault(standing.section, Overview()).add(standing, False)

    def light_counts(self) -> list[tuple[Light, int]]:
        """Red first, every light named (a zero count says something too)."""
        return [(light, self.lights[light]) for light in (Light.RED, Light.YELLOW, Light.GREEN)]

    def status_counts(self) -> list[tuple[Status, int]]:
        return [(status, n) for status in Status if (n := self.statuses[status])]


def overview(session: Session, lights: Lights, today: dt.date) -> Overview:
    """Every current task judged by the lights' one definition (jobs/lights.py)."""
    out = Overview()
    for standing in task_standings(session, lights, today):
        out.add(standing)
    return out


def led_standings(
    session: Session, lights: Lights, unit_id: int, today: dt.date
) -> dict[int, TaskStanding]:
    """The tasks my unit leads, judged, by task number."""
    led = select(Assignment.task_id).where(
        Assignment.unit_id == unit_id, Assignment.role == LEAD, Assignment.removed_at.is_(None)
    )
    found = task_standings(session, lights, today, task_ids=session.scalars(led).all())
    return {s.number: s for s in found}


def overdue(session: Session, today: dt.date) -> dict[str, list[Item]]:
    """Open items past their due date, grouped by the task's lead department(s)."""
    items = [i for i in _items(session, Period.state.in_(OPEN_STATES)) if i.due < today]
    leads: dict[int, list[str]] = defaultdict(list)
    for task_id, name in session.execute(
        select(Assignment.task_id, Unit.name)
        .join(Unit, Assignment.unit_id == Unit.id)
        .where(Assignment.role == LEAD, Assignment.removed_at.is_(None))
        .order_by(Assignment.position)
    ):
        leads[task_id].append(name)
    grouped: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        grouped["、".join(leads.get(i.task_id, [])) or "—"].append(i)
    return dict(sorted(grouped.items()))


def extension_pending(session: Session, period_id: int) -> bool:
    """Whether an extension request for this period waits for a decision."""
    return (
        session.scalar(
            select(func.count(Extension.id)).where(
                Extension.period_id == period_id, Extension.state == EXT_PENDING
            )
        )
        or 0
    ) > 0


def designated_unit_ids(session: Session, task_id: int, group_id: int, role: str) -> list[int]:
    """The units a placeholder (task × 各相关X group) stands for now."""
    return list(
        session.scalars(
            select(Assignment.unit_id).where(
                Assignment.task_id == task_id,
                Assignment.via_group_id == group_id,
                Assignment.role == role,
                Assignment.removed_at.is_(None),
            )
        )
    )


def count_periods(session: Session) -> int:
    return int(session.scalar(select(func.count(Period.id))) or 0)
