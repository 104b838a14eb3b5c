"""The reporting calendar: due dates as printed on a 2024 wall calendar, and lazy periods."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Assignment, Designation, Group, ImportRun, Period, Task, Unit
from db.models.tasks import LEAD, RESPONSIBLE
from duban.config import Config, ConfigError, ScheduleConfig
from duban.wiring import config_plan_window, engine_settings, schedule_of
from jobs.planner import plan
from jobs.reporting import (
    PlanWindowError,
    due_views,
    ensure_periods,
    pending_designations,
    periods_for,
    plan_window,
    schedule_for,
    section_matches,
    store_next_checks,
)
from jobs.settings import Schedule
from jobs.workdays import WorkCalendar

D = dt.date
SH = ZoneInfo("Asia/Shanghai")
SECTION_1 = "一、优结构、谋发展,在加快构建现代化产业体系上冲在前、当先锋、作示范"
SECTION_9 = "九、强党性、聚民心,在不断强化自身建设上冲在前、当先锋、作示范"


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def schedule(**kw: object) -> Schedule:
    """A schedule as the config spells it (its defaults: day 25, Friday, …)."""
    return schedule_of(ScheduleConfig(**kw))  # type: ignore[arg-type]


def dues(specs: list) -> list[tuple[str, dt.date]]:  # type: ignore[type-arg]
    return [(s.label, s.due_on) for s in specs]


def test_monthly_on_the_25th_moves_back_to_a_working_day(cal: WorkCalendar) -> None:
    specs = periods_for(schedule(), D(2024, 3, 15), D(2024, 12, 31), cal)
    assert dues(specs) == [
        ("2024-03", D(2024, 3, 25)),  # Monday
        ("2024-04", D(2024, 4, 25)),
        ("2024-05", D(2024, 5, 24)),  # 05-25 is a Saturday → Friday 05-24
        ("2024-06", D(2024, 6, 25)),
        ("2024-07", D(2024, 7, 25)),
        ("2024-08", D(2024, 8, 23)),  # 08-25 is a Sunday → Friday 08-23
        ("2024-09", D(2024, 9, 25)),
        ("2024-10", D(2024, 10, 25)),
        ("2024-11", D(2024, 11, 25)),
        ("2024-12", D(2024, 12, 25)),
    ]
    assert specs[0].starts_on == D(2024, 3, 15)  # the plan's start, not March 1st
    assert specs[1].starts_on == D(2024, 4, 1)


def test_day_31_and_holidays(cal: WorkCalendar) -> None:
    specs = periods_for(schedule(day=31), D(2024, 4, 1), D(2024, 6, 30), cal)
    assert dues(specs) == [
        ("2024-04", D(2024, 4, 30)),  # 30-day month → its last day (a Tuesday)
        ("2024-05", D(2024, 5, 31)),  # a Friday
        ("2024-06", D(2024, 6, 28)),  # 06-30 is a Sunday → Friday 06-28
    ]
    # due on the 1st: 2024-10-01 is National Day → the last working day before, Mon 09-30
    # (and 09-01 is a Sunday → Fri 08-30, before this plan's start: no September period)
    october = periods_for(schedule(day=1), D(2024, 8, 31), D(2024, 10, 31), cal)
    assert dues(october) == [("2024-10", D(2024, 9, 30))]


def test_weekly_quarterly_and_once(cal: WorkCalendar) -> None:
    weekly = periods_for(schedule(every="week", weekday=5), D(2024, 9, 23), D(2024, 10, 13), cal)
    assert dues(weekly) == [
        ("2024-W39", D(2024, 9, 27)),
        ("2024-W40", D(2024, 9, 30)),  # Fri 10-04 is a holiday → Mon 09-30
        ("2024-W41", D(2024, 10, 11)),
    ]
    quarterly = periods_for(schedule(every="quarter", day=20), D(2024, 1, 1), D(2024, 12, 31), cal)
    assert dues(quarterly) == [
        ("2024-Q1", D(2024, 3, 20)),
        ("2024-Q2", D(2024, 6, 20)),
        ("2024-Q3", D(2024, 9, 20)),
        ("2024-Q4", D(2024, 12, 20)),
    ]
    once = periods_for(
        schedule(every="once", dates=[D(2024, 6, 30), D(2024, 11, 30), D(2025, 3, 1)]),
        D(2024, 3, 15),
        D(2024, 12, 31),
        cal,
    )
    assert dues(once) == [
        ("once-2024-06-30", D(2024, 6, 28)),  # Sunday → Friday
        ("once-2024-11-30", D(2024, 11, 29)),  # Saturday → Friday
    ]


def test_schedule_rules_by_task_then_section_then_default(config: Config) -> None:
    cfg = config.model_copy(
        update={
            "reporting": config.reporting.model_copy(
                update={
                    "rules": [
                        _rule(every="week", weekday=3, tasks=[84]),
                        _rule(every="quarter", day=20, sections=["九"]),
                        _rule(every="once", dates=[D(2024, 6, 30)], sections=[SECTION_1]),
                    ]
                }
            )
        }
    )
    task = SimpleNamespace
    plan = engine_settings(cfg).reporting
    assert schedule_for(plan, task(number=84, section=SECTION_9)).every == "week"
    assert schedule_for(plan, task(number=85, section=SECTION_9)).every == "quarter"
    assert schedule_for(plan, task(number=1, section=SECTION_1)).every == "once"
    assert schedule_for(plan, task(number=40, section="四、优环境")).every == "month"
    assert section_matches("九", SECTION_9)
    assert section_matches(SECTION_9, SECTION_9)
    assert section_matches("强党性、聚民心,在不断强化自身建设上冲在前、当先锋、作示范", SECTION_9)
    assert not section_matches("一", SECTION_9)


def _rule(**kw: object):  # type: ignore[no-untyped-def]
    from duban.config import ScheduleRule

    return ScheduleRule(**kw)  # type: ignore[arg-type]


# --- periods in the database -------------------------------------------------------------------


def _unit(session: Session, name: str) -> int:
    return session.scalars(select(Unit.id).where(Unit.name == name)).one()


def _task(session: Session, number: int, lead: str, *responsible: str) -> Task:
    task = Task(number=number, section=SECTION_1, text=f"任务{number}")
    session.add(task)
    session.flush()
    session.add(Assignment(task_id=task.id, unit_id=_unit(session, lead), role=LEAD))
    for pos, name in enumerate(responsible):
        session.add(
            Assignment(
                task_id=task.id, unit_id=_unit(session, name), role=RESPONSIBLE, position=pos
            )
        )
    session.flush()
    return task


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(sessions) as s:
        s.add(
            ImportRun(at=dt.datetime(2024, 3, 15, 2, 0, tzinfo=dt.UTC), source="seed", sha256="x")
        )
        _task(s, 1, "区发改局", "区工信局", "区商务局")
        _task(s, 2, "区商务局", "区文旅局")
    return sessions


def _periods(sessions: sessionmaker[Session]) -> list[Period]:
    with sessions() as s:
        return list(s.scalars(select(Period).order_by(Period.assignment_id, Period.label)))


def test_plan_window_defaults_to_first_import(
    seeded: sessionmaker[Session], config: Config
) -> None:
    with seeded() as s:
        window = plan_window(s, engine_settings(config).reporting, SH, D(2024, 5, 1))
        assert window == (D(2024, 3, 15), D(2024, 12, 31))


def test_an_end_before_the_start_is_a_plan_window_error_and_to_the_shell_a_config_error(
    seeded: sessionmaker[Session], config: Config
) -> None:
    """The first import was 2024-03-15; an end before it cannot be planned. jobs/ raises its own
    error; the shell's config_plan_window gives the admin the ConfigError with the same text."""
    cfg = config.model_copy(
        update={"reporting": config.reporting.model_copy(update={"end": D(2024, 3, 1)})}
    )
    with seeded() as s:
        with pytest.raises(PlanWindowError, match=r"reporting.end \(2024-03-01\) is before") as e:
            plan_window(s, engine_settings(cfg).reporting, SH, D(2024, 5, 1))
        with pytest.raises(ConfigError) as shell:
            config_plan_window(s, cfg, D(2024, 5, 1))
    assert str(shell.value) == str(e.value)


def test_periods_appear_when_their_window_opens(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar
) -> None:
    # March is due Mon 03-25; its first reminder is D−3 = Wed 03-20; rows appear two working
    # days before that, on Mon 03-18.
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 15)) == 0
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 18)) == 5
    periods = _periods(seeded)
    assert {p.label for p in periods} == {"2024-03"}
    p = periods[0]
    assert p.due_on == D(2024, 3, 25) and p.state == "open" and p.starts_on == D(2024, 3, 15)
    assert p.next_check_at == dt.datetime(2024, 3, 20, 9, 0, tzinfo=SH)
    assert p.policy["remind_before"] == [3, 1] and p.policy["office_after"] == 5
    # idempotent
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 18)) == 0
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 19)) == 0
    assert len(_periods(seeded)) == 5


def test_quiet_call_does_almost_no_work(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar, engine
) -> None:  # type: ignore[no-untyped-def]
    with transaction(seeded) as s:
        ensure_periods(s, engine_settings(config), cal, D(2024, 3, 18))
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(seeded) as s:
            assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 19)) == 0
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [st for st in statements if st.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 3, statements
    assert not any("FROM tasks" in st or "FROM assignments\n" in st for st in selects)
    assert not any(st.lstrip().upper().startswith("INSERT") for st in statements)


def test_assignments_added_later_get_their_periods(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar
) -> None:
    with transaction(seeded) as s:
        ensure_periods(s, engine_settings(config), cal, D(2024, 3, 18))
    with transaction(seeded) as s:  # designated on Thu 03-21: March (due 03-25) still ahead
        task = s.scalars(select(Task).where(Task.number == 1)).one()
        s.add(Assignment(task_id=task.id, unit_id=_unit(s, "区金融局"), role=RESPONSIBLE))
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 21)) == 1
    with transaction(seeded) as s:  # added on Tue 03-26: March is past, April comes later
        task = s.scalars(select(Task).where(Task.number == 2)).one()
        s.add(Assignment(task_id=task.id, unit_id=_unit(s, "区投促局"), role=RESPONSIBLE))
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 26)) == 0
    # April is due Thu 04-25; D−3 is Mon 04-22; the window opens Thu 04-18.
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 4, 17)) == 0
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 4, 18)) == 7
    labels = sorted((p.assignment_id, p.label) for p in _periods(seeded))
    assert len([x for x in labels if x[1] == "2024-04"]) == 7
    assert len([x for x in labels if x[1] == "2024-03"]) == 6


def test_downtime_still_creates_missed_periods(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar
) -> None:
    # First run only on Wed 03-27, after March's due date: March periods exist so the
    # planner can catch up (restart safety); removed assignments get none.
    with transaction(seeded) as s:
        a = s.scalars(select(Assignment).order_by(Assignment.id.desc())).first()
        assert a is not None
        a.removed_at = dt.datetime(2024, 3, 16, tzinfo=dt.UTC)
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(config), cal, D(2024, 3, 27)) == 4


def test_tick_round_trip_with_the_planner(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar
) -> None:
    with transaction(seeded) as s:
        ensure_periods(s, engine_settings(config), cal, D(2024, 3, 18))
    now = dt.datetime(2024, 3, 20, 9, 0, tzinfo=SH)  # D−3 of Mon 03-25
    with transaction(seeded) as s:
        views = due_views(s, now)
        assert len(views) == 5
        responsible = next(v for v in views if v.unit_name == "区工信局")
        assert responsible.lead_names == ("区发改局",) and responsible.role == "responsible"
        result = plan(now, cal, views)
        assert {(i.kind, i.stage) for i in result.intents} == {("reminder", 3)}
        assert len(result.intents) == 5
        store_next_checks(s, result)
    with transaction(seeded) as s:
        assert due_views(s, now + dt.timedelta(minutes=1)) == []
        # next look: D−1 = Fri 03-22 09:00
        assert len(due_views(s, dt.datetime(2024, 3, 22, 9, 0, tzinfo=SH))) == 5


def test_undesignated_placeholder_asks_the_lead(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar
) -> None:
    with transaction(seeded) as s:
        task = s.scalars(select(Task).where(Task.number == 1)).one()
        group = s.scalars(select(Group).where(Group.name == "各相关街道办事处")).one()
        s.add(Designation(task_id=task.id, group_id=group.id))
    with transaction(seeded) as s:
        settings = engine_settings(config)
        assert ensure_periods(s, settings, cal, D(2024, 3, 18)) == 5  # none for the placeholder
        now = dt.datetime(2024, 3, 18, 10, 0, tzinfo=SH)
        pending = pending_designations(s, settings, now)
        assert [(d.task_number, d.group_name, d.lead_names) for d in pending] == [
            (1, "各相关街道办事处", ("区发改局",))
        ]
        result = plan(now, cal, [], (), pending)
        assert [(i.kind, i.recipient_name) for i in result.intents] == [("designate", "区发改局")]
        store_next_checks(s, result)
    with transaction(seeded) as s:
        # asked on Fri 03-15 (caught up on Mon), next ask Fri 03-22: nothing pending until then
        assert pending_designations(s, settings, dt.datetime(2024, 3, 21, 10, tzinfo=SH)) == []
        assert len(pending_designations(s, settings, dt.datetime(2024, 3, 22, 9, tzinfo=SH))) == 1


def test_plan_into_an_unconfigured_year_is_reported_not_fatal(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar, caplog
) -> None:  # type: ignore[no-untyped-def]
    cfg = config.model_copy(
        update={
            "reporting": config.reporting.model_copy(
                update={"start": D(2026, 11, 1), "end": D(2027, 6, 30)}
            )
        }
    )
    with transaction(seeded) as s:
        # December 2026 is due Fri 12-25; its window opened Fri 12-18.
        # November and December:
        assert ensure_periods(s, engine_settings(cfg), cal, D(2026, 12, 18)) == 10
    assert "2027" in caplog.text and "calendar.holidays" in caplog.text
    labels = {p.label for p in _periods(seeded)}
    assert labels == {"2026-11", "2026-12"}
    # the admin adds 2027; January (due Mon 01-25) appears when its window opens (Tue 01-18)
    fixed = WorkCalendar(holidays=[D(2027, 1, 1)], complete_years=[2027])
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(cfg), fixed, D(2027, 1, 18)) == 5


def test_section_rule_gives_weekly_periods(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar
) -> None:
    cfg = config.model_copy(
        update={
            "reporting": config.reporting.model_copy(
                update={"rules": [_rule(every="week", weekday=5, sections=["一"])]}
            )
        }
    )
    # Both seeded tasks are in section 一: weekly on Friday. The plan starts Fri 03-15, and
    # week 11 is due that very day; week 12 is due Fri 03-22 and its window opens 5 working
    # days before: Fri 03-15. Week 13 (due Fri 03-29) opens Fri 03-22.
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(cfg), cal, D(2024, 3, 15)) == 10
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(cfg), cal, D(2024, 3, 21)) == 0
        assert ensure_periods(s, engine_settings(cfg), cal, D(2024, 3, 22)) == 5
    assert sorted({(p.label, p.due_on) for p in _periods(seeded)}) == [
        ("2024-W11", D(2024, 3, 15)),
        ("2024-W12", D(2024, 3, 22)),
        ("2024-W13", D(2024, 3, 29)),
    ]


def test_an_earlier_start_set_after_a_first_tick_is_walked_from(
    seeded: sessionmaker[Session], config: Config, cal: WorkCalendar
) -> None:
    """An admin ticks once, then sets [reporting] start to replay a past year (as the README
    says): the windows before the old start are walked; nothing is created twice."""
    from engine_fixtures import with_window

    june = with_window(config, D(2024, 6, 1), D(2024, 12, 31))
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(june), cal, D(2024, 6, 20)) == 5
    march = with_window(config, D(2024, 3, 15), D(2024, 12, 31))
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(march), cal, D(2024, 3, 20)) == 5  # March's, not 0
    with transaction(seeded) as s:
        assert ensure_periods(s, engine_settings(march), cal, D(2024, 3, 21)) == 0
    assert sorted({p.label for p in _periods(seeded)}) == ["2024-03", "2024-06"]
