"""Designation: the lead says which units a 各相关X placeholder means for its task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Assignment, Designation, GroupMember
from services import NotFound, ServiceError, audit
from services.lookup import require_lead_of


def candidates(session: Session, designation: Designation) -> list[int]:
    """Unit ids the placeholder may mean: the members of the group it is 'relevant of'."""
    base = designation.group.relevant_of_id
    return list(session.scalars(select(GroupMember.unit_id).where(GroupMember.group_id == base)))


def designate(
    session: Session,
    *,
    designation_id: int,
    unit_ids: Sequence[int],
    now: dt.datetime,
    contact_id: int | None = None,
    by: str = "",
) -> list[Assignment]:
    """Replace the placeholder's units with unit_ids. Units dropped by a re-designation keep
    their history (the assignment is marked removed, not deleted)."""
    designation = session.get(Designation, designation_id)
    if designation is None or designation.removed_at is not None:
        raise NotFound(f"no placeholder {designation_id}")
    actor = by or audit.contact_actor(contact_id)
    try:
        require_lead_of(session, designation.task, contact_id)
        if not unit_ids:
            raise ServiceError("choose at least one unit", code="choose_units")
        allowed = set(candidates(session, designation))
        stray = [u for u in unit_ids if u not in allowed]
        if stray:
            raise ServiceError(
                f"{designation.group.name} cannot include unit ids {stray}",
                code="not_in_group",
                group=designation.group.name,
            )
    except ServiceError as exc:
        audit.refused(exc, actor, "designation.set", f"designation:{designation_id}")
        raise
    existing = {
        a.unit_id: a
        for a in session.scalars(
            select(Assignment).where(
                Assignment.task_id == designation.task_id, Assignment.role == designation.role
            )
        )
    }
    wanted = list(dict.fromkeys(unit_ids))
    result = []
    for position, unit_id in enumerate(wanted):
        assignment = existing.get(unit_id)
        if assignment is None:
            assignment = Assignment(
                task_id=designation.task_id,
                unit_id=unit_id,
                role=designation.role,
                via_group_id=designation.group_id,
                position=1000 + position,
                created_at=now,
            )
            session.add(assignment)
        elif assignment.removed_at is not None and assignment.via_group_id == designation.group_id:
            assignment.removed_at = None
        result.append(assignment)
    for unit_id, assignment in existing.items():
        if (
            assignment.via_group_id == designation.group_id
            and unit_id not in wanted
            and assignment.removed_at is None
        ):
            assignment.removed_at = now
    designation.designated_at = now
    designation.designated_by = actor
    session.flush()
    audit.record(
        session,
        actor,
        "designation.set",
        f"designation:{designation.id}",
        now=now,
        units=wanted,
    )
    return result
