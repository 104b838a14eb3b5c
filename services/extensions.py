"""Extension requests (延期申请): the unit asks, the lead (or the office, for a lead's own
item) decides; an approval moves the due date and with it every later ladder stage."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.contracts import MessageKind
from db.models import Extension
from db.models.periods import OPEN, RETURNED
from db.models.reports import EXT_APPROVED, EXT_PENDING, EXT_REJECTED
from db.models.tasks import LEAD
from services import NotFound, PermissionDenied, ServiceError, audit, notify
from services.lookup import (
    get_period,
    local_date,
    require_lead_of,
    require_own_period,
)


def request_extension(
    session: Session,
    *,
    period_id: int,
    contact_id: int | None,
    reason: str,
    new_due: dt.date,
    now: dt.datetime,
    office_name: str = "区政府督查室",
    tz: dt.tzinfo | None = None,
    latest: dt.date | None = None,
) -> Extension:
    """`latest`: the last date the plan runs to (reporting.end); a later date is refused."""
    period = get_period(session, period_id)
    actor = audit.contact_actor(contact_id)
    try:
        require_own_period(session, period, contact_id)
        if period.state not in (OPEN, RETURNED):
            raise ServiceError(
                "this item has been reported or closed; no extension is needed",
                code="extension_not_needed",
            )
        if not reason.strip():
            raise ServiceError("an extension request needs a reason", code="reason_needed")
        if new_due <= period.effective_due:
            raise ServiceError(
                f"the new date must be after the current due date {period.effective_due}",
                code="date_not_later",
                due=period.effective_due,
            )
        if new_due <= local_date(now, tz):
            raise ServiceError("the new date must be in the future", code="date_past")
        if latest is not None and new_due > latest:
            raise ServiceError(
                f"the new date is after the plan's end {latest}", code="date_after_plan", due=latest
            )
        if any(e.state == EXT_PENDING for e in _extensions(session, period.id)):
            raise ServiceError(
                "an extension request for this item is already waiting", code="extension_pending"
            )
    except ServiceError as exc:
        audit.refused(exc, actor, "extension.request", f"period:{period_id}")
        raise
    ext = Extension(
        period_id=period.id,
        requested_by=contact_id,
        requested_at=now,
        reason=reason.strip(),
        new_due=new_due,
    )
    session.add(ext)
    session.flush()
    audit.record(
        session,
        actor,
        "extension.request",
        f"period:{period.id}",
        now=now,
        extension=ext.id,
        new_due=new_due.isoformat(),
    )
    extra = {"reason": ext.reason, "new_due": new_due.isoformat()}
    notify.to_deciders(
        session,
        kind=MessageKind.EXTENSION_REQUEST,
        office_kind=MessageKind.EXTENSION_REQUEST,
        period=period,
        ref_id=ext.id,
        now=now,
        office_name=office_name,
        **extra,
    )
    return ext


def decide_extension(
    session: Session,
    *,
    extension_id: int,
    approve: bool,
    now: dt.datetime,
    decider_contact_id: int | None = None,
    as_office: bool = False,
    note: str = "",
) -> Extension:
    """Approve or reject. A lead decides for its responsible units; a lead's own request is
    the office's to decide (the office may decide any)."""
    ext = session.get(Extension, extension_id)
    if ext is None:
        raise NotFound(f"no extension request {extension_id}")
    period = ext.period
    actor = "office" if as_office else audit.contact_actor(decider_contact_id)
    try:
        if not as_office:
            if period.assignment.role == LEAD:
                raise PermissionDenied(
                    "a lead unit's own extension is decided by the office", code="office_decides"
                )
            require_lead_of(session, period.assignment.task, decider_contact_id)
        if ext.state != EXT_PENDING:
            raise ServiceError("this request was already decided", code="already_decided")
    except ServiceError as exc:
        audit.refused(exc, actor, "extension.decide", f"extension:{extension_id}")
        raise
    ext.state = EXT_APPROVED if approve else EXT_REJECTED
    ext.decided_by = actor
    ext.decided_at = now
    ext.decision_note = note.strip()
    if approve:
        period.extended_to = ext.new_due
        period.next_check_at = now
    audit.record(
        session,
        actor,
        "extension.approve" if approve else "extension.reject",
        f"extension:{ext.id}",
        now=now,
        new_due=ext.new_due.isoformat(),
    )
    notify.to_unit(
        session,
        kind=MessageKind.EXTENSION_RESULT,
        unit_id=period.assignment.unit_id,
        role="unit",
        period=period,
        ref_id=ext.id,
        now=now,
        approved=approve,
        new_due=ext.new_due.isoformat(),
        note=ext.decision_note,
    )
    return ext


def _extensions(session: Session, period_id: int) -> list[Extension]:
    return list(session.scalars(select(Extension).where(Extension.period_id == period_id)))
