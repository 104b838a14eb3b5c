"""Reports (进展报送) and the lead's review of them (通过 / 退回)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from db.contracts import MessageKind
from db.models import Evidence, Period, Report, Target
from db.models.periods import ACCEPTED, DONE, MISSED, OPEN, RETURNED, SUBMITTED
from db.models.reports import (
    COMPLETED,
    DIFFICULTY,
    ON_TRACK,
    REVIEW_ACCEPTED,
    REVIEW_NONE,
    REVIEW_PENDING,
    REVIEW_RETURNED,
)
from db.models.tasks import LEAD
from services import NotFound, PermissionDenied, ServiceError, audit, notify
from services.completion import mark_unit_done
from services.lookup import (
    loaded_period,
    local_date,
    period_info,
    require_lead_of,
    require_own_period,
    require_unit,
)

STATUSES = (ON_TRACK, DIFFICULTY, COMPLETED)
# A later report supersedes an earlier one; a missed (settled) period still takes a late one.
REPORTABLE = (OPEN, RETURNED, SUBMITTED, ACCEPTED, MISSED)


@dataclass(frozen=True)
class EvidenceFile:
    file_id: str
    file_unique_id: str = ""
    kind: str = "document"
    file_name: str = ""
    mime_type: str = ""


def _evidence_values(files: Sequence[EvidenceFile]) -> list[dict[str, str]]:
    """Each file's Evidence columns (its report_id aside)."""
    return [
        {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "kind": f.kind,
            "file_name": f.file_name,
            "mime_type": f.mime_type,
        }
        for f in files
    ]


def _evidence(files: Sequence[EvidenceFile]) -> list[Evidence]:
    return [Evidence(**values) for values in _evidence_values(files)]


def submit_report(
    session: Session,
    *,
    period_id: int,
    contact_id: int | None,
    status: str,
    text: str,
    now: dt.datetime,
    figure: float | None = None,
    target_id: int | None = None,
    files: Sequence[EvidenceFile] = (),
    source: str = "chat",
    office_name: str = "区政府督查室",
    tz: dt.tzinfo | None = None,
) -> Report:
    """Record a unit's report for one period. Stops the ladder at once.

    A responsible unit's report goes to each lead unit for review; a lead's own report goes to
    the district office (no review).
    """
    period, contact_unit = period_info(session, period_id, contact_id)
    actor = audit.contact_actor(contact_id)
    try:
        if contact_id is not None:  # None: the system or the simulation
            require_unit(contact_unit, period.unit_id)
        if status not in STATUSES:
            raise ServiceError(
                f"unknown status {status!r}; one of {', '.join(STATUSES)}", code="bad_status"
            )
        if period.state not in REPORTABLE:
            raise ServiceError(
                "this item is closed (办结) and takes no more reports", code="item_closed"
            )
        if not text.strip() and not files and figure is None:
            raise ServiceError("a report needs some text, a figure or a file", code="empty_report")
        if target_id is not None:
            target = session.get(Target, target_id)
            if target is None or target.task_id != period.task_id:
                raise ServiceError("that target belongs to another task", code="wrong_target")
    except ServiceError as exc:
        audit.refused(exc, actor, "report.submit", f"period:{period_id}")
        raise

    is_lead = period.role == LEAD
    report = _insert_report(
        session,
        {
            "period_id": period.period_id,
            "contact_id": contact_id,
            "submitted_at": now,
            "status": status,
            "text": text.strip(),
            "figure": figure,
            "target_id": target_id,
            "late": local_date(now, tz) > period.due,
            "source": source,
            "review_state": REVIEW_NONE if is_lead else REVIEW_PENDING,
            "reviewer_contact_id": None,
            "reviewed_at": None,
            "review_comment": "",
            # The review chase (jobs/review_chase.py) first looks at it at once.
            "review_check_at": None if is_lead else now,
        },
        files,
    )
    _set_period(session, period.period_id, ACCEPTED if is_lead else SUBMITTED, now)
    settled = settle_missed(session, period.assignment_id, period.due, now, tz)
    if is_lead and status == COMPLETED:  # nobody reviews a lead: its 已完成 holds at once
        mark_unit_done(session, period.assignment_id, now, actor)
    audit.record(
        session,
        actor,
        "report.submit",
        f"period:{period.period_id}",
        now=now,
        report=report.id,
        status=status,
        late=report.late,
        **({"settled": settled} if settled else {}),
    )
    extra: dict[str, Any] = {"status": status, "text": report.text, "files": len(files)}
    if figure is not None:
        extra["figure"] = figure
    notify.to_deciders(
        session,
        kind=MessageKind.REVIEW_REQUEST,
        office_kind=MessageKind.LEAD_REPORT,
        period=period,
        ref_id=report.id,
        now=now,
        office_name=office_name,
        **extra,
    )
    return report


_INSERT_REPORT = Report.__table__.insert()
_INSERT_EVIDENCE = Evidence.__table__.insert()
_PERIOD_TABLE = Period.__table__
_SET_PERIOD = (
    _PERIOD_TABLE.update()
    .where(_PERIOD_TABLE.c.id == bindparam("period_id"))
    .values(
        state=bindparam("new_state"),
        next_check_at=bindparam("next_check", type_=_PERIOD_TABLE.c.next_check_at.type),
    )
)


_SETTLE = (
    _PERIOD_TABLE.update()
    .where(
        _PERIOD_TABLE.c.assignment_id == bindparam("of_assignment"),
        _PERIOD_TABLE.c.state.in_((OPEN, RETURNED)),
        func.coalesce(_PERIOD_TABLE.c.extended_to, _PERIOD_TABLE.c.due_on)
        < bindparam("before", type_=_PERIOD_TABLE.c.due_on.type),
        func.coalesce(_PERIOD_TABLE.c.extended_to, _PERIOD_TABLE.c.due_on)
        < bindparam("today", type_=_PERIOD_TABLE.c.due_on.type),
    )
    .values(
        state=MISSED,
        next_check_at=None,
        closed_at=bindparam("now", type_=_PERIOD_TABLE.c.closed_at.type),
    )
    .returning(_PERIOD_TABLE.c.id)
)


def settle_missed(
    session: Session,
    assignment_id: int,
    due: dt.date,
    now: dt.datetime,
    tz: dt.tzinfo | None = None,
) -> list[int]:
    """A report for the period due on `due` settles the unit's earlier periods that went
    unreported past their due date: they become MISSED (kept as missed in the history, no
    longer chased; queued notices about them are dropped by the delivery re-check). Returns
    the settled period ids."""
    ids = [
        row[0]
        for row in session.connection().execute(
            _SETTLE,
            {"of_assignment": assignment_id, "before": due, "today": local_date(now, tz),
             "now": now},
        )
    ]  # fmt: skip
    for pid in ids:
        loaded = loaded_period(session, pid)
        if loaded is not None:
            for key, value in (("state", MISSED), ("next_check_at", None), ("closed_at", now)):
                set_committed_value(loaded, key, value)
    return sorted(ids)


def _insert_report(
    session: Session, values: dict[str, Any], files: Sequence[EvidenceFile]
) -> Report:
    """The report (and its evidence) as Core INSERTs, the same rows the ORM would write; the
    Report object joins the session as if loaded, so no unit-of-work flush is needed
    (≈ half of a simulated year's report cost). `values` names every column but the id."""
    conn = session.connection()
    report_id = conn.execute(_INSERT_REPORT, values).inserted_primary_key[0]
    if files:
        conn.execute(
            _INSERT_EVIDENCE,
            [{"report_id": report_id, **values} for values in _evidence_values(files)],
        )
    report = Report(id=report_id, **values)
    make_transient_to_detached(report)  # persistent and clean; .evidence loads on access
    session.add(report)
    return report


def _set_period(session: Session, period_id: int, state: str, now: dt.datetime) -> None:
    """The period's new state and next check as one Core UPDATE; a Period object the session
    holds is told the same values as committed ones (it stays clean: no flush)."""
    session.connection().execute(
        _SET_PERIOD, {"period_id": period_id, "new_state": state, "next_check": now}
    )
    loaded = loaded_period(session, period_id)
    if loaded is not None:
        set_committed_value(loaded, "state", state)
        set_committed_value(loaded, "next_check_at", now)


def review_report(
    session: Session,
    *,
    report_id: int,
    reviewer_contact_id: int | None,
    accept: bool,
    now: dt.datetime,
    comment: str = "",
    tz: dt.tzinfo | None = None,
) -> Report:
    """The lead accepts (通过) or returns (退回, with a comment) a responsible unit's report.

    Returning reopens the period: the ladder restarts from today (see jobs/planner.py)."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    period = report.period
    actor = audit.contact_actor(reviewer_contact_id)
    try:
        require_lead_of(session, period.assignment.task, reviewer_contact_id)
        if report.review_state != REVIEW_PENDING:
            raise ServiceError("this report was already reviewed", code="already_reviewed")
        if not accept and not comment.strip():
            raise ServiceError(
                "returning a report needs a comment for the unit", code="comment_needed"
            )
    except (ServiceError, PermissionDenied) as exc:
        audit.refused(exc, actor, "report.review", f"report:{report_id}")
        raise

    report.review_state = REVIEW_ACCEPTED if accept else REVIEW_RETURNED
    report.reviewer_contact_id = reviewer_contact_id
    report.reviewed_at = now
    report.review_comment = comment.strip()
    if period.state != DONE and _is_latest(session, report):
        if accept:
            period.state = ACCEPTED
        else:
            period.state = RETURNED
            period.restarted_on = local_date(now, tz)
        period.next_check_at = now
    report.review_check_at = None
    audit.record(
        session,
        actor,
        "report.accept" if accept else "report.return",
        f"report:{report.id}",
        now=now,
        comment=report.review_comment,
    )
    notify.to_unit(
        session,
        kind=MessageKind.REVIEW_RESULT if accept else MessageKind.RETURNED,
        unit_id=period.assignment.unit_id,
        role="unit",
        period=period,
        ref_id=report.id,
        now=now,
        accepted=accept,
        comment=report.review_comment,
    )
    if accept and report.status == COMPLETED:
        mark_unit_done(session, period.assignment_id, now, actor)
    return report


def _is_latest(session: Session, report: Report) -> bool:
    latest = session.scalar(select(func.max(Report.id)).where(Report.period_id == report.period_id))
    return latest == report.id


def attach_evidence(
    session: Session,
    *,
    report_id: int,
    contact_id: int | None,
    files: Sequence[EvidenceFile],
    now: dt.datetime,
) -> Report:
    """More files for a report its unit just submitted: the rest of an album (Telegram delivers
    the photos of one media group as separate messages) joins the first photo's report."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    actor = audit.contact_actor(contact_id)
    try:
        require_own_period(session, report.period, contact_id)
        if report.review_state not in (REVIEW_NONE, REVIEW_PENDING):
            raise ServiceError("this report was already reviewed", code="already_reviewed")
    except ServiceError as exc:
        audit.refused(exc, actor, "report.evidence", f"report:{report_id}")
        raise
    report.evidence.extend(_evidence(files))
    session.flush()
    audit.record(
        session, actor, "report.evidence", f"report:{report.id}", now=now, files=len(files)
    )
    return report
