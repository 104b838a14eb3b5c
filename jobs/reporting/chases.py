"""What the two chases beside the period ladder read, and their next checks written back:

* the 完成时限 ladder: each unit not done with a task whose final deadline has passed, as a
  PeriodView with `final=True` (jobs/planner.py plans it); its next check is
  Assignment.final_check_at (FINAL_CHECK_NEVER once it has ended);
* the review chase: each report awaiting its lead's review whose check has come, as a
  ReviewView (jobs/review_chase.py plans it); its next check is Report.review_check_at.

Both queries use an index on the next check, so a quiet tick costs two small lookups.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from db.models import Assignment, Period, Report, Task, Unit
from db.models.periods import OPEN
from db.models.reports import REVIEW_PENDING
from jobs.planner import PeriodView
from jobs.reporting.views import leads_of
from jobs.review_chase import ReviewView
from jobs.settings import Settings
from messages.render import short_section, short_title

FINAL_LABEL = "完成时限"

_A, _T, _R = Assignment.__table__.c, Task.__table__.c, Report.__table__.c
_FINAL_DUE = (
    select(
        _A.id,
        _A.task_id,
        _A.unit_id,
        _A.role,
        Unit.name,
        _T.number,
        _T.text,
        _T.deadline,
        _T.section,
        _T.leaders,
    )
    .select_from(Assignment.__table__)
    .join(Task.__table__, _T.id == _A.task_id)
    .join(Unit, Unit.id == _A.unit_id)
    .where(
        _A.task_id.in_(bindparam("tasks", expanding=True)),
        _A.removed_at.is_(None),
        _A.done_at.is_(None),
        or_(
            _A.final_check_at.is_(None),
            _A.final_check_at <= bindparam("now", type_=_A.final_check_at.type),
        ),
    )
    .order_by(_A.id)
)
# First the tasks whose deadline has passed (few), then their units through the assignments'
# task index: a quiet tick never scans every assignment.
_DEADLINE_PASSED = select(_T.id).where(
    _T.deadline.is_not(None), _T.deadline < bindparam("today"), _T.removed_at.is_(None)
)
_REVIEWS_DUE = (
    select(
        _R.id,
        _R.period_id,
        _R.submitted_at,
        Period.assignment_id,
        Period.label,
        _A.task_id,
        _A.unit_id,
        Unit.name,
        _T.number,
        _T.text,
    )
    .select_from(Report.__table__)
    .join(Period, Period.id == _R.period_id)
    .join(Assignment.__table__, _A.id == Period.assignment_id)
    .join(Task.__table__, _T.id == _A.task_id)
    .join(Unit, Unit.id == _A.unit_id)
    .where(
        _R.review_state == REVIEW_PENDING,
        _R.review_check_at <= bindparam("now", type_=_R.review_check_at.type),
        _T.removed_at.is_(None),
        _A.removed_at.is_(None),
    )
    .order_by(_R.id)
)


def final_views(session: Session, settings: Settings, now: dt.datetime) -> list[PeriodView]:
    """The 完成时限 ladders whose next check has come: units not done, deadline passed."""
    today = now.astimezone(settings.tz).date()
    conn = session.connection()
    tasks = conn.execute(_DEADLINE_PASSED, {"today": today}).scalars().all()
    if not tasks:
        return []
    rows = conn.execute(_FINAL_DUE, {"tasks": list(tasks), "now": now}).all()
    if not rows:
        return []
    leads = leads_of(session, {r.task_id for r in rows})
    # One shared policy object (the planner memoises ladders by it): the post-due ladder only.
    policy = {**settings.escalation, "remind_before": [], "remind_on_due": False}
    out = []
    for aid, task_id, unit_id, role, name, number, text, deadline, section, named in rows:
        lead_ids, lead_names = leads.get(task_id, ((), ()))
        leaders = tuple(n for n in (named or "").split("、") if n)  # the table's 责任领导
        out.append(
            PeriodView(0, aid, number, task_id, unit_id, name, role, lead_ids, lead_names,
                       deadline, None, OPEN, policy, deadline, FINAL_LABEL, short_title(text),
                       short_section(section or ""), leaders, final=True)
        )  # fmt: skip
    return out


def review_views(session: Session, settings: Settings, now: dt.datetime) -> list[ReviewView]:
    """Reports awaiting review whose chase check has come, with their task's leads."""
    rows = session.connection().execute(_REVIEWS_DUE, {"now": now}).all()
    if not rows:
        return []
    leads = leads_of(session, {r.task_id for r in rows})
    out = []
    for rid, pid, submitted, aid, label, task_id, unit_id, name, number, text in rows:
        lead_ids, lead_names = leads.get(task_id, ((), ()))
        submitted_on = submitted.astimezone(settings.tz).date()
        out.append(
            ReviewView(rid, pid, aid, task_id, number, short_title(text), unit_id, name, label,
                       lead_ids, lead_names, submitted_on)
        )  # fmt: skip
    return out
