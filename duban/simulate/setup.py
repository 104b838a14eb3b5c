"""The simulated database's contents: the tasks (imported from a table file, or copied
read-only from the configured database, matched by name) and one simulated contact per unit
with an assignment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Assignment, Contact, Designation, Group, Target, Task, Unit
from duban.config import Config
from duban.importer import import_file
from duban.simulate.model import SimOptions


def load_tasks(
    sessions: sessionmaker[Session],
    cfg: Config,
    options: SimOptions,
    source: sessionmaker[Session] | None,
) -> None:
    now = dt.datetime.combine(options.start, dt.time(0), cfg.tz)
    if options.table is not None:
        with transaction(sessions) as session:
            import_file(session, cfg, options.table, now=now)
        return
    if source is None:
        raise ValueError("no tasks: give a table file or a database to copy from")
    with source() as src, transaction(sessions) as dst:
        _copy_tasks(src, dst)
    with sessions() as session:
        if not session.scalar(select(func.count(Task.id))):
            raise ValueError(
                "the database has no tasks: run `duban import FILE` first or pass --table FILE"
            )


def _copy_tasks(src: Session, dst: Session) -> None:
    """Tasks, targets, assignments and designations, matched to units and groups by name."""
    units = {u.name: u.id for u in dst.scalars(select(Unit))}
    for unit in src.scalars(select(Unit).order_by(Unit.id)):
        if unit.name not in units:
            copy = Unit(name=unit.name, kind=unit.kind, from_import=True)
            dst.add(copy)
            dst.flush()
            units[unit.name] = copy.id
    src_units = {u.id: u.name for u in src.scalars(select(Unit))}
    groups = {g.name: g.id for g in dst.scalars(select(Group))}
    src_groups = {g.id: g.name for g in src.scalars(select(Group))}
    task_ids: dict[int, int] = {}
    for task in src.scalars(select(Task).where(Task.removed_at.is_(None)).order_by(Task.number)):
        copy = Task(
            number=task.number,
            section=task.section,
            text=task.text,
            deadline_text=task.deadline_text,
            deadline=task.deadline,
        )
        dst.add(copy)
        dst.flush()
        task_ids[task.id] = copy.id
        for target in task.targets:
            dst.add(
                Target(
                    task_id=copy.id,
                    ordinal=target.ordinal,
                    comparator=target.comparator,
                    value=target.value,
                    unit_label=target.unit_label,
                    label=target.label,
                    raw=target.raw,
                )
            )
    for a in src.scalars(
        select(Assignment).where(Assignment.removed_at.is_(None)).order_by(Assignment.id)
    ):
        if a.task_id not in task_ids:
            continue
        dst.add(
            Assignment(
                task_id=task_ids[a.task_id],
                unit_id=units[src_units[a.unit_id]],
                role=a.role,
                via_group_id=groups.get(src_groups.get(a.via_group_id or -1, "")),
                position=a.position,
            )
        )
    for d in src.scalars(select(Designation).where(Designation.removed_at.is_(None))):
        if d.task_id in task_ids and src_groups.get(d.group_id) in groups:
            dst.add(
                Designation(
                    task_id=task_ids[d.task_id],
                    group_id=groups[src_groups[d.group_id]],
                    role=d.role,
                    position=d.position,
                    designated_at=d.designated_at,
                    designated_by=d.designated_by,
                )
            )


def add_contacts(sessions: sessionmaker[Session]) -> dict[int, int]:
    """One simulated contact per unit that has an assignment: unit id → contact id."""
    out: dict[int, int] = {}
    with transaction(sessions) as session:
        unit_ids = session.scalars(
            select(Assignment.unit_id).where(Assignment.removed_at.is_(None)).distinct()
        ).all()
        for unit_id in sorted(unit_ids):
            contact = Contact(
                unit_id=unit_id,
                user_address=str(900_000_000 + unit_id),
                address=str(900_000_000 + unit_id),
                display_name=f"simulated contact {unit_id}",
            )
            session.add(contact)
            session.flush()
            out[unit_id] = contact.id
    return out
