"""What the planner reads: PeriodViews of the periods whose check has come (or by id, for the
deliverer), and the 各相关X placeholders whose next ask has come, each with its task's leads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Text, bindparam, select, type_coerce
from sqlalchemy.orm import Session

from db.models import Assignment, Designation, Group, Period, Task, Unit
from db.models.tasks import LEAD
from jobs.planner import DesignationView, PeriodView
from jobs.reporting.meta import META_DESIGNATIONS, chunks, meta_value
from jobs.reporting.schedules import plan_window
from jobs.settings import Settings
from messages.render import short_section, short_title


def _leads_query(by_task: bool) -> Any:
    a, u = Assignment.__table__.c, Unit.__table__.c
    q = (
        select(a.task_id, a.unit_id, u.name)
        .join(Unit.__table__, u.id == a.unit_id)
        .where(a.role == LEAD, a.removed_at.is_(None))
        .order_by(a.task_id, a.position, a.id)
    )
    return q.where(a.task_id.in_(bindparam("tasks", expanding=True))) if by_task else q


# Built once (a simulated year ticks 1 000 times; building and cache-keying a statement costs
# about as much as running it).
_LEADS_OF, _ALL_LEADS = _leads_query(True), _leads_query(False)


def leads_of(
    session: Session, task_ids: Iterable[int]
) -> dict[int, tuple[tuple[int, ...], tuple[str, ...]]]:
    ids = sorted(set(task_ids))
    found: dict[int, list[tuple[int, str]]] = {}
    if not ids:
        return {}
    conn = session.connection()
    rows = conn.execute(_LEADS_OF, {"tasks": ids}) if len(ids) <= 500 else conn.execute(_ALL_LEADS)
    for task_id, unit_id, name in rows:
        found.setdefault(task_id, []).append((unit_id, name))
    return {
        tid: (tuple(u for u, _ in pairs), tuple(n for _, n in pairs))
        for tid, pairs in found.items()
    }


def due_views(session: Session, now: dt.datetime, limit: int | None = None) -> list[PeriodView]:
    """PeriodViews of the periods whose next_check_at has come (oldest first)."""
    conn = session.connection()
    if limit is None:
        result = conn.execute(_DUE_VIEWS, {"now": now})
    else:
        result = conn.execute(_DUE_VIEWS_LIMITED, {"now": now, "limit": limit})
    # Streamed in slices: a busy tick's 100 000 raw rows (each with its own copy of every
    # string and of the policy text) never exist all at once beside their views.
    views: list[PeriodView] = []
    leads: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = {}
    for rows in result.partitions(5_000):
        views += _to_views(session, rows, leads)
    return views


def period_views(session: Session, period_ids: Iterable[int]) -> dict[int, PeriodView]:
    """PeriodViews by id (the deliverer rebuilds ladder items from them)."""
    ids = sorted(set(period_ids))
    rows: list[Any] = []
    conn = session.connection()
    for chunk in chunks(ids, 900):
        rows += conn.execute(_VIEWS_BY_ID, {"ids": list(chunk)}).all()
    return {view.period_id: view for view in _to_views(session, rows)}


def _views_query() -> Any:
    # Core columns (not ORM entities): a busy tick loads 100 000 rows, and plain rows skip the
    # ORM's per-row loading machinery.
    p, a, u, t = (m.__table__.c for m in (Period, Assignment, Unit, Task))
    return (
        select(
            p.id,
            p.assignment_id,
            p.label,
            p.due_on,
            p.extended_to,
            p.restarted_on,
            p.state,
            type_coerce(p.policy, Text).label("policy_text"),
            a.task_id,
            a.unit_id,
            a.role,
            u.name,
            t.number,
            t.text,
            t.section,
            t.leaders,
        )
        .select_from(Period.__table__)
        .join(Assignment.__table__, a.id == p.assignment_id)
        .join(Unit.__table__, u.id == a.unit_id)
        .join(Task.__table__, t.id == a.task_id)
    )


_P = Period.__table__.c
_DUE_VIEWS = (
    _views_query()
    .where(_P.next_check_at <= bindparam("now", type_=_P.next_check_at.type))
    .order_by(_P.next_check_at, _P.id)
)
_DUE_VIEWS_LIMITED = _DUE_VIEWS.limit(bindparam("limit"))
_VIEWS_BY_ID = _views_query().where(_P.id.in_(bindparam("ids", expanding=True)))


def _to_views(
    session: Session,
    rows: Sequence[Any],
    leads: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] | None = None,
) -> list[PeriodView]:
    """Rows of _views_query as PeriodViews. `leads` (task id → lead ids and names) is filled
    with the tasks it lacks, so that slices of one result share it."""
    if not rows:
        return []
    leads = {} if leads is None else leads
    leads.update(leads_of(session, {r.task_id for r in rows} - leads.keys()))
    none: tuple[tuple[int, ...], tuple[str, ...]] = ((), ())
    # Policies are read as text and parsed once per distinct text: thousands of periods share
    # one policy, and the planner memoises by identity.
    policies: dict[Any, dict[str, Any]] = {}
    views = []
    append = views.append
    titles: dict[str, str] = {}
    sections: dict[str, str] = {}
    # Each row brings its own copy of every string; a view keeps one shared copy (a busy
    # tick's 100 000 views would otherwise hold 100 000 copies of a few dozen names).
    strings: dict[str, str] = {}
    share = strings.setdefault
    named: dict[str, tuple[str, ...]] = {"": ()}  # Task.leaders text → names, once per text
    for (pid, aid, label, due_on, ext, rst, state, raw, tid, uid, role, uname, number, text,
         section, lt) in rows:  # fmt: skip
        title = titles.get(text)
        if title is None:
            title = titles[text] = short_title(text)
        short = sections.get(section)
        if short is None:
            short = sections[section] = short_section(section or "")
        label, state, role, uname = (
            share(label, label),
            share(state, state),
            share(role, role),
            share(uname, uname),
        )
        lead_ids, lead_names = leads.get(tid, none)
        leaders = named.get(lt)
        if leaders is None:
            leaders = named[lt] = tuple(lt.split("、"))
        policy = policies.get(raw) if isinstance(raw, str) else raw
        if policy is None:
            policy = policies[raw] = json.loads(raw) if raw else {}
        append(
            PeriodView(pid, aid, number, tid, uid, uname, role, lead_ids, lead_names,
                       ext or due_on, rst, state, policy, due_on, label, title, short,
                       leaders)
        )  # fmt: skip
    return views


# One prebuilt query a tick: the undesignated placeholders, each row carrying the designations'
# next checks (a meta value) so that a tick with nothing due costs this query alone.
_PENDING_DESIGNATIONS = (
    select(
        Designation.id,
        Designation.task_id,
        Task.number,
        Task.section,
        Group.name,
        meta_value(META_DESIGNATIONS).label("checks"),
    )
    .join(Task, Task.id == Designation.task_id)
    .join(Group, Group.id == Designation.group_id)
    .where(
        Designation.designated_at.is_(None),
        Designation.removed_at.is_(None),
        Task.removed_at.is_(None),
    )
    .order_by(Designation.id)
)


def pending_designations(
    session: Session, settings: Settings, now: dt.datetime, *, start: dt.date | None = None
) -> list[DesignationView]:
    """Undesignated 各相关X placeholders whose next ask has come. Asks count from the plan's
    start (so they are stable across ticks and restarts)."""
    rows = session.connection().execute(_PENDING_DESIGNATIONS).all()
    if not rows:
        return []
    raw = rows[0].checks
    checks: dict[str, str | None] = json.loads(raw) if raw else {}
    now_utc = now.astimezone(dt.UTC)
    due = []
    for r in rows:
        key = str(r.id)
        if key in checks:
            when = checks[key]
            if when is None or dt.datetime.fromisoformat(when) > now_utc:
                continue
        due.append(r)
    if not due:
        return []
    tz = settings.tz
    plan_start, _ = plan_window(session, settings.reporting, tz, now.astimezone(tz).date(), start)
    leads = leads_of(session, (r.task_id for r in due))
    out = []
    for r in due:
        lead_ids, lead_names = leads.get(r.task_id, ((), ()))
        out.append(
            DesignationView(
                r.id, r.task_id, r.number, r.name, lead_ids, lead_names, plan_start,
                short_section(r.section or ""),
            )
        )  # fmt: skip
    return out
