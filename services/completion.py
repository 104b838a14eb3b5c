"""Completion (办结): a lead marks its task done; the office confirms, which closes every
open period of the task and stops its ladders for good."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Assignment, Completion, Period, Task
from db.models.periods import DONE, OPEN, RETURNED, SUBMITTED
from db.models.reports import COMPLETION_CLAIMED, COMPLETION_CONFIRMED, COMPLETION_REJECTED
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
        kind="completion_claim",
        office_name=office_name,
        period=None,
        ref_id=completion.id,
        now=now,
        item={"task": task.number, "unit": "", "due": "", "note": note, "text": task.text},
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
    audit.record(
        session,
        decided_by,
        "completion.confirm" if confirm else "completion.reject",
        f"task:{task.id}",
        now=now,
    )
    for lead_id in lead_unit_ids(session, task.id):
        enqueue(
            session,
            kind="completion_result",
            recipient=f"unit:{lead_id}",
            role="lead",
            payload={
                "recipient_name": "",
                "item": {
                    "task": task.number,
                    "unit": "",
                    "due": "",
                    "confirmed": confirm,
                    "ref_id": completion.id,
                },
            },
            dedupe_key=f"completion_result:0:0:{completion.id}:unit:{lead_id}",
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
