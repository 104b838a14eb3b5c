"""Read-only queries behind the bot's lists (/tasks, /report, /status, /overview, /overdue)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Assignment, Extension, Period, Target, Task, Unit
from db.models.periods import ACCEPTED, OPEN, RETURNED, SUBMITTED
from db.models.reports import EXT_PENDING
from db.models.tasks import LEAD

OPEN_STATES = (OPEN, RETURNED)
REPORTABLE_STATES = (OPEN, RETURNED, SUBMITTED, ACCEPTED)  # as services.reports


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


def targets(session: Session, task_id: int) -> list[Target]:
    return list(session.scalars(select(Target).where(Target.task_id == task_id)))


def overview(session: Session, today: dt.date) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Counts of current periods by state (and 'overdue'), overall and per section."""
    total: Counter[str] = Counter()
    sections: dict[str, Counter[str]] = defaultdict(Counter)
    stmt = (
        select(Period.state, Period.due_on, Period.extended_to, Task.section)
        .join(Assignment, Period.assignment_id == Assignment.id)
        .join(Task, Assignment.task_id == Task.id)
        .where(Assignment.removed_at.is_(None), Period.starts_on <= today)
    )
    for state, due_on, extended_to, section in session.execute(stmt):
        key = state
        if state in OPEN_STATES and (extended_to or due_on) < today:
            key = "overdue"
        total[key] += 1
        sections[section][key] += 1
    return total, dict(sections)


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
