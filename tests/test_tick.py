"""A tick end to end (ensure_periods → planner → outbox → deliverer), asserted on the outbox."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from engine_fixtures import App, add_table, with_window
from memory_channel import MemoryChannel
from sqlalchemy import select

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from db.models import Assignment, OutboxItem, Period, Task, Unit
from duban.registry import sync_units
from jobs.tick import tick

SH = dt.timezone(dt.timedelta(hours=8))


def outbox_keys(sessions) -> list[str]:
    with sessions() as s:
        return sorted(s.scalars(select(OutboxItem.dedupe_key)))


def fresh(config, tmp_path: Path, name: str):
    cfg = config.model_copy(
        update={"duban": config.duban.model_copy(update={"data_dir": str(tmp_path / name)})}
    )
    eng = make_engine(cfg.database_url)
    upgrade(eng)
    sessions = make_sessionmaker(eng)
    with transaction(sessions) as s:
        sync_units(s, cfg)
    return cfg, sessions


async def run_ticks(app, times) -> list[tuple]:
    channel = MemoryChannel()
    delivered = []
    for now in times:
        report = await tick(app, channel, now)
        for m in report.delivery.delivered:
            items = tuple(
                sorted((i.kind, i.facts.task, i.facts.unit, i.facts.due) for i in m.items)
            )
            delivered.append((m.at, m.recipient, m.kind, items))
    return delivered


def every(start: dt.datetime, end: dt.datetime, step: dt.timedelta):
    t = start
    while t < end:
        yield t
        t += step


def minutely(start: dt.datetime, end: dt.datetime):
    """One tick a minute around each office opening and closing (07:30–10:00, 17:00–18:30),
    where minute granularity can make a difference, and every 15 minutes in between: a true
    minute clock over a month (37 000 ticks) would take a minute of test time."""
    t = start
    while t < end:
        local = t.astimezone(SH)
        minutes = local.hour * 60 + local.minute
        fine = 450 <= minutes < 600 or 1020 <= minutes < 1110
        yield t
        t += dt.timedelta(minutes=1 if fine else 15)


async def test_same_tick_twice_sends_nothing_twice(config, sessions):
    cfg = with_window(config, dt.date(2024, 3, 1), dt.date(2024, 4, 30))
    add_table(sessions)
    app = App(cfg, sessions)
    # 2024-03-25 is a Monday: D-3 = Wed 20 March, office opening 09:00.
    now = dt.datetime(2024, 3, 20, 9, 0, tzinfo=SH)
    first = await run_ticks(app, [now])
    keys = outbox_keys(sessions)
    second = await run_ticks(app, [now, now + dt.timedelta(seconds=30)])
    assert first, "the D-3 reminders go out"
    assert {kind for _, _, kind, _ in first} == {"reminder"}
    assert second == []
    assert outbox_keys(sessions) == keys


async def test_minute_and_hour_ticks_give_the_same_outbox(config, tmp_path):
    start = dt.datetime(2024, 3, 18, 0, 0, tzinfo=SH)
    end = dt.datetime(2024, 4, 13, 0, 0, tzinfo=SH)  # a month of ladders around 25 March
    results = {}
    for name, times in (
        ("hour", every(start, end, dt.timedelta(hours=1))),
        ("minute", minutely(start, end)),
    ):
        cfg, sessions = fresh(config, tmp_path, name)
        cfg = with_window(cfg, dt.date(2024, 3, 1), dt.date(2024, 4, 30))
        add_table(sessions)
        delivered = await run_ticks(App(cfg, sessions), times)
        results[name] = (outbox_keys(sessions), delivered)
    hour_keys, hour_msgs = results["hour"]
    minute_keys, minute_msgs = results["minute"]
    assert hour_keys == minute_keys
    assert hour_msgs == minute_msgs
    kinds = Counter(kind for _, _, kind, _ in hour_msgs)
    # Nobody reports here: the ladder reaches the office.
    assert kinds["reminder"] and kinds["overdue"] and kinds["escalation_office"]
    # One message per recipient per tick.
    per_tick = Counter((at, recipient) for at, recipient, _, _ in hour_msgs)
    assert max(per_tick.values()) == 1
    # Nothing on weekends, nothing outside office hours.
    for at, *_ in hour_msgs:
        local = at.astimezone(SH)
        assert local.weekday() < 5 and 9 <= local.hour < 18


async def test_a_report_stops_the_ladder(config, sessions):
    from services.reports import submit_report

    cfg = with_window(config, dt.date(2024, 3, 1), dt.date(2024, 4, 30))
    add_table(sessions)
    app = App(cfg, sessions)
    start = dt.datetime(2024, 3, 18, 0, 0, tzinfo=SH)
    before = await run_ticks(
        app, every(start, dt.datetime(2024, 3, 21, tzinfo=SH), dt.timedelta(hours=1))
    )
    assert before
    with transaction(sessions) as s:
        period_id = s.scalar(
            select(Period.id)
            .join(Assignment, Assignment.id == Period.assignment_id)
            .join(Task, Task.id == Assignment.task_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Task.number == 1, Unit.name == "区工信局", Period.label == "2024-03")
        )
        submit_report(
            s,
            period_id=period_id,
            contact_id=None,
            status="on_track",
            text="已完成本月任务",
            now=dt.datetime(2024, 3, 21, 10, 0, tzinfo=SH),
            source="simulate",
        )
    after = await run_ticks(
        app,
        every(
            dt.datetime(2024, 3, 21, 11, tzinfo=SH),
            dt.datetime(2024, 4, 13, tzinfo=SH),
            dt.timedelta(hours=1),
        ),
    )
    about_gx_task1 = [
        (at, kind)
        for at, _, _, items in after
        for kind, task, unit, _ in items
        # What its lead is asked about the report (review it; reminded while it does not)
        # is no chase of the unit.
        if task == 1 and unit == "区工信局" and kind not in ("review_request", "review_overdue")
    ]
    assert about_gx_task1 == []
    # The other responsible unit of task 1 is still chased.
    assert any(
        kind == "overdue" and task == 1 and unit == "区商务局"
        for _, _, _, items in after
        for kind, task, unit, _ in items
    )
    # The lead was asked to review the report.
    assert any(
        kind == "review_request" and unit == "区工信局"
        for _, _, _, items in after
        for kind, _, unit, _ in items
    )


async def test_digest_lines_name_the_task_not_only_its_number(config, sessions):
    cfg = with_window(config, dt.date(2024, 3, 1), dt.date(2024, 4, 30))
    add_table(sessions)
    with transaction(sessions) as s:
        task = s.scalars(select(Task).order_by(Task.number)).first()
        task.text = "构建服务业跨越式发展模式,促进现代服务业与金融、商贸、文旅深度融合。"
        number = task.number
    channel = MemoryChannel()
    await tick(App(cfg, sessions), channel, dt.datetime(2024, 3, 20, 9, 0, tzinfo=SH))
    text = "\n".join(part for message in channel.sent for part in message.parts)
    assert f"任务{number}（构建服务业跨越式发展模式）" in text
