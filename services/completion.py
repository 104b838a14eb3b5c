"""Completion, per unit and per task.

A unit is done (已完成) with a task when the lead accepts its 已完成 report (a lead's own 已完成
report counts at once: nobody reviews a lead): it is chased no more for that task — its open
periods close, no later period is created, the 完成时限 ladder leaves it alone, and what was
queued for it is dropped by the delivery re-check. The task is 办结 when every unit is done and
the lead claims it and the office confirms, which closes every open period of the task."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.contracts import Facts, MessageKind, Recipient, dedupe_key
from db.models import Assignment, Completion, Contact, Period, Task, Unit
from db.models.periods import DONE, OPEN, RETURNED, SUBMITTED
from db.models.reports import COMPLETION_CLAIMED, COMPLETION_CONFIRMED, COMPLETION_REJECTED
from db.models.tasks import LEAD
from jobs.outbox import enqueue
from services import NotFound, ServiceError, audit, notify
from services.lookup import lead_unit_ids, require_lead_of


def claim_completion(
    session: Session,
    *,
    task_id: int,
    contact_id: int | None,
    now: dt.datetime,
    note: str = "",
    office_name: str = "区政府督查室",
) -> Completion:
    task = session.get(Task, task_id)
    if task is None or task.removed_at is not None:
        raise NotFound(f"no task {task_id}")
    actor = audit.contact_actor(contact_id)
    try:
        require_lead_of(session, task, contact_id)
        if is_completed(session, task.id):
            raise ServiceError(
                f"task {task.number} is already completed", code="task_completed", task=task.number
            )
        claimant = _contact_unit(session, contact_id)  # a lead claiming 办结 counts as done
        unfinished = [
            name
            for name, role, unit_id in unfinished_units(session, task.id)
            if not (role == LEAD and unit_id == claimant)
        ]
        if unfinished:
            raise ServiceError(
                f"task {task.number}: not every unit is done yet ({'、'.join(unfinished)})",
                code="units_unfinished",
                task=task.number,
                units="、".join(unfinished),
            )
        pending = session.scalar(
            select(Completion).where(
                Completion.task_id == task.id, Completion.state == COMPLETION_CLAIMED
            )
        )
        if pending is not None:
            raise ServiceError(
                f"task {task.number} already awaits the office's confirmation",
                code="completion_pending",
                task=task.number,
            )
    except ServiceError as exc:
        audit.refused(exc, actor, "completion.claim", f"task:{task_id}")
        raise
    completion = Completion(task_id=task.id, claimed_by=contact_id, claimed_at=now, note=note)
    session.add(completion)
    session.flush()
    audit.record(session, actor, "completion.claim", f"task:{task.id}", now=now)
    notify.to_office(
        session,
        kind=MessageKind.COMPLETION_CLAIM,
        office_name=office_name,
        period=None,
        ref_id=completion.id,
        now=now,
        facts=Facts(
            task=task.number, unit="", due="", details={"note": note, "text": task.text}
        ),
    )
    return completion


def decide_completion(
    session: Session, *, completion_id: int, confirm: bool, now: dt.datetime, decided_by: str
) -> Completion:
    """The office confirms (closing the task's open periods) or rejects a completion claim."""
    completion = session.get(Completion, completion_id)
    if completion is None:
        raise NotFound(f"no completion claim {completion_id}")
    if completion.state != COMPLETION_CLAIMED:
        raise audit.refused(
            ServiceError("this completion claim was already decided", code="already_decided"),
            decided_by,
            "completion.decide",
            f"completion:{completion_id}",
        )
    completion.state = COMPLETION_CONFIRMED if confirm else COMPLETION_REJECTED
    completion.decided_by = decided_by
    completion.decided_at = now
    task = completion.task
    if confirm:
        periods = session.scalars(
            select(Period)
            .join(Assignment, Period.assignment_id == Assignment.id)
            .where(Assignment.task_id == task.id, Period.state.in_((OPEN, RETURNED, SUBMITTED)))
        )
        for period in periods:
            period.state = DONE
            period.closed_at = now
            period.next_check_at = None
        for assignment in session.scalars(
            select(Assignment).where(
                Assignment.task_id == task.id,
                Assignment.removed_at.is_(None),
                Assignment.done_at.is_(None),
            )
        ):
            assignment.done_at = now
    audit.record(
        session,
        decided_by,
        "completion.confirm" if confirm else "completion.reject",
        f"task:{task.id}",
        now=now,
    )
    kind = MessageKind.COMPLETION_RESULT
    for lead_id in lead_unit_ids(session, task.id):
        recipient = Recipient.unit(lead_id)
        enqueue(
            session,
            kind=kind,
            recipient=recipient,
            role="lead",
            facts=Facts(
                task=task.number,
                unit="",
                due="",
                ref_id=completion.id,
                details={"confirmed": confirm},
            ),
            dedupe_key=dedupe_key(kind, recipient, stage=completion.id),
            due_at=now,
        )
    return completion


def is_completed(session: Session, task_id: int) -> bool:
    return (
        session.scalar(
            select(Completion.id).where(
                Completion.task_id == task_id, Completion.state == COMPLETION_CONFIRMED
            )
        )
        is not None
    )


def mark_unit_done(session: Session, assignment_id: int, now: dt.datetime, actor: str) -> bool:
    """The unit's work on the task is done: close its open periods (SUBMITTED ones keep their
    pending review) and stop every ladder of it. False if it already was done."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.done_at is not None:
        return False
    assignment.done_at = now
    for period in session.scalars(
        select(Period).where(
            Period.assignment_id == assignment_id, Period.state.in_((OPEN, RETURNED))
        )
    ):
        period.state = DONE
        period.closed_at = now
        period.next_check_at = None
    audit.record(session, actor, "assignment.done", f"assignment:{assignment_id}", now=now)
    return True


def unfinished_units(session: Session, task_id: int) -> list[tuple[str, str, int]]:
    """(unit name, role, unit id) of the task's units not done yet, in the table's order."""
    rows = session.execute(
        select(Unit.name, Assignment.role, Unit.id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(
            Assignment.task_id == task_id,
            Assignment.removed_at.is_(None),
            Assignment.done_at.is_(None),
        )
        .order_by(Assignment.position, Assignment.id)
    )
    return [(name, role, unit_id) for name, role, unit_id in rows]


def _contact_unit(session: Session, contact_id: int | None) -> int | None:
    if contact_id is None:
        return None
    return session.scalar(select(Contact.unit_id).where(Contact.id == contact_id))
