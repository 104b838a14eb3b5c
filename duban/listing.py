"""Read-only views of what was imported, for `duban tasks`, `duban units`, `duban assignments`
(and anyone else who wants the same rows as plain data)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    Assignment,
    Contact,
    Designation,
    Group,
    GroupMember,
    Task,
    Unit,
    UnitAlias,
)
from db.models.tasks import LEAD, RESPONSIBLE


@dataclass
class TaskView:
    number: int
    section: str
    text: str
    lead: list[str]
    responsible: list[str]
    # 各相关X placeholders still waiting for their lead to designate units
    undesignated: list[str] = field(default_factory=list)
    deadline_text: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "section": self.section,
            "text": self.text,
            "lead": self.lead,
            "responsible": self.responsible,
            "undesignated": self.undesignated,
            "deadline": self.deadline_text,
        }


def task_views(session: Session) -> list[TaskView]:
    tasks = session.scalars(
        select(Task).where(Task.removed_at.is_(None)).order_by(Task.number)
    ).all()
    by_task: dict[int, TaskView] = {
        t.id: TaskView(t.number, t.section, t.text, [], [], [], t.deadline_text) for t in tasks
    }
    rows = session.execute(
        select(Assignment.task_id, Assignment.role, Unit.name)
        .join(Unit, Assignment.unit_id == Unit.id)
        .where(Assignment.removed_at.is_(None))
        .order_by(Assignment.task_id, Assignment.position, Assignment.id)
    )
    for task_id, role, name in rows:
        view = by_task.get(task_id)
        if view is not None:
            (view.lead if role == LEAD else view.responsible).append(name)
    pending = session.execute(
        select(Designation.task_id, Group.name)
        .join(Group, Designation.group_id == Group.id)
        .where(Designation.removed_at.is_(None), Designation.designated_at.is_(None))
        .order_by(Designation.task_id, Designation.position)
    )
    for task_id, name in pending:
        if task_id in by_task:
            by_task[task_id].undesignated.append(name)
    return list(by_task.values())


@dataclass
class UnitView:
    name: str
    kind: str
    aliases: list[str]
    groups: list[str]
    lead: int
    responsible: int
    contacts: int
    from_import: bool
    placeholder: bool

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def unit_views(session: Session) -> list[UnitView]:
    units = session.scalars(select(Unit).order_by(Unit.id)).all()
    aliases: dict[int, list[str]] = {}
    for unit_id, alias in session.execute(
        select(UnitAlias.unit_id, UnitAlias.alias).where(UnitAlias.unit_id.is_not(None))
    ):
        aliases.setdefault(unit_id, []).append(alias)
    groups: dict[int, list[str]] = {}
    for unit_id, name in session.execute(
        select(GroupMember.unit_id, Group.name)
        .join(Group, GroupMember.group_id == Group.id)
        .order_by(Group.id)
    ):
        groups.setdefault(unit_id, []).append(name)
    counts: Counter[tuple[int, str]] = Counter()
    for unit_id, role, n in session.execute(
        select(Assignment.unit_id, Assignment.role, func.count())
        .join(Task, Assignment.task_id == Task.id)
        .where(Assignment.removed_at.is_(None), Task.removed_at.is_(None))
        .group_by(Assignment.unit_id, Assignment.role)
    ):
        counts[(unit_id, role)] = n
    contacts = dict(
        session.execute(
            select(Contact.unit_id, func.count())
            .where(Contact.revoked_at.is_(None))
            .group_by(Contact.unit_id)
        ).all()
    )
    return [
        UnitView(
            u.name,
            u.kind,
            sorted(aliases.get(u.id, [])),
            groups.get(u.id, []),
            counts[(u.id, LEAD)],
            counts[(u.id, RESPONSIBLE)],
            contacts.get(u.id, 0),
            u.from_import,
            u.placeholder,
        )
        for u in units
    ]


@dataclass
class AssignmentView:
    task: int
    unit: str
    role: str
    via_group: str | None
    section: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def assignment_views(session: Session, unit_id: int | None = None) -> list[AssignmentView]:
    via = Group.__table__.alias("via")
    query = (
        select(Task.number, Unit.name, Assignment.role, via.c.name, Task.section, Task.text)
        .join(Task, Assignment.task_id == Task.id)
        .join(Unit, Assignment.unit_id == Unit.id)
        .outerjoin(via, Assignment.via_group_id == via.c.id)
        .where(Assignment.removed_at.is_(None), Task.removed_at.is_(None))
        .order_by(Task.number, Assignment.role, Assignment.position)
    )
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    return [AssignmentView(*row) for row in session.execute(query)]
