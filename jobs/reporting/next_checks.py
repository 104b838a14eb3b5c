"""The planners' answers written back: each period's next check, the 各相关X placeholders'
next asks (in meta), the 完成时限 ladders' (Assignment.final_check_at) and the review chase's
(Report.review_check_at)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from db.models import Assignment, Period, Report
from db.models.tasks import FINAL_CHECK_NEVER
from jobs.planner import PlanResult
from jobs.reporting.meta import META_DESIGNATIONS, chunks, meta_get, meta_set

_P = Period.__table__.c
_NEXT_CHECK = (
    Period.__table__.update()
    .where(_P.id.in_(bindparam("ids", expanding=True)))
    .values(next_check_at=bindparam("when", type_=_P.next_check_at.type))
)


_A, _R = Assignment.__table__.c, Report.__table__.c
_FINAL_CHECK = (
    Assignment.__table__.update()
    .where(_A.id.in_(bindparam("ids", expanding=True)))
    .values(final_check_at=bindparam("when", type_=_A.final_check_at.type))
)
_REVIEW_CHECK = (
    Report.__table__.update()
    .where(_R.id.in_(bindparam("ids", expanding=True)))
    .values(review_check_at=bindparam("when", type_=_R.review_check_at.type))
)


def _write(session: Session, stmt: Any, checks: dict[int, dt.datetime | None]) -> None:
    """Thousands of rows share a next check (same ladder): one UPDATE … WHERE id IN (…) per
    distinct value and chunk, instead of one per row."""
    by_value: dict[dt.datetime | None, list[int]] = {}
    for key, when in checks.items():
        by_value.setdefault(when, []).append(key)
    conn = session.connection()
    for when, ids in by_value.items():
        for chunk in chunks(ids, 900):
            conn.execute(stmt, {"ids": list(chunk), "when": when})


def store_review_checks(session: Session, checks: dict[int, dt.datetime | None]) -> None:
    """report id → the review chase's next look (None: it has ended)."""
    if checks:
        _write(session, _REVIEW_CHECK, checks)


def _designation_checks(session: Session) -> dict[str, str | None]:
    raw = meta_get(session, META_DESIGNATIONS).get(META_DESIGNATIONS)
    return json.loads(raw) if raw else {}


def store_next_checks(session: Session, result: PlanResult) -> None:
    """Write the planner's next checks back: Period.next_check_at, the 完成时限 ladders'
    Assignment.final_check_at, and the designations' in meta."""
    if result.next_check:
        _write(session, _NEXT_CHECK, result.next_check)
    if result.final_next_check:  # an ended 完成时限 ladder is never looked at again
        finals = {aid: when or FINAL_CHECK_NEVER for aid, when in result.final_next_check.items()}
        _write(session, _FINAL_CHECK, finals)
    if result.designation_next_check:
        checks = _designation_checks(session)
        for did, when in result.designation_next_check.items():
            checks[str(did)] = when.astimezone(dt.UTC).isoformat() if when else None
        meta_set(session, {META_DESIGNATIONS: json.dumps(checks, sort_keys=True)})
