"""`duban simulate`: the real engine on a virtual clock, with simulated contacts.

It never touches the user's data: everything happens in a fresh temporary SQLite database
(deleted afterwards unless `save_to` is given), initialised from the config, with the tasks
either imported from a table file or copied (read-only) from the configured database.

Each unit with an assignment gets one simulated contact. For every reporting period a
random generator seeded with (seed, task, unit, period label) decides, independently of the
order in which periods appear:
  * whether the unit reports at all (probability reply_rate), and
  * if so, whether it reports late (probability late_rate): on time = one of the last working
    days up to the due date; late = 1–8 working days after it, at a random office-hours minute.
Reports go through services.reports.submit_report — the function the bot calls.

The virtual clock ticks at every working day's opening time, at every period's
next_check_at and outbox retry time, and at the top of each hour in which a report was made,
which is what a one-minute clock would do for the ladder: every stage moment is an office
opening (or a retry time), and between those moments a tick finds nothing due.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from db.models import (
    Assignment,
    Contact,
    Designation,
    Digest,
    Group,
    OutboxItem,
    Period,
    Report,
    Target,
    Task,
    Unit,
)
from db.models.outbox import DUE_STATES
from db.models.tasks import LEAD
from duban.config import Config, ReportingConfig
from duban.registry import sync_units
from jobs.channels import MemoryChannel
from jobs.deliverer import DeliveredMessage
from jobs.tick import calendar_for, tick
from services.designation import candidates, designate

MAX_LATE_WORKDAYS = 8
REPORT_TEXT = {"on_track": "（模拟报送）按计划推进", "difficulty": "（模拟报送）存在困难"}
ON_TIME_WINDOW = 4  # an on-time report comes on one of the last 4 working days up to D


@dataclass(frozen=True)
class SimOptions:
    start: dt.date
    end: dt.date
    reply_rate: float = 0.8
    late_rate: float = 0.2
    seed: int = 1
    table: Path | None = None
    save_to: Path | None = None


@dataclass
class SimResult:
    events: list[dict[str, Any]] = field(default_factory=list)  # the jsonl objects, in order
    messages: list[DeliveredMessage] = field(default_factory=list)
    ticks: int = 0
    reports: int = 0
    designations: int = 0  # 各相关X placeholders the simulated leads designated
    # unit → (periods due in the window, reported on time, reported late)
    per_unit: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    dead: int = 0


@dataclass(frozen=True)
class _Planned:
    at: dt.datetime
    task: int
    unit: str
    period_id: int
    contact_id: int
    due: dt.date
    status: str


def simulate(
    cfg: Config,
    options: SimOptions,
    *,
    source: sessionmaker[Session] | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> SimResult:
    """Run the simulation. Tasks come from options.table, else from `source` (read-only)."""
    import asyncio

    if options.end < options.start:
        raise ValueError("--to must not be before --from")
    workdir = Path(tempfile.mkdtemp(prefix="duban-sim-"))
    db_path = workdir / "simulate.db"
    sim_cfg = cfg.model_copy(
        update={
            "duban": cfg.duban.model_copy(
                update={"database_url": f"sqlite:///{db_path}", "data_dir": str(workdir)}
            ),
            "reporting": ReportingConfig(
                start=options.start,
                end=options.end,
                default=cfg.reporting.default,
                rules=cfg.reporting.rules,
            ),
        }
    )
    engine = make_engine(sim_cfg.database_url)
    try:
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            sync_units(session, sim_cfg)
        _load_tasks(sessions, sim_cfg, options, source)
        contacts = _add_contacts(sessions)
        result = SimResult()
        # _run fills `result` and returns None: Python 3.11's asyncio.run formats the repr of
        # the main task's return value when it restores its SIGINT handler, which for a whole
        # year's events costs a noticeable fraction of a second.
        asyncio.run(_run(sessions, sim_cfg, options, contacts, on_event, result))
        _summarise(sessions, sim_cfg, options, result)
        engine.dispose()
        if options.save_to is not None:
            options.save_to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(db_path, options.save_to)
        return result
    finally:
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


# --- set-up --------------------------------------------------------------------------------------


def _load_tasks(
    sessions: sessionmaker[Session],
    cfg: Config,
    options: SimOptions,
    source: sessionmaker[Session] | None,
) -> None:
    now = dt.datetime.combine(options.start, dt.time(0), cfg.tz)
    if options.table is not None:
        from duban.importer import import_file

        with transaction(sessions) as session:
            import_file(session, cfg, options.table, now=now)
        return
    if source is None:
        raise ValueError("no tasks: give a table file or a database to copy from")
    with source() as src, transaction(sessions) as dst:
        _copy_tasks(src, dst)
    with sessions() as session:
        if not session.scalar(select(func.count(Task.id))):
            raise ValueError(
                "the database has no tasks: run `duban import FILE` first or pass --table FILE"
            )


def _copy_tasks(src: Session, dst: Session) -> None:
    """Tasks, targets, assignments and designations, matched to units and groups by name."""
    units = {u.name: u.id for u in dst.scalars(select(Unit))}
    for unit in src.scalars(select(Unit).order_by(Unit.id)):
        if unit.name not in units:
            copy = Unit(name=unit.name, kind=unit.kind, from_import=True)
            dst.add(copy)
            dst.flush()
            units[unit.name] = copy.id
    src_units = {u.id: u.name for u in src.scalars(select(Unit))}
    groups = {g.name: g.id for g in dst.scalars(select(Group))}
    src_groups = {g.id: g.name for g in src.scalars(select(Group))}
    task_ids: dict[int, int] = {}
    for task in src.scalars(select(Task).where(Task.removed_at.is_(None)).order_by(Task.number)):
        copy = Task(
            number=task.number,
            section=task.section,
            text=task.text,
            deadline_text=task.deadline_text,
            deadline=task.deadline,
        )
        dst.add(copy)
        dst.flush()
        task_ids[task.id] = copy.id
        for target in task.targets:
            dst.add(
                Target(
                    task_id=copy.id,
                    ordinal=target.ordinal,
                    comparator=target.comparator,
                    value=target.value,
                    unit_label=target.unit_label,
                    label=target.label,
                    raw=target.raw,
                )
            )
    for a in src.scalars(
        select(Assignment).where(Assignment.removed_at.is_(None)).order_by(Assignment.id)
    ):
        if a.task_id not in task_ids:
            continue
        dst.add(
            Assignment(
                task_id=task_ids[a.task_id],
                unit_id=units[src_units[a.unit_id]],
                role=a.role,
                via_group_id=groups.get(src_groups.get(a.via_group_id or -1, "")),
                position=a.position,
            )
        )
    for d in src.scalars(select(Designation).where(Designation.removed_at.is_(None))):
        if d.task_id in task_ids and src_groups.get(d.group_id) in groups:
            dst.add(
                Designation(
                    task_id=task_ids[d.task_id],
                    group_id=groups[src_groups[d.group_id]],
                    role=d.role,
                    position=d.position,
                    designated_at=d.designated_at,
                    designated_by=d.designated_by,
                )
            )


def _add_contacts(sessions: sessionmaker[Session]) -> dict[int, int]:
    """One simulated contact per unit that has an assignment: unit id → contact id."""
    out: dict[int, int] = {}
    with transaction(sessions) as session:
        unit_ids = session.scalars(
            select(Assignment.unit_id).where(Assignment.removed_at.is_(None)).distinct()
        ).all()
        for unit_id in sorted(unit_ids):
            contact = Contact(
                unit_id=unit_id,
                user_address=str(900_000_000 + unit_id),
                address=str(900_000_000 + unit_id),
                display_name=f"simulated contact {unit_id}",
            )
            session.add(contact)
            session.flush()
            out[unit_id] = contact.id
    return out


# --- the run -------------------------------------------------------------------------------------


async def _run(
    sessions: sessionmaker[Session],
    cfg: Config,
    options: SimOptions,
    contacts: dict[int, int],
    on_event: Callable[[dict[str, Any]], None] | None,
    result: SimResult,
) -> None:
    from services.reports import submit_report

    cal = calendar_for(cfg)
    tz = cfg.tz
    channel = MemoryChannel(needs_chats=False, keep=False)  # the office may have no chat

    def emit(event: dict[str, Any]) -> None:
        result.events.append(event)
        if on_event is not None:
            on_event(event)

    figures = _FigureModel.load(sessions, options)
    stop = dt.datetime.combine(options.end + dt.timedelta(days=1), dt.time(0), tz)
    now = cal.next_send_time(dt.datetime.combine(options.start, dt.time(0), tz))
    pending: list[_Planned] = []
    designations = _plan_designations(sessions, cal, options)
    seen_period = 0
    while now < stop:
        # Reports made up to now, in time order, then the tick.
        due_designations = [x for x in designations if x.at <= now]
        if due_designations:
            designations = [x for x in designations if x.at > now]
            with transaction(sessions) as session:
                for x in due_designations:
                    designate(
                        session,
                        designation_id=x.designation_id,
                        unit_ids=x.unit_ids,
                        now=now,
                        by="simulate",
                    )
            result.designations += len(due_designations)
        due_reports = [p for p in pending if p.at <= now]
        if due_reports:
            pending = [p for p in pending if p.at > now]
            made = []
            with transaction(sessions) as session:  # the reports of this hour, one commit
                # Their periods' states and roles, in one query.
                periods = {
                    pid: (state, role)
                    for pid, state, role in session.connection().execute(
                        _HOUR_PERIODS, {"ids": sorted({p.period_id for p in due_reports})}
                    )
                }
                for planned in sorted(due_reports, key=lambda p: (p.at, p.task, p.unit)):
                    state, role = periods.get(planned.period_id, ("", ""))
                    if state not in ("open", "returned"):
                        continue
                    target_id, figure = figures.for_report(planned, role)
                    submit_report(
                        session,
                        period_id=planned.period_id,
                        contact_id=planned.contact_id,
                        status=planned.status,
                        text=REPORT_TEXT[planned.status],
                        target_id=target_id,
                        figure=figure,
                        now=planned.at,
                        source="simulate",
                        office_name=cfg.office.name,
                        tz=tz,
                    )
                    made.append(planned)
            for planned in made:
                result.reports += 1
                emit(
                    {
                        "at": planned.at.astimezone(tz).isoformat(),
                        "event": "report",
                        "task": planned.task,
                        "unit": planned.unit,
                        "due": planned.due.isoformat(),
                    }
                )
        report = await tick(_App(cfg, sessions), channel, now, cal=cal)
        result.ticks += 1
        for message in report.delivery.delivered:
            result.messages.append(message)
            emit(message_event(message, tz))
        with sessions() as session:  # one read-only session for both questions
            seen_period, new = _plan_reports(session, cfg, cal, options, contacts, seen_period, now)
            pending.extend(new)
            now = _next_time(session, cal, now, pending, stop)
    with sessions() as session:
        result.dead = int(
            session.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.state == "dead")) or 0
        )


# A report hour's periods: state and role, built once.
_HOUR_PERIODS = (
    select(Period.id, Period.state, Assignment.role)
    .join(Assignment, Assignment.id == Period.assignment_id)
    .where(Period.id.in_(bindparam("ids", expanding=True)))
)


@dataclass(frozen=True)
class _Designating:
    at: dt.datetime
    designation_id: int
    unit_ids: tuple[int, ...]


def _plan_designations(
    sessions: sessionmaker[Session], cal: Any, options: SimOptions
) -> list[_Designating]:
    """Each lead designates its 各相关X placeholders (with the reply rate's probability) on one
    of the first working days: one to three of the candidate units, at an office opening (a
    tick the clock makes anyway). Its own random stream, like the figures."""
    out: list[_Designating] = []
    first = cal.next_workday_or_same(options.start)
    with sessions() as session:
        pending = session.scalars(
            select(Designation)
            .where(Designation.designated_at.is_(None), Designation.removed_at.is_(None))
            .order_by(Designation.id)
        ).all()
        for des in pending:
            rng = random.Random(f"{options.seed}:designate:{des.task.number}:{des.group.name}")
            if rng.random() >= options.reply_rate:
                continue
            choices = sorted(candidates(session, des))
            if not choices:
                continue
            units = tuple(sorted(rng.sample(choices, rng.randint(1, min(3, len(choices))))))
            day = cal.add_workdays(first, rng.randint(1, 5))
            out.append(_Designating(cal.opening(day), des.id, units))
    return out


@dataclass
class _FigureModel:
    """Lead units report a figure toward their task's first numeric target, growing over the
    plan roughly in step with time (so the ledger and the progress chart have something to
    show). Its own random stream: the reporting decisions stay as they were without it."""

    targets: dict[int, tuple[int, float, str]]  # task number → (target id, value, comparator)
    options: SimOptions

    @classmethod
    def load(cls, sessions: sessionmaker[Session], options: SimOptions) -> _FigureModel:
        with sessions() as session:
            rows = session.execute(
                select(Task.number, Target.id, Target.value, Target.comparator)
                .join(Target, Target.task_id == Task.id)
                .where(Target.removed_at.is_(None))
                .order_by(Task.number, Target.ordinal)
            ).all()
        targets: dict[int, tuple[int, float, str]] = {}
        for number, target_id, value, comparator in rows:
            targets.setdefault(number, (target_id, value, comparator))
        return cls(targets, options)

    def for_report(self, planned: _Planned, role: str) -> tuple[int | None, float | None]:
        target = self.targets.get(planned.task)
        if role != LEAD or target is None:
            return None, None
        target_id, value, comparator = target
        rng = random.Random(f"{self.options.seed}:{planned.task}:{planned.unit}:{planned.due}:fig")
        if comparator in ("<=", "<"):  # a ceiling: mostly within it
            return target_id, round(value * rng.uniform(0.6, 1.05), 2)
        span = max((self.options.end - self.options.start).days, 1)
        elapsed = min(max((planned.due - self.options.start).days, 0), span) / span
        return target_id, round(value * elapsed * rng.uniform(0.85, 1.15), 2)


@dataclass
class _App:
    config: Config
    sessions: sessionmaker[Session]


def message_event(message: DeliveredMessage, tz: dt.tzinfo) -> dict[str, Any]:
    """The jsonl object of one delivered message (a contract: keep keys and spelling)."""
    return {
        "at": message.at.astimezone(tz).isoformat(),
        "recipient": message.recipient_name,
        "role": message.role,
        "kind": message.kind,
        "items": [
            {"task": i.get("task"), "unit": i.get("unit"), "due": i.get("due"), "kind": i["kind"]}
            for i in message.items
        ],
    }


# Built once: the simulated year asks after every tick (building the statement cost more
# than running it).
_NEW_PERIODS = (
    select(Period.id, Period.label, Period.due_on, Task.number, Unit.id, Unit.name)
    .join(Assignment, Assignment.id == Period.assignment_id)
    .join(Task, Task.id == Assignment.task_id)
    .join(Unit, Unit.id == Assignment.unit_id)
    .where(Period.id > bindparam("seen"))
    .order_by(Period.id)
)


def _plan_reports(
    session: Session,
    cfg: Config,
    cal: Any,
    options: SimOptions,
    contacts: dict[int, int],
    seen_period: int,
    now: dt.datetime,
) -> tuple[int, list[_Planned]]:
    """Decide, for each period created since the last call, if and when its unit reports."""
    out: list[_Planned] = []
    rows = session.connection().execute(_NEW_PERIODS, {"seen": seen_period}).all()
    for pid, label, due, task, unit_id, unit_name in rows:
        seen_period = max(seen_period, pid)
        rng = random.Random(f"{options.seed}:{task}:{unit_name}:{label}")
        if rng.random() >= options.reply_rate:
            continue
        late = rng.random() < options.late_rate
        d = cal.prev_workday_or_same(due)
        if late:
            day = cal.add_workdays(d, rng.randint(1, MAX_LATE_WORKDAYS))
        else:
            day = cal.add_workdays(d, -rng.randint(0, ON_TIME_WINDOW - 1))
        opening = cal.opening(day)
        minutes = _office_minutes(cfg)
        at = opening + dt.timedelta(minutes=rng.randrange(1, minutes))
        status = "difficulty" if rng.random() < 0.1 else "on_track"
        if at <= now:
            continue  # the period appeared after its report time (a very short window)
        if unit_id not in contacts:
            continue
        out.append(_Planned(at, task, unit_name, pid, contacts[unit_id], due, status))
    return seen_period, out


def _office_minutes(cfg: Config) -> int:
    start, end = cfg.calendar.office_hours
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


# The next period check and the next retry after `now`, in one statement built once.
_NOW = bindparam("now", type_=Period.next_check_at.type)
_NEXT_CHECK_AND_RETRY = select(
    select(func.min(Period.next_check_at)).where(Period.next_check_at > _NOW).scalar_subquery(),
    select(func.min(Digest.next_attempt_at))
    .where(Digest.state.in_(DUE_STATES), Digest.next_attempt_at > _NOW)
    .scalar_subquery(),
)


def _next_time(
    session: Session,
    cal: Any,
    now: dt.datetime,
    pending: list[_Planned],
    stop: dt.datetime,
) -> dt.datetime:
    """The next moment a one-minute clock would find something to do."""
    candidates = [
        cal.next_send_time(
            dt.datetime.combine(
                now.astimezone(cal.tz).date() + dt.timedelta(days=1), dt.time(0), cal.tz
            )
        )
    ]
    if pending:
        first = min(p.at for p in pending)
        candidates.append(first.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1))
    check, retry = session.connection().execute(_NEXT_CHECK_AND_RETRY, {"now": now}).one()
    candidates += [t for t in (check, retry) if t is not None]
    return max(min(candidates), now + dt.timedelta(seconds=1))


# --- the summary ---------------------------------------------------------------------------------


def _summarise(
    sessions: sessionmaker[Session], cfg: Config, options: SimOptions, result: SimResult
) -> None:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    with sessions() as session:
        rows = session.execute(
            select(Period.id, Period.due_on, Period.extended_to, Unit.name)
            .join(Assignment, Assignment.id == Period.assignment_id)
            .join(Unit, Unit.id == Assignment.unit_id)
        ).all()
        first_report: dict[int, bool] = {}
        for period_id, late in session.execute(
            select(Report.period_id, Report.late).order_by(Report.id)
        ):
            first_report.setdefault(period_id, late)
    for period_id, due_on, extended_to, unit in rows:
        due = extended_to or due_on
        if not (options.start <= due <= options.end):
            continue
        entry = counts[unit]
        entry[0] += 1
        if period_id in first_report:
            entry[2 if first_report[period_id] else 1] += 1
    result.per_unit = {u: (c[0], c[1], c[2]) for u, c in sorted(counts.items())}


KIND_LABELS = {
    "reminder": "提醒 reminders",
    "due": "到期提醒 due today",
    "overdue": "催办 overdue notices",
    "escalation_lead": "督办→牵头单位 escalations to lead",
    "escalation_office": "督办→督查室 escalations to office",
    "escalation_leader": "督办→分管区领导 escalations to leader",
    "designate": "请指定 designation requests",
}


def format_text(result: SimResult, options: SimOptions, excerpt: int = 25) -> str:
    """A timeline excerpt and a summary."""
    lines = [
        f"simulated {options.start} → {options.end}: reply rate {options.reply_rate:.0%}, "
        f"late rate {options.late_rate:.0%}, seed {options.seed}",
        "",
        "timeline (excerpt):",
    ]
    for event in result.events[:excerpt]:
        at = event["at"][:16].replace("T", " ")
        if event.get("event") == "report":
            lines.append(f"  {at}  ← {event['unit']} reports on task {event['task']}")
        else:
            items = event["items"]
            tasks = ", ".join(str(i["task"]) for i in items[:6]) + (" …" if len(items) > 6 else "")
            lines.append(
                f"  {at}  → {event['recipient']} ({event['role']}) {event['kind']}: "
                f"{len(items)} item(s), tasks {tasks}"
            )
    if len(result.events) > excerpt:
        lines.append(f"  … {len(result.events) - excerpt} more events (use --format jsonl)")
    items_by_kind: Counter[str] = Counter()
    messages_by_kind: Counter[str] = Counter()
    for message in result.messages:
        messages_by_kind[message.kind] += 1
        for item in message.items:
            items_by_kind[item["kind"]] += 1
    lines += ["", "summary:"]
    lines.append(
        f"  ticks {result.ticks}, messages {len(result.messages)}, reports {result.reports}, "
        f"placeholders designated {result.designations}"
    )
    for kind, label in KIND_LABELS.items():
        lines.append(f"  {label:<40} {items_by_kind.get(kind, 0):>6} item(s)")
    others = {k: v for k, v in items_by_kind.items() if k not in KIND_LABELS}
    for kind, n in sorted(others.items()):
        lines.append(f"  {kind:<40} {n:>6} item(s)")
    if result.dead:
        lines.append(f"  dead outbox items: {result.dead} (see `duban outbox`)")
    lines += ["", "on-time rate per unit (periods due in the window):"]
    total = [0, 0, 0]
    for unit, (due, on_time, late) in sorted(
        result.per_unit.items(), key=lambda kv: (-(kv[1][1] / kv[1][0]) if kv[1][0] else 0, kv[0])
    ):
        total = [total[0] + due, total[1] + on_time, total[2] + late]
        rate = on_time / due if due else 0.0
        lines.append(f"  {unit:<24} {on_time:>3}/{due:<3} on time {rate:6.1%}  late {late}")
    if total[0]:
        lines.append(
            f"  {'all units':<24} {total[1]:>3}/{total[0]:<3} on time {total[1] / total[0]:6.1%}"
            f"  late {total[2]}"
        )
    return "\n".join(lines)


def format_jsonl(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False)
