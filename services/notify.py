"""Event notifications (review requests, decisions…) go through the same outbox as the ladder."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from db.contracts import OFFICE, Facts, MessageKind, Recipient, dedupe_key
from db.models import Period, Unit
from db.models.tasks import LEAD
from jobs import outbox
from jobs.outbox import enqueue
from services.lookup import PeriodInfo, lead_units


def _info(period: Period | PeriodInfo) -> PeriodInfo:
    return period if isinstance(period, PeriodInfo) else PeriodInfo.of(period)


def facts_for(period: Period | PeriodInfo, ref_id: int | None = None, **details: Any) -> Facts:
    """What a notice about this period says (frozen now; the task's title is added when it
    is queued)."""
    info = _info(period)
    return Facts(
        task=info.task_number,
        unit=info.unit_name,
        due=info.due.isoformat(),
        ref_id=ref_id,
        details=details,
    )


def to_unit(
    session: Session,
    *,
    kind: MessageKind,
    unit_id: int,
    role: str,
    period: Period | PeriodInfo,
    ref_id: int,
    now: dt.datetime,
    unit_name: str | None = None,
    **extra: Any,
) -> bool:
    """unit_name: the recipient's name if the caller has it (else it is looked up)."""
    if unit_name is None:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        unit_name = unit.name
    recipient = Recipient.unit(unit_id)
    info = _info(period)
    return enqueue(
        session,
        kind=kind,
        recipient=recipient,
        role=role,
        facts=facts_for(info, ref_id, **extra),
        recipient_name=unit_name,
        dedupe_key=dedupe_key(
            kind, recipient, scope=(info.assignment_id, info.period_id), stage=ref_id
        ),
        due_at=now,
        assignment_id=info.assignment_id,
        period_id=info.period_id,
    )


def to_office(
    session: Session,
    *,
    kind: MessageKind,
    office_name: str,
    period: Period | PeriodInfo | None,
    ref_id: int,
    now: dt.datetime,
    facts: Facts | None = None,
) -> bool:
    info = _info(period) if period is not None else None
    if facts is None:
        assert info is not None, "an office notice without a period needs its facts"
        facts = facts_for(info, ref_id)
    if facts.ref_id is None:
        facts = facts.replace(ref_id=ref_id)
    scope = (info.assignment_id, info.period_id) if info else (0, 0)
    return outbox.to_office(
        session,
        office_name=office_name,
        kind=kind,
        facts=facts,
        dedupe_key=dedupe_key(kind, OFFICE, scope=scope, stage=ref_id),
        now=now,
        assignment_id=info.assignment_id if info else None,
        period_id=info.period_id if info else None,
    )


def to_deciders(
    session: Session,
    *,
    kind: MessageKind,
    office_kind: MessageKind,
    period: Period | PeriodInfo,
    ref_id: int,
    now: dt.datetime,
    office_name: str,
    **extra: Any,
) -> None:
    """A unit's report or request goes to whoever decides on it: each lead unit of the task for
    a responsible unit (`kind`), the district office for a lead's own item (`office_kind`)."""
    info = _info(period)
    if info.role == LEAD:
        to_office(
            session,
            kind=office_kind,
            office_name=office_name,
            period=info,
            ref_id=ref_id,
            now=now,
            facts=facts_for(info, ref_id, **extra),
        )
        return
    with session.no_autoflush:  # the caller's new rows need no flush before this read
        leads = lead_units(session, info.task_id)
    for lead in leads:
        to_unit(
            session,
            kind=kind,
            unit_id=lead.id,
            unit_name=lead.name,
            role="lead",
            period=info,
            ref_id=ref_id,
            now=now,
            **extra,
        )
