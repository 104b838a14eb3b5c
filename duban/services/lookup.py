"""Small queries the services share: who leads a task, which contacts a unit has."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, joinedload

from db.models import Assignment, Contact, Period, Task, Unit
from db.models.tasks import LEAD
from duban.services import NotFound, PermissionDenied


def local_date(now: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    if now.tzinfo is None:
        raise ValueError("services need an aware `now`")
    return now.astimezone(tz or now.tzinfo).date()


# A period with its assignment, task and unit in one query: every service reads them.
PERIOD_WITH_CONTEXT = (
    joinedload(Period.assignment).joinedload(Assignment.task),
    joinedload(Period.assignment).joinedload(Assignment.unit),
)


def get_period(session: Session, period_id: int) -> Period:
    period = session.get(Period, period_id, options=PERIOD_WITH_CONTEXT)
    if period is None:
        raise NotFound(f"no reporting period {period_id}")
    return period


def lead_unit_ids(session: Session, task_id: int) -> list[int]:
    return [unit.id for unit in lead_units(session, task_id)]


# Columns, not Unit entities: every report asks this, and plain rows skip the ORM's loading.
_LEAD_UNITS = (
    select(Unit.id, Unit.name)
    .join(Assignment, Assignment.unit_id == Unit.id)
    .where(Assignment.task_id == bindparam("task_id"), Assignment.role == LEAD)
    .where(Assignment.removed_at.is_(None))
    .order_by(Assignment.position, Assignment.id)
)


def lead_units(session: Session, task_id: int) -> list[Row[tuple[int, str]]]:
    """The task's lead units (`.id`, `.name`) in the table's order, in one prebuilt query run
    on the session's connection (≈ 0.1 ms, a third of the ORM path), flushing first exactly
    when the ORM's autoflush would."""
    if session.autoflush:
        session.flush()  # a no-op when nothing is pending
    return list(session.connection().execute(_LEAD_UNITS, {"task_id": task_id}))


def get_contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.revoked_at is not None:
        raise PermissionDenied("this chat account is not bound to a unit")
    return contact


def require_own_period(session: Session, period: Period, contact_id: int | None) -> None:
    """The contact must belong to the period's unit (contact_id None = system/simulation)."""
    if contact_id is None:
        return
    contact = get_contact(session, contact_id)
    if contact.unit_id != period.assignment.unit_id:
        raise PermissionDenied("this item belongs to another unit")


def require_lead_of(session: Session, task: Task, contact_id: int | None) -> None:
    if contact_id is None:
        return
    contact = get_contact(session, contact_id)
    if contact.unit_id not in lead_unit_ids(session, task.id):
        raise PermissionDenied("only the task's lead unit may do this")
