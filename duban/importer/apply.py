"""Write a resolved table into the database and say what changed.

Tasks are matched by number. Group names expand into one assignment per member unit (via_group
remembers the group); a 各相关X group becomes a Designation placeholder for its lead to settle,
unless the config's [[designations]] already names its units. Nothing is ever deleted: rows a
revised table drops get removed_at (their reports stay), rows that come back get it cleared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Assignment, Designation, Group, GroupMember, Period, Task, Unit
from db.models.periods import CANCELLED, OPEN, RETURNED
from db.models.tasks import LEAD, RESPONSIBLE
from duban.config import Config
from duban.importer.deadline import sync_deadlines
from duban.importer.diff import (
    AssignmentChange,
    DesignationChange,
    ImportDiff,
    TaskChange,
    UnitAdded,
)
from duban.importer.resolve import ResolvedTable, ResolvedTask

CONFIG_DESIGNATOR = "config"


@dataclass(frozen=True)
class _Wanted:
    unit_id: int
    via_group_id: int | None
    position: int


def apply_table(
    session: Session, cfg: Config, table: ResolvedTable, now: dt.datetime | None = None
) -> ImportDiff:
    now = now or dt.datetime.now(dt.UTC)
    diff = ImportDiff()

    units = {u.name: u for u in session.scalars(select(Unit))}
    for new in table.new_units:
        unit = Unit(name=new.name, kind=new.kind, from_import=True, created_at=now)
        session.add(unit)
        units[new.name] = unit
        diff.units_added.append(UnitAdded(new.name, new.kind))
    session.flush()
    unit_names = {u.id: name for name, u in units.items()}

    groups = {g.name: g for g in session.scalars(select(Group))}
    group_names = {g.id: name for name, g in groups.items()}
    members: dict[int, list[int]] = {}
    for group_id, unit_id in session.execute(
        select(GroupMember.group_id, GroupMember.unit_id).order_by(GroupMember.unit_id)
    ):
        members.setdefault(group_id, []).append(unit_id)
    configured = _configured_designations(cfg, units, groups)

    tasks = {t.number: t for t in session.scalars(select(Task))}
    active = sum(1 for t in tasks.values() if t.removed_at is None)
    seen_numbers: set[int] = set()
    for rt in table.tasks:
        seen_numbers.add(rt.number)
        task = _upsert_task(session, tasks, rt, now, diff)
        wanted, placeholders = _wanted(rt, units, groups, members, configured, diff)
        _sync_designations(session, task, placeholders, configured, groups, group_names, now, diff)
        _sync_assignments(session, task, wanted, unit_names, group_names, now, diff)

    for number, task in sorted(tasks.items()):
        if number in seen_numbers or task.removed_at is not None:
            continue
        task.removed_at = now
        diff.tasks_removed.append(number)
        _sync_designations(session, task, {}, configured, groups, group_names, now, diff)
        _sync_assignments(session, task, {}, unit_names, group_names, now, diff)
    session.flush()
    sync_deadlines(session, cfg)
    if len(diff.tasks_removed) * 2 > max(active, 1):
        diff.warnings.append(
            f"this table removes {len(diff.tasks_removed)} of the {active} current tasks: "
            "is it the right file?"
        )
    return diff


def _upsert_task(
    session: Session, tasks: dict[int, Task], rt: ResolvedTask, now: dt.datetime, diff: ImportDiff
) -> Task:
    task = tasks.get(rt.number)
    if task is None:
        task = Task(
            number=rt.number,
            section=rt.section,
            text=rt.text,
            deadline_text=rt.deadline_text,  # its date: sync_deadlines, at the end
            leaders=rt.leaders_text,
            created_at=now,
            updated_at=now,
        )
        session.add(task)
        session.flush()
        tasks[rt.number] = task
        diff.tasks_added.append(rt.number)
        return task
    if task.removed_at is not None:
        task.removed_at = None
        diff.tasks_added.append(rt.number)
    changes = {
        name: (old, new)
        for name, old, new in (
            ("section", task.section, rt.section),
            ("text", task.text, rt.text),
            ("deadline_text", task.deadline_text, rt.deadline_text),
            ("leaders", task.leaders, rt.leaders_text),
        )
        if old != new
    }
    if changes:
        task.section, task.text, task.deadline_text = rt.section, rt.text, rt.deadline_text
        task.leaders = rt.leaders_text
        task.updated_at = now
        diff.tasks_changed.append(TaskChange(rt.number, changes))
    return task


def _configured_designations(
    cfg: Config, units: dict[str, Unit], groups: dict[str, Group]
) -> dict[tuple[int, int], list[int]]:
    """(task number, group id) → unit ids, from the config's [[designations]]."""
    index = cfg.name_index()
    out: dict[tuple[int, int], list[int]] = {}
    for des in cfg.designations:
        group = groups.get(index.get(des.group, des.group))
        if group is None:
            continue
        ids = out.setdefault((des.task, group.id), [])
        for name in des.units:
            unit = units.get(index.get(name, name))
            if unit is not None and unit.id not in ids:
                ids.append(unit.id)
    return out


def _wanted(
    rt: ResolvedTask,
    units: dict[str, Unit],
    groups: dict[str, Group],
    members: dict[int, list[int]],
    configured: dict[tuple[int, int], list[int]],
    diff: ImportDiff,
) -> tuple[dict[tuple[int, str], _Wanted], dict[tuple[int, str], int]]:
    """The assignments the table asks for, keyed (unit id, role), and the 各相关X placeholders,
    keyed (group id, role) → position. A lead unit is not also made responsible."""
    wanted: dict[tuple[int, str], _Wanted] = {}
    placeholders: dict[tuple[int, str], int] = {}
    leads: set[int] = set()
    position = 0
    for role, names in ((LEAD, rt.lead), (RESPONSIBLE, rt.responsible)):
        for name in names:
            if name in units:
                expanded = [(units[name].id, None)]
            else:
                group = groups[name]
                if group.relevant_of_id is not None:
                    placeholders.setdefault((group.id, role), position)
                    position += 1
                    expanded = [(u, group.id) for u in configured.get((rt.number, group.id), [])]
                else:
                    expanded = [(u, group.id) for u in members.get(group.id, [])]
                    if not expanded:
                        diff.warnings.append(f"task {rt.number}: group {name} has no member units")
            for unit_id, via in expanded:
                if (unit_id, role) in wanted or (role == RESPONSIBLE and unit_id in leads):
                    continue
                wanted[(unit_id, role)] = _Wanted(unit_id, via, position)
                position += 1
                if role == LEAD:
                    leads.add(unit_id)
    return wanted, placeholders


def _sync_designations(
    session: Session,
    task: Task,
    placeholders: dict[tuple[int, str], int],
    configured: dict[tuple[int, int], list[int]],
    groups: dict[str, Group],
    group_names: dict[int, str],
    now: dt.datetime,
    diff: ImportDiff,
) -> None:
    existing = {
        (d.group_id, d.role): d
        for d in session.scalars(select(Designation).where(Designation.task_id == task.id))
    }
    for (group_id, role), position in placeholders.items():
        by_config = (task.number, group_id) in configured
        des = existing.get((group_id, role))
        change = DesignationChange(task.number, group_names[group_id], role, by_config)
        if des is None:
            des = Designation(task_id=task.id, group_id=group_id, role=role, position=position)
            session.add(des)
            diff.designations_added.append(change)
        elif des.removed_at is not None:
            des.removed_at = None
            diff.designations_added.append(change)
        des.position = position
        if by_config and des.designated_by != CONFIG_DESIGNATOR:
            des.designated_by, des.designated_at = CONFIG_DESIGNATOR, now
        elif not by_config and des.designated_by == CONFIG_DESIGNATOR:
            # the config no longer settles it: back to waiting for the lead
            des.designated_by, des.designated_at = "", None
    for key, des in existing.items():
        if key not in placeholders and des.removed_at is None:
            des.removed_at = now
            diff.designations_removed.append(
                DesignationChange(task.number, group_names[des.group_id], des.role)
            )


def _sync_assignments(
    session: Session,
    task: Task,
    wanted: dict[tuple[int, str], _Wanted],
    unit_names: dict[int, str],
    group_names: dict[int, str],
    now: dt.datetime,
    diff: ImportDiff,
) -> None:
    existing = {
        (a.unit_id, a.role): a
        for a in session.scalars(
            select(Assignment)
            .where(Assignment.task_id == task.id)
            .order_by(Assignment.position, Assignment.id)
        )
    }
    # Units a lead designated in chat for a 各相关X placeholder that the table still names
    # are not the table's to remove.
    kept_groups = {
        d.group_id
        for d in session.scalars(
            select(Designation).where(
                Designation.task_id == task.id,
                Designation.removed_at.is_(None),
                Designation.designated_at.is_not(None),
                Designation.designated_by != CONFIG_DESIGNATOR,
            )
        )
    }

    def change(unit_id: int, role: str, via: int | None) -> AssignmentChange:
        return AssignmentChange(
            task.number, unit_names[unit_id], role, group_names.get(via) if via else None
        )

    for key, want in wanted.items():
        row = existing.get(key)
        if row is None:
            row = Assignment(
                task_id=task.id,
                unit_id=want.unit_id,
                role=key[1],
                via_group_id=want.via_group_id,
                position=want.position,
                created_at=now,
            )
            session.add(row)
            diff.assignments_added.append(change(want.unit_id, key[1], want.via_group_id))
            continue
        if row.removed_at is not None:
            row.removed_at = None
            diff.assignments_added.append(change(want.unit_id, key[1], want.via_group_id))
        if (row.via_group_id, row.position) != (want.via_group_id, want.position):
            row.via_group_id, row.position = want.via_group_id, want.position
    for key, row in existing.items():
        if key in wanted or row.removed_at is not None:
            continue
        if row.via_group_id in kept_groups:
            continue
        row.removed_at = now
        diff.assignments_removed.append(change(row.unit_id, row.role, row.via_group_id))
        for period in session.scalars(
            select(Period).where(Period.assignment_id == row.id, Period.state.in_((OPEN, RETURNED)))
        ):
            period.state, period.closed_at, period.next_check_at = CANCELLED, now, None
