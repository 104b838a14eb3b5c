"""The run: a fresh temporary database set up from the config, the virtual clock, the real
tick, and the simulated reports and designations between ticks."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from db.models import Assignment, Digest, OutboxItem, Period, Report, Unit
from db.models.outbox import DUE_STATES
from duban.config import Config, ReportingConfig
from duban.registry import sync_units
from duban.simulate.behaviour import (
    REPORT_TEXT,
    FigureModel,
    plan_designations,
    plan_reports,
    review_time,
)
from duban.simulate.chats import SimulatedChats
from duban.simulate.model import Planned, SimOptions, SimResult
from duban.simulate.output import message_event
from duban.simulate.setup import add_contacts, load_tasks
from duban.wiring import runtime
from jobs.tick import tick
from services import ServiceError
from services.designation import designate
from services.reports import review_report, submit_report


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
        load_tasks(sessions, sim_cfg, options, source)
        contacts = add_contacts(sessions)
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


async def _run(
    sessions: sessionmaker[Session],
    cfg: Config,
    options: SimOptions,
    contacts: dict[int, int],
    on_event: Callable[[dict[str, Any]], None] | None,
    result: SimResult,
) -> None:
    rt = runtime(cfg, sessions)
    cal = rt.calendar
    tz = cfg.tz
    channel = SimulatedChats()

    def emit(event: dict[str, Any]) -> None:
        result.events.append(event)
        if on_event is not None:
            on_event(event)

    figures = FigureModel.load(sessions, options)
    stop = dt.datetime.combine(options.end + dt.timedelta(days=1), dt.time(0), tz)
    now = cal.next_send_time(dt.datetime.combine(options.start, dt.time(0), tz))
    pending: list[Planned] = []
    designations = plan_designations(sessions, cal, options)
    reviews: list[tuple[dt.datetime, int]] = []  # (when, report id): the leads' reviews to come
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
        due_reviews = [r for r in reviews if r[0] <= now]
        if due_reviews:
            reviews = [r for r in reviews if r[0] > now]
            with transaction(sessions) as session:
                for at, report_id in sorted(due_reviews):
                    with contextlib.suppress(ServiceError):  # reviewed or superseded already
                        review_report(
                            session, report_id=report_id, reviewer_contact_id=None, accept=True,
                            now=at, tz=tz,
                        )  # fmt: skip
            result.reviews += len(due_reviews)
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
                    made_report = submit_report(
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
                    when = review_time(cfg, cal, options, planned) if role != "lead" else None
                    if when is not None:
                        reviews.append((when, made_report.id))
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
        report = await tick(rt, channel, now)
        result.ticks += 1
        for message in report.delivery.delivered:
            result.messages += 1
            result.items_by_kind.update(item.kind.value for item in message.items)
            emit(message_event(message, tz))
        with sessions() as session:  # one read-only session for both questions
            seen_period, new = plan_reports(session, cfg, cal, options, contacts, seen_period, now)
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
    pending: list[Planned],
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
