"""The audit log as readable entries, for `duban audit`: each row's subject ("period:12",
"report:5", "extension:3", "task:4", …) and actor ("contact:7") resolved to the task number
and the units it concerns, filtered by unit, task and date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.models import (
    Assignment,
    AuditLog,
    Completion,
    Contact,
    Designation,
    Extension,
    Invite,
    Period,
    Report,
    Task,
    Unit,
)

CHUNK = 900  # ids per IN (…) list: under SQLite's bound-parameter limit


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime  # in the config's time zone
    actor: str  # as stored: contact:7, tg:501, office:501, cli, system
    actor_name: str  # the contact's display name ("" when not a contact or none given)
    actor_unit: str | None  # the acting contact's unit
    action: str  # report.submit, report.return, extension.request, callback.refused, …
    refused: bool
    subject: str  # as stored: period:12, report:5, task:4, …
    task: int | None  # the task's number (序号) the entry is about
    unit: str | None  # the unit the entry is about (whose report, extension, binding…)
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The `--format jsonl` object: field names are a contract (README, `duban audit`)."""
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "actor": self.actor,
            "actor_name": self.actor_name,
            "actor_unit": self.actor_unit,
            "action": self.action,
            "refused": self.refused,
            "task": self.task,
            "unit": self.unit,
            "subject": self.subject,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AuditFilter:
    since: dt.date | None = None  # from the start of this day (config time zone)
    until: dt.date | None = None  # to the end of this day
    unit_id: int | None = None  # about this unit, or done by one of its contacts
    task: int | None = None  # the task's number


def audit_entries(session: Session, tz: ZoneInfo, where: AuditFilter) -> list[AuditEntry]:
    """The audit log, oldest first, resolved and filtered."""
    stmt = select(AuditLog).order_by(AuditLog.at, AuditLog.id)
    if where.since is not None:
        stmt = stmt.where(AuditLog.at >= dt.datetime.combine(where.since, dt.time(), tz))
    if where.until is not None:
        end = where.until + dt.timedelta(days=1)
        stmt = stmt.where(AuditLog.at < dt.datetime.combine(end, dt.time(), tz))
    rows = session.scalars(stmt).all()
    about = _Subjects(session, [r.subject for r in rows])
    actors = _contacts(session, [_ref(r.actor, "contact") for r in rows])
    entries = []
    for row in rows:
        task, unit_id = about.of(row.subject)
        contact = actors.get(_ref(row.actor, "contact") or 0)
        actor_unit_id = contact[2] if contact else None
        if where.task is not None and task != where.task:
            continue
        if where.unit_id is not None and where.unit_id not in (unit_id, actor_unit_id):
            continue
        entries.append(
            AuditEntry(
                at=row.at.astimezone(tz),
                actor=row.actor,
                actor_name=contact[0] if contact else "",
                actor_unit=contact[1] if contact else None,
                action=row.action,
                refused=row.refused,
                subject=row.subject,
                task=task,
                unit=about.unit_names.get(unit_id) if unit_id is not None else None,
                detail=dict(row.detail or {}),
            )
        )
    return entries


def _ref(text: str, kind: str) -> int | None:
    """The id of "kind:12", else None."""
    prefix, _, rest = text.partition(":")
    return int(rest) if prefix == kind and rest.isdigit() else None


def _in_chunks(session: Session, make: Any, ids: Iterable[int | None]) -> list[Sequence[Any]]:
    """Rows of make(chunk of ids) for every id given (None and repeats skipped)."""
    wanted = sorted({i for i in ids if i is not None})
    rows: list[Sequence[Any]] = []
    for start in range(0, len(wanted), CHUNK):
        rows.extend(session.execute(make(wanted[start : start + CHUNK])).all())
    return rows


def _contacts(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str, int]]:
    """contact id → (display name, unit name, unit id)."""

    def make(chunk: list[int]) -> Select[Any]:
        return (
            select(Contact.id, Contact.display_name, Unit.name, Unit.id)
            .join(Unit, Unit.id == Contact.unit_id)
            .where(Contact.id.in_(chunk))
        )

    return {cid: (name or "", unit, uid) for cid, name, unit, uid in _in_chunks(session, make, ids)}


class _Subjects:
    """subject → (task number, unit id), for every subject kind the services write."""

    def __init__(self, session: Session, subjects: Iterable[str]) -> None:
        refs: dict[str, set[int]] = defaultdict(set)
        for subject in subjects:
            kind, _, rest = subject.partition(":")
            if rest.isdigit():
                refs[kind].add(int(rest))

        def pairs(column: Any, target: Any, ids: Iterable[int]) -> dict[int, int]:
            rows = _in_chunks(
                session, lambda chunk: select(column, target).where(column.in_(chunk)), ids
            )
            return {a: b for a, b in rows}

        self.report_period = pairs(Report.id, Report.period_id, refs["report"])
        self.extension_period = pairs(Extension.id, Extension.period_id, refs["extension"])
        period_ids = (
            refs["period"] | set(self.report_period.values()) | set(self.extension_period.values())
        )
        self.period = {
            pid: (number, uid)
            for pid, number, uid in _in_chunks(
                session,
                lambda chunk: (
                    select(Period.id, Task.number, Assignment.unit_id)
                    .join(Assignment, Assignment.id == Period.assignment_id)
                    .join(Task, Task.id == Assignment.task_id)
                    .where(Period.id.in_(chunk))
                ),
                period_ids,
            )
        }
        self.designation_task = pairs(Designation.id, Designation.task_id, refs["designation"])
        self.completion_task = pairs(Completion.id, Completion.task_id, refs["completion"])
        self.invite_unit = pairs(Invite.id, Invite.unit_id, refs["invite"])
        self.contact_unit = pairs(Contact.id, Contact.unit_id, refs["contact"])
        task_ids = (
            refs["task"] | set(self.designation_task.values()) | set(self.completion_task.values())
        )
        self.task_number = pairs(Task.id, Task.number, task_ids)
        self.unit_names: dict[int, str] = dict(session.execute(select(Unit.id, Unit.name)).all())
        self.hops: dict[str, tuple[str, dict[int, int] | None]] = {
            "period": ("period", None),
            "report": ("period", self.report_period),
            "extension": ("period", self.extension_period),
            "task": ("task", None),
            "designation": ("task", self.designation_task),
            "completion": ("task", self.completion_task),
            "unit": ("unit", None),
            "invite": ("unit", self.invite_unit),
            "contact": ("unit", self.contact_unit),
        }

    def of(self, subject: str) -> tuple[int | None, int | None]:
        kind, _, rest = subject.partition(":")
        hop = self.hops.get(kind)
        if hop is None or not rest.isdigit():
            return None, None
        target, step = hop  # what the subject leads to, and the map that gets there
        key = int(rest) if step is None else step.get(int(rest))
        if key is None:
            return None, None
        if target == "period":
            return self.period.get(key, (None, None))
        if target == "task":
            return self.task_number.get(key), None
        return None, key  # a unit
