"""Event notifications (review requests, decisions…) go through the same outbox as the ladder."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from db.models import Period, Unit
from db.models.tasks import LEAD
from jobs.outbox import enqueue
from services.lookup import PeriodInfo, lead_units

OFFICE = "office"


def _info(period: Period | PeriodInfo) -> PeriodInfo:
    return period if isinstance(period, PeriodInfo) else PeriodInfo.of(period)


def item_for(period: Period | PeriodInfo, **extra: Any) -> dict[str, Any]:
    info = _info(period)
    return {
        "task": info.task_number,
        "unit": info.unit_name,
        "due": info.due.isoformat(),
        **extra,
    }


def to_unit(
    session: Session,
    *,
    kind: str,
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
    recipient = f"unit:{unit_id}"
    info = _info(period)
    return enqueue(
        session,
        kind=kind,
        recipient=recipient,
        role=role,
        payload={"recipient_name": unit_name, "item": item_for(info, ref_id=ref_id, **extra)},
        dedupe_key=f"{kind}:{info.assignment_id}:{info.period_id}:{ref_id}:{recipient}",
        due_at=now,
        assignment_id=info.assignment_id,
        period_id=info.period_id,
    )


def to_office(
    session: Session,
    *,
    kind: str,
    office_name: str,
    period: Period | PeriodInfo | None,
    ref_id: int,
    now: dt.datetime,
    item: dict[str, Any] | None = None,
) -> bool:
    info = _info(period) if period is not None else None
    payload_item = item if item is not None else item_for(info, ref_id=ref_id)  # type: ignore[arg-type]
    payload_item.setdefault("ref_id", ref_id)
    return enqueue(
        session,
        kind=kind,
        recipient=OFFICE,
        role="office",
        payload={"recipient_name": office_name, "item": payload_item},
        dedupe_key=(
            f"{kind}:{info.assignment_id if info else 0}:{info.period_id if info else 0}"
            f":{ref_id}:{OFFICE}"
        ),
        due_at=now,
        assignment_id=info.assignment_id if info else None,
        period_id=info.period_id if info else None,
    )


def to_deciders(
    session: Session,
    *,
    kind: str,
    office_kind: str,
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
            item=item_for(info, ref_id=ref_id, **extra),
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
