"""The reporting calendar: which task reports how often, its periods and due dates, and the
lazy creation of Period rows (plus small loaders the tick uses to feed the planner).

Schedules (`[reporting]` in the config) are chosen per task: the first rule naming the task's
number, else the first rule naming its section (by number 一/二/… or by full title), else
`reporting.default`.

    month    due on `day` of each month (default 25; day 31 in a 30-day month → the 30th)
    week     due on `weekday` (1 = Monday … 7 = Sunday) of each ISO week
    quarter  due on `day` of the quarter's last month (March, June, September, December)
    once     due on each of `dates`

A due day that is not a working day moves to the PREVIOUS working day (Sunday 2024-08-25 →
Friday 2024-08-23). Only periods whose due date falls within [reporting.start, reporting.end]
exist; start defaults to the day of the first import (else today), end to 31 December of the
start year.

Period rows are created lazily by `ensure_periods`: a period appears when its window opens,
WINDOW_MARGIN working days before its first reminder. A watermark in the `meta` table (the date
up to which windows have been handled, and the highest assignment id seen) lets a tick where
no window opens and no assignment was added return after one one-row query.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, bindparam, func, literal, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Assignment, Designation, Group, ImportRun, Meta, Period, Task, Unit
from db.models.periods import OPEN
from db.models.tasks import LEAD, RESPONSIBLE
from jobs.ladder import Policy, settled_ladder
from jobs.planner import DesignationView, PeriodView, PlanResult
from jobs.settings import ReportingPlan, Schedule, Settings
from jobs.workdays import CalendarGapError, WorkCalendar
from messages.render import short_title

log = logging.getLogger(__name__)

WINDOW_MARGIN = 2  # working days between a period's row appearing and its first reminder

META_THROUGH = "periods.through"  # ISO date: windows opening on or before it are materialised
META_MARK = "periods.assignment_mark"  # highest Assignment.id whose periods exist
META_START = "periods.plan_start"  # ISO date: the plan's start when the watermark was written
META_DESIGNATIONS = "designations.next_check"  # JSON {designation id: ISO datetime | null}

_NUMERALS = "一二三四五六七八九十"
_REPORTED_GAPS: set[dt.date] = set()


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    label: str  # "2024-03", "2024-W12", "2024-Q2", "once-2024-06-30"
    starts_on: dt.date
    due_on: dt.date  # already moved to a working day


# --- schedules ---------------------------------------------------------------------------------


def section_number(title: str) -> str:
    """'一、优结构、谋发展…' → '一'; '十二、…' → '十二'; '3.' → '3'; '' when none."""
    m = re.match(rf"^\s*([{_NUMERALS}]+|\d+)\s*[、.．]", title)
    return m.group(1) if m else ""


def _strip_number(title: str) -> str:
    return re.sub(rf"^\s*([{_NUMERALS}]+|\d+)\s*[、.．]\s*", "", title).strip()


def section_matches(wanted: str, section: str) -> bool:
    """A rule's `sections` entry names a task's section by number (一, 二, … or 1, 2, …) or by its
    title, with or without the leading number."""
    wanted = wanted.strip()
    if not wanted or not section:
        return False
    if wanted == section.strip():
        return True
    number = section_number(section)
    if number and wanted.rstrip("、.．") == number:
        return True
    return bool(_strip_number(wanted)) and _strip_number(wanted) == _strip_number(section)


def schedule_for(plan: ReportingPlan, task: Any) -> Schedule:
    """The schedule of a task (anything with .number and .section): rules naming the task's
    number first, then rules naming its section, then the default."""
    rules = plan.rules
    for rule in rules:
        if task.number in rule.tasks:
            return rule
    for rule in rules:
        if any(section_matches(s, task.section or "") for s in rule.sections):
            return rule
    return plan.default


def _month_day(year: int, month: int, day: int) -> dt.date:
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day, last))


def periods_for(
    schedule: Schedule, start: dt.date, end: dt.date, cal: WorkCalendar
) -> list[PeriodSpec]:
    """Every period of a schedule whose (moved) due date lies within [start, end]."""
    out: list[PeriodSpec] = []

    def add(label: str, natural_start: dt.date, nominal_due: dt.date) -> None:
        due = cal.prev_workday_or_same(nominal_due)
        if start <= due <= end:
            out.append(PeriodSpec(label, min(max(natural_start, start), due), due))

    if schedule.every == "month":
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            add(
                f"{year}-{month:02d}",
                dt.date(year, month, 1),
                _month_day(year, month, schedule.day),
            )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif schedule.every == "quarter":
        year, quarter = start.year, (start.month - 1) // 3 + 1
        while (year, quarter) <= (end.year, (end.month - 1) // 3 + 1):
            first = dt.date(year, 3 * quarter - 2, 1)
            add(f"{year}-Q{quarter}", first, _month_day(year, 3 * quarter, schedule.day))
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    elif schedule.every == "week":
        monday = start - dt.timedelta(days=start.weekday())
        while monday <= end:
            iso = monday.isocalendar()
            nominal = monday + dt.timedelta(days=schedule.weekday - 1)
            add(f"{iso.year}-W{iso.week:02d}", monday, nominal)
            monday += dt.timedelta(days=7)
    else:  # once
        previous = start
        for nominal in sorted(set(schedule.dates)):
            add(f"once-{nominal.isoformat()}", previous, nominal)
            previous = nominal + dt.timedelta(days=1)
    return out


def plan_window(
    session: Session, settings: Settings, today: dt.date, start: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """(start, end) of the whole plan: reporting.start, else the first import's day, else
    today; reporting.end, else 31 December of the start year. `start` overrides the config
    (simulate uses it)."""
    if start is None:
        start = settings.reporting.start
    if start is None:
        first = session.scalar(select(func.min(ImportRun.at)))
        start = first.astimezone(settings.tz).date() if first is not None else today
    end = settings.reporting.end or dt.date(start.year, 12, 31)
    if end < start:
        raise PlanWindowError(
            f"reporting.end ({end.isoformat()}) is before the plan's start ({start.isoformat()}: "
            "reporting.start, else the day of the first import): set reporting.start and "
            "reporting.end to the reporting year"
        )
    return start, end


class PlanWindowError(ValueError):
    """The plan's end lies before its start: the message names the config keys to set."""


def policy_of(settings: Settings) -> dict[str, Any]:
    """The ladder copied onto each new period (later config edits don't change it)."""
    return dict(settings.escalation)


def window_opens(spec: PeriodSpec, policy: Policy, cal: WorkCalendar) -> dt.date:
    """The day a period's row appears: WINDOW_MARGIN working days before its first reminder."""
    lead_days = max(policy.remind_before, default=0) + WINDOW_MARGIN
    return cal.add_workdays(spec.due_on, -lead_days)


# --- the watermark -----------------------------------------------------------------------------


# Built once, run on the session's connection: every tick reads the watermark (the ORM
# path and building the statement cost ≈ 10× the primary-key lookup itself).
_META_VALUES = select(Meta.key, Meta.value).where(Meta.key.in_(bindparam("keys", expanding=True)))


def _meta_value(key: str) -> Any:
    return select(Meta.value).where(Meta.key == key).scalar_subquery()


# The watermark and the highest assignment id in one row (ensure_periods' quiet path).
_WATERMARK = select(
    _meta_value(META_THROUGH),
    _meta_value(META_MARK),
    select(func.max(Assignment.id)).scalar_subquery(),
    _meta_value(META_START),
)


def _meta_get(session: Session, *keys: str) -> dict[str, str]:
    """Meta values by key. _meta_set flushes what it writes, so the connection sees it."""
    rows = session.connection().execute(_META_VALUES, {"keys": list(keys)})
    return {k: v for k, v in rows}


def _meta_set(session: Session, values: dict[str, str]) -> None:
    now = dt.datetime.now(dt.UTC)
    for key, value in values.items():
        row = session.get(Meta, key)
        if row is None:
            session.add(Meta(key=key, value=value, updated_at=now))
        elif row.value != value:
            row.value = value
            row.updated_at = now
    session.flush()


def reset_period_watermark(session: Session) -> None:
    """Make the next ensure_periods look at every active assignment again (e.g. after an
    import revived removed assignments). Safe: existing periods are never duplicated, and
    periods whose due date has already passed are not created for them."""
    _meta_set(session, {META_MARK: "0"})


# --- ensure_periods ----------------------------------------------------------------------------


@dataclass
class _Plan:
    start: dt.date
    end: dt.date
    policy: dict[str, Any]
    pol: Policy
    # id(schedule) → [(spec, opens_on)]
    specs: dict[int, list[tuple[PeriodSpec, dt.date]]]
    settled_until: dt.date | None = None  # last day before a calendar gap, if one was met


def _specs(
    settings: Settings, cal: WorkCalendar, start: dt.date, end: dt.date, today: dt.date
) -> _Plan:
    """The specs whose window can have opened by `today` (due within a horizon of today).

    A due date in a year the calendar cannot settle is logged as an error naming the date and
    the config keys; periods before it go on (only the tasks of that schedule are held up)."""
    policy = policy_of(settings)
    pol = Policy.from_mapping(policy)
    lead_days = max(pol.remind_before, default=0) + WINDOW_MARGIN
    horizon = min(end, today + dt.timedelta(days=max(62, 3 * lead_days)))
    specs: dict[int, list[tuple[PeriodSpec, dt.date]]] = {}
    settled: dt.date | None = None
    for schedule in (settings.reporting.default, *settings.reporting.rules):
        try:
            found = periods_for(schedule, start, horizon, cal)
        except CalendarGapError as gap:
            if gap.date not in _REPORTED_GAPS:  # once per process, not every tick
                _REPORTED_GAPS.add(gap.date)
                log.error("reporting calendar: %s", gap)
            last = dt.date(gap.date.year - 1, 12, 31)
            settled = last if settled is None else min(settled, last)
            found = periods_for(schedule, start, last, cal) if last >= start else []
        specs[id(schedule)] = [(spec, window_opens(spec, pol, cal)) for spec in found]
    return _Plan(start, end, policy, pol, specs, settled)


def ensure_periods(
    session: Session,
    settings: Settings,
    cal: WorkCalendar,
    today: dt.date,
    *,
    start: dt.date | None = None,
) -> int:
    """Create the Period rows whose window has opened by `today`; returns how many were new.

    Two sources, both idempotent (a period exists at most once per assignment and label):
    1. windows that opened after the watermark date, up to today: every active assignment of
       the tasks concerned gets that period — also periods already past due if the process
       was down, so the planner can catch up (restart safety);
    2. assignments added since the last run (import, designation): every period whose window
       has opened and whose due date is today or later. A unit is never chased for a deadline
       that passed before duban learned of its assignment.
    Cheap when nothing changed: one one-row query and no writes.
    """
    plan_start, plan_end = plan_window(session, settings, today, start)
    through_text, mark_text, max_id, start_text = session.connection().execute(_WATERMARK).one()
    through = dt.date.fromisoformat(through_text) if through_text is not None else None
    mark = int(mark_text if mark_text is not None else "0")
    max_id = max_id or 0
    if start_text is not None and plan_start < dt.date.fromisoformat(start_text):
        # reporting.start moved earlier (e.g. set after a first tick, to replay a past year):
        # the windows before the old start were never walked, so walk from the new one, and
        # ask for designations again from there. Existing periods are never duplicated.
        through = None
        _meta_set(session, {META_DESIGNATIONS: "{}"})
    marks = {META_MARK: str(max_id), META_START: plan_start.isoformat()}

    plan = _specs(settings, cal, plan_start, plan_end, today)
    opened = [
        (key, spec)
        for key, specs in plan.specs.items()
        for spec, opens in specs
        if opens <= today and (through is None or opens > through)
    ]
    if not opened and max_id <= mark:
        if through is None or start_text != marks[META_START]:
            _meta_set(session, {META_THROUGH: _through(plan, today), **marks})
        return 0  # the quiet path: no window opened, no assignment added, nothing written

    tasks = session.execute(
        select(Task.id, Task.number, Task.section).where(Task.removed_at.is_(None))
    ).all()
    tasks_of: dict[int, list[int]] = {}
    for t in tasks:
        tasks_of.setdefault(id(schedule_for(settings.reporting, t)), []).append(t.id)

    # (schedule, spec, only assignments with id > this) → one INSERT … SELECT per role and
    # chunk of tasks: the rows are built by the database, not in Python.
    jobs: dict[tuple[int, PeriodSpec], int] = {}
    for key, spec in opened:  # 1. newly opened windows: every active assignment
        jobs[(key, spec)] = 0
    if max_id > mark:  # 2. assignments added since the last run: periods still ahead
        for key, specs in plan.specs.items():
            for spec, opens in specs:
                if opens <= today and spec.due_on >= today:
                    jobs.setdefault((key, spec), mark)

    created = 0
    created_at = dt.datetime.now(dt.UTC)
    for (key, spec), above in jobs.items():
        task_ids = tasks_of.get(key, [])
        for role in (LEAD, RESPONSIBLE):
            first = _first_moment(cal, spec.due_on, plan.pol, role)
            for chunk in _chunks(task_ids, 500):
                created += _insert_select(
                    session, spec, role, first, plan.policy, created_at, chunk, above
                )
    _meta_set(session, {META_THROUGH: _through(plan, today), **marks})
    return created


def _through(plan: _Plan, today: dt.date) -> str:
    """The new watermark: today, but never past a calendar gap — once the admin adds the
    overrides, windows that opened meanwhile are still "new" and get their periods."""
    if plan.settled_until is not None:
        return min(today, plan.settled_until).isoformat()
    return today.isoformat()


def _first_moment(cal: WorkCalendar, due: dt.date, policy: Policy, role: str) -> dt.datetime:
    """When the planner must first look at a new period: its first stage (stages past a
    calendar gap are the planner's to report)."""
    stages, gap = settled_ladder(cal, due, None, policy, role, True, True)
    if not stages:
        assert gap is not None
        raise gap
    return stages[0].moment


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert_select(
    session: Session,
    spec: PeriodSpec,
    role: str,
    next_check: dt.datetime,
    policy: dict[str, Any],
    created_at: dt.datetime,
    task_ids: Sequence[int],
    above_id: int,
) -> int:
    """INSERT INTO periods SELECT … FROM assignments … ON CONFLICT DO NOTHING → rows added."""
    cols = Period.__table__.c
    source = (
        select(
            Assignment.id,
            literal(spec.label, cols.label.type),
            literal(spec.starts_on, cols.starts_on.type),
            literal(spec.due_on, cols.due_on.type),
            literal(OPEN, cols.state.type),
            literal(next_check, cols.next_check_at.type),
            literal(policy, cols.policy.type),
            literal(created_at, cols.created_at.type),
        )
        .join(Task, Task.id == Assignment.task_id)
        .where(
            Assignment.task_id.in_(task_ids),
            Assignment.role == role,
            Assignment.removed_at.is_(None),
            Task.removed_at.is_(None),
            Assignment.id > above_id,
        )
    )
    names = [
        "assignment_id", "label", "starts_on", "due_on", "state", "next_check_at", "policy",
        "created_at",
    ]  # fmt: skip
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(Period.__table__).from_select(names, source)
    else:
        stmt = sqlite.insert(Period.__table__).from_select(names, source)
    stmt = stmt.on_conflict_do_nothing(index_elements=["assignment_id", "label"])
    return max(session.execute(stmt).rowcount, 0)


# --- loaders for the tick ----------------------------------------------------------------------


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


def _leads(
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
    for chunk in _chunks(ids, 900):
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
_NEXT_CHECK = (
    Period.__table__.update()
    .where(_P.id.in_(bindparam("ids", expanding=True)))
    .values(next_check_at=bindparam("when", type_=_P.next_check_at.type))
)


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
    leads.update(_leads(session, {r.task_id for r in rows} - leads.keys()))
    none: tuple[tuple[int, ...], tuple[str, ...]] = ((), ())
    # Policies are read as text and parsed once per distinct text: thousands of periods share
    # one policy, and the planner memoises by identity.
    policies: dict[Any, dict[str, Any]] = {}
    views = []
    append = views.append
    titles: dict[str, str] = {}
    # Each row brings its own copy of every string; a view keeps one shared copy (a busy
    # tick's 100 000 views would otherwise hold 100 000 copies of a few dozen names).
    strings: dict[str, str] = {}
    share = strings.setdefault
    for pid, aid, label, due_on, ext, rst, state, raw, tid, uid, role, uname, number, text in rows:
        title = titles.get(text)
        if title is None:
            title = titles[text] = short_title(text)
        label, state, role, uname = (
            share(label, label),
            share(state, state),
            share(role, role),
            share(uname, uname),
        )
        lead_ids, lead_names = leads.get(tid, none)
        policy = policies.get(raw) if isinstance(raw, str) else raw
        if policy is None:
            policy = policies[raw] = json.loads(raw) if raw else {}
        append(
            PeriodView(pid, aid, number, tid, uid, uname, role, lead_ids, lead_names,
                       ext or due_on, rst, state, policy, due_on, label, title)
        )  # fmt: skip
    return views


# One prebuilt query a tick: the undesignated placeholders, each row carrying the designations'
# next checks (a meta value) so that a tick with nothing due costs this query alone.
_PENDING_DESIGNATIONS = (
    select(
        Designation.id,
        Designation.task_id,
        Task.number,
        Group.name,
        _meta_value(META_DESIGNATIONS).label("checks"),
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
    plan_start, _ = plan_window(session, settings, now.astimezone(settings.tz).date(), start)
    leads = _leads(session, (r.task_id for r in due))
    out = []
    for r in due:
        lead_ids, lead_names = leads.get(r.task_id, ((), ()))
        out.append(
            DesignationView(r.id, r.task_id, r.number, r.name, lead_ids, lead_names, plan_start)
        )
    return out


def _designation_checks(session: Session) -> dict[str, str | None]:
    raw = _meta_get(session, META_DESIGNATIONS).get(META_DESIGNATIONS)
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
            for chunk in _chunks(ids, 900):
                conn.execute(_NEXT_CHECK, {"ids": list(chunk), "when": when})
    if result.designation_next_check:
        checks = _designation_checks(session)
        for did, when in result.designation_next_check.items():
            checks[str(did)] = when.astimezone(dt.UTC).isoformat() if when else None
        _meta_set(session, {META_DESIGNATIONS: json.dumps(checks, sort_keys=True)})
