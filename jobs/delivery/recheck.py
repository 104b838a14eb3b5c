"""Re-check: every claimed item against the current state, just before it is sent.

A notice is frozen when it is queued; by the time it goes out (the next tick, a retry after a
5xx, a morning after a night) the unit may have reported, the lead may have extended the due
date or reviewed the report, the task may be 办结 or gone. What no longer holds is dropped —
never sent — and the outbox row keeps when and why (dropped_at, dropped_reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, select, type_coerce
from sqlalchemy.orm import Session

from db.contracts import LADDER_KINDS, MessageKind
from db.models import (
    Assignment,
    Completion,
    Designation,
    Extension,
    OutboxItem,
    Period,
    Report,
    Task,
)
from db.models.periods import ACCEPTED, CANCELLED, DONE, MISSED, SUBMITTED
from db.models.reports import (
    COMPLETION_CLAIMED,
    COMPLETION_CONFIRMED,
    EXT_PENDING,
    REVIEW_PENDING,
)
from jobs.delivery.contracts import ClaimedDigest, QueuedItem
from jobs.gc_quiet import collector_paused
from jobs.planner import LADDER_STATES, final_anchor, ladder_anchor

_OUTBOX = OutboxItem.__table__
_TASK_CLOSED = (
    select(Completion.id)
    .where(Completion.task_id == Task.id, Completion.state == COMPLETION_CONFIRMED)
    .exists()
)
# A 完成时限 notice (no period): its assignment and task as they are now.
_FINALS = (
    select(
        Assignment.id,
        type_coerce(Task.deadline, String),
        type_coerce(Assignment.removed_at.is_not(None), Integer),
        type_coerce(Task.removed_at.is_not(None), Integer),
        type_coerce(Assignment.done_at.is_not(None), Integer),
        type_coerce(_TASK_CLOSED, Integer),
    )
    .join(Task, Task.id == Assignment.task_id)
    .where(Assignment.id.in_(bindparam("ids", expanding=True)))
)
# Dates as their ISO text (what the facts hold): no date objects for 100 000 rows.
_PERIODS = (
    select(
        Period.id,
        Period.state,
        type_coerce(Period.due_on, String),
        type_coerce(Period.extended_to, String),
        type_coerce(Period.restarted_on, String),
        type_coerce(Assignment.removed_at.is_not(None), Integer),
        type_coerce(Task.removed_at.is_not(None), Integer),
        type_coerce(Assignment.done_at.is_not(None), Integer),
        type_coerce(_TASK_CLOSED, Integer),
    )
    .join(Assignment, Assignment.id == Period.assignment_id)
    .join(Task, Task.id == Assignment.task_id)
    .where(Period.id.in_(bindparam("ids", expanding=True)))
)
_CLOSED = {
    SUBMITTED: "reported",
    ACCEPTED: "reported and accepted",
    DONE: "task completed (办结)",
    CANCELLED: "assignment cancelled",
    MISSED: "settled by a later report (kept as missed)",
}
# Decisions asked of a lead or the office: the notice holds while the decision is open.
_PENDING_DECISION = {
    MessageKind.REVIEW_REQUEST: (Report, Report.review_state, REVIEW_PENDING, "already reviewed"),
    MessageKind.REVIEW_OVERDUE: (Report, Report.review_state, REVIEW_PENDING, "already reviewed"),
    MessageKind.EXTENSION_REQUEST: (Extension, Extension.state, EXT_PENDING, "already decided"),
    MessageKind.COMPLETION_CLAIM: (
        Completion,
        Completion.state,
        COMPLETION_CLAIMED,
        "already decided",
    ),
}
_MARK_DROPPED = (
    _OUTBOX.update()
    .where(_OUTBOX.c.id == bindparam("item_id"))
    .values(dropped_at=bindparam("at"), dropped_reason=bindparam("reason"))
)
CHUNK = 900


def stale_items(session: Session, items: Iterable[QueuedItem]) -> dict[int, str]:
    """outbox id → why it no longer holds, for the items that should not be sent."""
    items = list(items)
    out: dict[int, str] = {}
    # A ladder stage is about its period (a notice without one cannot be checked).
    ladder = [i for i in items if i.kind in LADDER_KINDS and i.period_id is not None]
    periods = _period_states(session, {i.period_id for i in ladder if i.period_id is not None})
    for item in ladder:
        reason = _ladder_reason(item, periods.get(item.period_id))  # type: ignore[arg-type]
        if reason:
            out[item.id] = reason
    out.update(_final_reasons(session, items))
    for kind, (model, state, pending, reason) in _PENDING_DECISION.items():
        still = select(model.id).where(state == pending)
        out.update(_no_longer_open(session, items, kind, model.id, still, reason))
    waiting = select(Designation.id).where(
        Designation.designated_at.is_(None), Designation.removed_at.is_(None)
    )
    designated = "placeholder designated or removed"
    out.update(
        _no_longer_open(session, items, MessageKind.DESIGNATE, Designation.id, waiting, designated)
    )
    return out


def _no_longer_open(
    session: Session,
    items: list[QueuedItem],
    kind: MessageKind,
    id_column: Any,
    still_open: Select[Any],
    reason: str,
) -> dict[int, str]:
    """The items of `kind` whose report, request or placeholder (facts.ref_id) is no longer
    among `still_open`. Several items may share one (a review request to two leads)."""
    asked: dict[int, list[QueuedItem]] = {}
    for item in items:
        if item.kind is kind and item.facts.ref_id:
            asked.setdefault(item.facts.ref_id, []).append(item)
    if not asked:
        return {}
    found = set(session.scalars(still_open.where(id_column.in_(list(asked)))))
    return {i.id: reason for ref, group in asked.items() if ref not in found for i in group}


def _period_states(session: Session, ids: set[int]) -> dict[int, tuple]:  # type: ignore[type-arg]
    found: dict[int, tuple] = {}  # type: ignore[type-arg]
    wanted = sorted(ids)
    conn = session.connection()
    for start in range(0, len(wanted), CHUNK):
        for row in conn.execute(_PERIODS, {"ids": wanted[start : start + CHUNK]}):
            found[row[0]] = row
    return found


def _ladder_reason(item: QueuedItem, period: tuple | None) -> str:  # type: ignore[type-arg]
    if period is None or item.facts.due is None:
        return "no longer known (period missing, or queued without its facts)"
    _, state, due_on, extended_to, restarted_on, unassigned, task_removed, done, closed = period
    if gone := _gone(unassigned, task_removed, done, closed):
        return gone
    if state not in LADDER_STATES:
        return _CLOSED.get(state, f"period {state}")
    due = extended_to or due_on
    if ladder_anchor(due, due_on, state, restarted_on) != (item.facts.anchor or ""):
        if extended_to and extended_to != item.facts.due:
            return f"due date extended to {extended_to}"
        return "superseded by a restarted ladder (report returned)"
    return ""


def _gone(unassigned: int, task_removed: int, done: int, closed: int) -> str:
    """Why nothing more is asked of this unit for this task, if so."""
    if task_removed:
        return "task removed"
    if unassigned:
        return "unit no longer assigned to the task"
    if closed:
        return _CLOSED[DONE]
    if done:
        return "unit completed the task (已完成, accepted)"
    return ""


def _final_reasons(session: Session, items: list[QueuedItem]) -> dict[int, str]:
    """The 完成时限 ladder's notices (anchor "f<deadline>", no period) whose unit is done, whose
    task is 办结 or gone, or whose deadline has moved since."""
    finals = [
        i for i in items
        if i.kind in LADDER_KINDS and i.period_id is None and (i.facts.anchor or "")[:1] == "f"
    ]  # fmt: skip
    if not finals:
        return {}
    conn = session.connection()
    rows: dict[int, tuple] = {}  # type: ignore[type-arg]
    wanted = sorted({i.assignment_id for i in finals if i.assignment_id is not None})
    for start in range(0, len(wanted), CHUNK):
        for row in conn.execute(_FINALS, {"ids": wanted[start : start + CHUNK]}):
            rows[row[0]] = row
    out: dict[int, str] = {}
    for item in finals:
        row = rows.get(item.assignment_id)  # type: ignore[arg-type]
        if row is None:
            out[item.id] = "no longer known (assignment missing)"
            continue
        _, deadline, unassigned, task_removed, done, closed = row
        reason = _gone(unassigned, task_removed, done, closed)
        if not reason and (deadline is None or final_anchor(deadline) != item.facts.anchor):
            reason = f"完成时限 changed to {deadline}" if deadline else "完成时限 removed"
        if reason:
            out[item.id] = reason
    return out


def drop_stale(session: Session, digests: Iterable[ClaimedDigest], now: dt.datetime) -> int:
    """Remove the items that no longer hold from the claimed digests, recording why on their
    rows. Returns how many were dropped (a digest may be left with no item)."""
    digests = list(digests)
    with collector_paused():
        reasons = stale_items(session, (i for d in digests for i in d.items))
    if not reasons:
        return 0
    session.connection().execute(
        _MARK_DROPPED,
        [{"item_id": rid, "at": now, "reason": why[:200]} for rid, why in reasons.items()],
    )
    for digest in digests:
        digest.items = [i for i in digest.items if i.id not in reasons]
    return len(reasons)
