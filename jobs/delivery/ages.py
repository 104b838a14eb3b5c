"""Ages: a claimed item's overdue age and 催办 count, true on the day it is sent.

Part of the re-check (claim → re-check → route → render → send → record): the planner froze
each item on the day it was planned, but a digest may go out later (a retry after a 5xx, a
night, a channel down for days), and a catch-up tick long after import plans a period's last
ladder stage as its first notice. So, just before rendering:

* `overdue_days` of an overdue or escalation item is recounted from its due date to the day
  of the message on the working-day calendar (1 on the first working day after the due date);
* a 催办's "第N次" counts the 催办 about that period actually sent to the unit before it, and
  its "共M次" is that plus the ladder's 催办 still to come after this one.

The stored rows keep what was planned; only what is rendered (and reported) changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from db.contracts import AGED_KINDS, MessageKind
from db.models import Digest, OutboxItem
from db.models.outbox import SENT
from jobs.delivery.contracts import ClaimedDigest, QueuedItem
from jobs.workdays import CalendarGapError, WorkCalendar

CHUNK = 900

_o, _d = OutboxItem.__table__.c, Digest.__table__.c
# 催办 already delivered, per period (a 催办 goes to the period's own unit only).
_SENT_NOTICES = (
    select(_o.period_id, func.count())
    .join(Digest.__table__, _d.id == _o.digest_id)
    .where(
        _o.kind == MessageKind.OVERDUE.value,
        _o.period_id.in_(bindparam("ids", expanding=True)),
        _o.dropped_at.is_(None),
        _d.state == SENT,
    )
    .group_by(_o.period_id)
)


def _age(cal: WorkCalendar, due: str, day: dt.date) -> int | None:
    """WorkCalendar.days_overdue of an ISO due date; None when the calendar cannot settle
    the span (the planned age stays) or the date is not one."""
    try:
        return cal.days_overdue(dt.date.fromisoformat(due), day)
    except (CalendarGapError, ValueError):
        return None


def sent_notices(conn: Connection, period_ids: Iterable[int]) -> dict[int, int]:
    """period id → how many 催办 about it went out."""
    ids = sorted(set(period_ids))
    found: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        rows = conn.execute(_SENT_NOTICES, {"ids": ids[start : start + CHUNK]})
        found.update((pid, n) for pid, n in rows)
    return found


def bring_up_to_date(
    conn: Connection, digests: Iterable[ClaimedDigest], day: dt.date, cal: WorkCalendar | None
) -> None:
    """Replace each aged item's facts by their values on `day` (see the module docstring).
    Without a calendar (tests of the pipeline alone) ages stay as planned."""
    digests = list(digests)
    aged = [i for d in digests for i in d.items if i.kind in AGED_KINDS]
    if not aged:
        return
    notices = [i.period_id for i in aged if i.kind is MessageKind.OVERDUE and i.period_id]
    sent = sent_notices(conn, notices) if notices else {}
    ages: dict[str, int | None] = {}
    for digest in digests:
        digest.items = [_updated(i, day, cal, sent, ages) for i in digest.items]


def _updated(
    item: QueuedItem,
    day: dt.date,
    cal: WorkCalendar | None,
    sent: dict[int, int],
    ages: dict[str, int | None],
) -> QueuedItem:
    if item.kind not in AGED_KINDS:
        return item
    facts = item.facts
    changes: dict[str, int] = {}
    due = facts.due
    if cal is not None and due:
        if due not in ages:
            ages[due] = _age(cal, due, day)
        age = ages[due]
        if age and age != facts.overdue_days:
            changes["overdue_days"] = age
    if item.kind is MessageKind.OVERDUE and item.period_id is not None:
        times = sent.get(item.period_id, 0) + 1
        item_dict = facts.as_item()
        stage, of = facts.stage, item_dict.get("of")
        changes["times"] = times
        if isinstance(stage, int) and isinstance(of, int):
            changes["of"] = times + max(of - stage, 0)  # the 催办 still to come after this
    if not changes:
        return item
    return item._replace(facts=facts.replace(**changes))
