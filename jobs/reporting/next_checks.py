"""The planner's answer written back: each period's next check, and the 各相关X placeholders'
next asks (in meta)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from db.models import Period
from jobs.planner import PlanResult
from jobs.reporting.meta import META_DESIGNATIONS, chunks, meta_get, meta_set

_P = Period.__table__.c
_NEXT_CHECK = (
    Period.__table__.update()
    .where(_P.id.in_(bindparam("ids", expanding=True)))
    .values(next_check_at=bindparam("when", type_=_P.next_check_at.type))
)


def _designation_checks(session: Session) -> dict[str, str | None]:
    raw = meta_get(session, META_DESIGNATIONS).get(META_DESIGNATIONS)
    return json.loads(raw) if raw else {}


def store_next_checks(session: Session, result: PlanResult) -> None:
    """Write the planner's next_check back: Period.next_check_at, and the designations' in meta."""
    if result.next_check:
        # Thousands of periods share a next check (same ladder): one UPDATE … WHERE id IN (…)
        # per distinct value and chunk, instead of one per period.
        by_value: dict[dt.datetime | None, list[int]] = {}
        for pid, when in result.next_check.items():
            by_value.setdefault(when, []).append(pid)
        conn = session.connection()
        for when, ids in by_value.items():
            for chunk in chunks(ids, 900):
                conn.execute(_NEXT_CHECK, {"ids": list(chunk), "when": when})
    if result.designation_next_check:
        checks = _designation_checks(session)
        for did, when in result.designation_next_check.items():
            checks[str(did)] = when.astimezone(dt.UTC).isoformat() if when else None
        meta_set(session, {META_DESIGNATIONS: json.dumps(checks, sort_keys=True)})
