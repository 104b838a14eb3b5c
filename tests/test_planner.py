"""The escalation ladder as people see it: who hears what, on which working day, at what time.

The planner is pure: these tests drive it with a virtual clock and an in-memory "already sent"
set standing in for the outbox's unique dedupe keys. Expected dates are read off the 2024
calendar by hand (see the comments), never computed by the code under test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from jobs.planner import DesignationView, Intent, PeriodView, plan
from jobs.settings import LeaderInCharge
from jobs.workdays import WorkCalendar

D = dt.date
SH = ZoneInfo("Asia/Shanghai")
POLICY = {
    "remind_before": [3, 1],
    "remind_on_due": True,
    "overdue_after": 1,
    "overdue_every": 2,
    "overdue_times": 3,
    "lead_after": 2,
    "office_after": 5,
    "leader_after": 8,
    "max_attempts": 5,
}
LEADERS = (LeaderInCharge(0, "分管副区长", frozenset({"区发改局"})),)
LEAD_ID, UNIT_ID = 3, 7
DUE = dt.date(2024, 3, 22)  # a Friday


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def view(period_id: int = 1, due: dt.date = DUE, **kw: object) -> PeriodView:
    base = dict(
        period_id=period_id,
        assignment_id=100 + period_id,
        task_number=7,
        task_id=70,
        unit_id=UNIT_ID,
        unit_name="区工信局",
        role="responsible",
        lead_unit_ids=(LEAD_ID,),
        lead_names=("区发改局",),
        due=due,
        restarted_on=None,
        state="open",
        policy=POLICY,
        due_on=due,
        label="2024-03",
    )
    base.update(kw)
    return PeriodView(**base)  # type: ignore[arg-type]


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


class Clock:
    """A tick loop like the real one: plan only the periods whose next check has come, keep the
    first time each dedupe key was emitted, store next_check. `events` change periods at given
    times (like the services do, setting next_check = now)."""

    def __init__(self, cal: WorkCalendar, views: list[PeriodView], **kw: object) -> None:
        self.cal = cal
        self.views = {v.period_id: v for v in views}
        self.next_check: dict[int, dt.datetime | None] = {pid: at(2000, 1, 1) for pid in self.views}
        self.designations: list[DesignationView] = list(kw.get("designations", ()))  # type: ignore[arg-type]
        self.sent: dict[str, tuple[dt.datetime, Intent]] = {}
        self.plan_calls = 0
        self.planned_periods = 0

    def tick(self, now: dt.datetime) -> None:
        due = [
            self.views[pid] for pid, nc in self.next_check.items() if nc is not None and nc <= now
        ]
        if not due and not self.designations:
            return
        self.plan_calls += 1
        self.planned_periods += len(due)
        result = plan(now, self.cal, due, LEADERS, self.designations)
        for intent in result.intents:
            self.sent.setdefault(intent.dedupe_key, (now, intent))
        self.next_check.update(result.next_check)

    def change(self, now: dt.datetime, period_id: int, **fields: object) -> None:
        self.views[period_id] = self.views[period_id]._replace(**fields)
        self.next_check[period_id] = now

    def run(
        self,
        start: dt.datetime,
        end: dt.datetime,
        step: dt.timedelta,
        events: dict[dt.datetime, Callable[[dt.datetime], None]] | None = None,
    ) -> None:
        events = dict(events or {})
        now = start
        while now <= end:
            for when in sorted(w for w in events if w <= now):
                events.pop(when)(now)
            self.tick(now)
            now += step

    def timeline(self) -> list[tuple[str, str, int, str]]:
        """(local time, kind, stage, recipient) in order sent."""
        out = [
            (when.astimezone(SH).strftime("%Y-%m-%d %H:%M"), i.kind, i.stage, i.recipient.key)
            for when, i in self.sent.values()
        ]
        return sorted(out)


HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def test_full_ladder_of_a_responsible_unit(cal: WorkCalendar) -> None:
    # Due Fri 2024-03-22; nobody reports. Qingming is Thu 04-04 … Sat 04-06.
    clock = Clock(cal, [view()])
    clock.run(at(2024, 3, 18, 0), at(2024, 4, 12, 0), HOUR)
    assert clock.timeline() == [
        ("2024-03-19 09:00", "reminder", 3, "unit:7"),  # D−3: Tue 03-19
        ("2024-03-21 09:00", "reminder", 1, "unit:7"),  # D−1: Thu 03-21
        ("2024-03-22 09:00", "due", 0, "unit:7"),  # D: Fri 03-22
        ("2024-03-25 09:00", "overdue", 1, "unit:7"),  # D+1: Mon 03-25
        ("2024-03-26 09:00", "escalation_lead", 0, "unit:3"),  # D+2: Tue 03-26 → 区发改局
        ("2024-03-27 09:00", "overdue", 2, "unit:7"),  # D+3: Wed 03-27
        ("2024-03-29 09:00", "escalation_office", 0, "office"),  # D+5: Fri 03-29
        ("2024-03-29 09:00", "overdue", 3, "unit:7"),  # D+5: third and last 催办
        ("2024-04-03 09:00", "escalation_leader", 0, "leader:0"),  # D+8: Wed 04-03
    ]
    roles = {i.kind: i.role for _, i in clock.sent.values()}
    assert roles["escalation_lead"] == "lead" and roles["escalation_leader"] == "leader"
    _, office = next(v for v in clock.sent.values() if v[1].kind == "escalation_office")
    facts = office.facts
    assert facts.task == 7 and facts.unit == "区工信局"
    assert facts.due == "2024-03-22" and facts.leads == ("区发改局",)
    assert office.dedupe_key == "escalation_office:101:1:0:office"


def test_national_day_and_make_up_days(cal: WorkCalendar) -> None:
    # Due Thu 2024-09-26. Working days after it: Fri 09-27, Sun 09-29 (调休), Mon 09-30,
    # then the holiday 10-01…07, then Tue 10-08, Wed 10-09, Thu 10-10, Fri 10-11, Sat 10-12 (调休).
    clock = Clock(cal, [view(due=D(2024, 9, 26))])
    clock.run(at(2024, 9, 20, 0), at(2024, 10, 20, 0), HOUR)
    assert clock.timeline() == [
        ("2024-09-23 09:00", "reminder", 3, "unit:7"),  # Mon 09-23
        ("2024-09-25 09:00", "reminder", 1, "unit:7"),
        ("2024-09-26 09:00", "due", 0, "unit:7"),
        ("2024-09-27 09:00", "overdue", 1, "unit:7"),  # D+1
        ("2024-09-29 09:00", "escalation_lead", 0, "unit:3"),  # D+2 is Sunday 09-29, a workday
        ("2024-09-30 09:00", "overdue", 2, "unit:7"),  # D+3
        ("2024-10-09 09:00", "escalation_office", 0, "office"),  # D+5
        ("2024-10-09 09:00", "overdue", 3, "unit:7"),
        ("2024-10-12 09:00", "escalation_leader", 0, "leader:0"),  # D+8 is Saturday 10-12
    ]


def test_nothing_on_holidays_weekends_or_outside_office_hours(cal: WorkCalendar) -> None:
    # A period due on every working day of September and October 2024, ticked every minute.
    dues = [D(2024, 9, 2) + dt.timedelta(days=i) for i in range(60)]
    views = [view(i + 1, due=d) for i, d in enumerate(dues) if cal.is_workday(d)]
    clock = Clock(cal, views)
    clock.run(at(2024, 9, 20, 0), at(2024, 10, 20, 0), dt.timedelta(minutes=7))
    times = [when.astimezone(SH) for when, _ in clock.sent.values()]
    assert times
    for t in times:
        assert not (D(2024, 10, 1) <= t.date() <= D(2024, 10, 7)), t
        assert t.weekday() < 5 or t.date() in (D(2024, 9, 29), D(2024, 10, 12)), t
        assert dt.time(9, 0) <= t.time() < dt.time(18, 0), t
    days = {t.date() for t in times}
    assert D(2024, 9, 29) in days and D(2024, 10, 12) in days


def test_report_stops_the_ladder_at_once(cal: WorkCalendar) -> None:
    clock = Clock(cal, [view()])
    submitted = at(2024, 3, 25, 14, 30)  # after the first 催办, before the lead hears
    clock.run(
        at(2024, 3, 18, 0),
        at(2024, 4, 12, 0),
        HOUR,
        {submitted: lambda now: clock.change(now, 1, state="submitted")},
    )
    assert [k for _, k, _, _ in clock.timeline()] == ["reminder", "reminder", "due", "overdue"]
    assert clock.next_check[1] is None


@pytest.mark.parametrize("state", ["accepted", "done", "cancelled"])
def test_closed_states_never_remind(cal: WorkCalendar, state: str) -> None:
    result = plan(at(2024, 3, 29, 10), cal, [view(state=state)], LEADERS)
    assert result.intents == [] and result.next_check == {1: None}


def test_returned_before_due_resumes_reminders(cal: WorkCalendar) -> None:
    # Reported Wed 03-20, returned Thu 03-21 at 11:00 (due Fri 03-22 still ahead): the unit
    # gets the due-day reminder again on Fri, then the ordinary ladder if it stays silent.
    clock = Clock(cal, [view()])
    clock.run(
        at(2024, 3, 18, 0),
        at(2024, 3, 28, 0),
        HOUR,
        {
            at(2024, 3, 20, 15): lambda now: clock.change(now, 1, state="submitted"),
            at(2024, 3, 21, 11): lambda now: clock.change(
                now, 1, state="returned", restarted_on=D(2024, 3, 21)
            ),
        },
    )
    assert clock.timeline() == [
        ("2024-03-19 09:00", "reminder", 3, "unit:7"),
        ("2024-03-22 09:00", "due", 0, "unit:7"),
        ("2024-03-25 09:00", "overdue", 1, "unit:7"),
        ("2024-03-26 09:00", "escalation_lead", 0, "unit:3"),
        ("2024-03-27 09:00", "overdue", 2, "unit:7"),
    ]
    keys = sorted(clock.sent)
    assert "due:101:1:0@r2024-03-21:unit:7" in keys


def test_returned_after_due_counts_overdue_again_from_the_return(cal: WorkCalendar) -> None:
    # Reported late on Mon 03-25 (after one 催办), returned Wed 03-27. Counting from the return:
    # Thu 03-28 催办 1, Fri 03-29 lead, Mon 04-01 催办 2, Wed 04-03 催办 3 + office,
    # then Qingming (04-04…06), Sun 04-07 is a workday: leader on D+8 = Tue 04-09.
    clock = Clock(cal, [view()])
    clock.run(
        at(2024, 3, 18, 0),
        at(2024, 4, 15, 0),
        HOUR,
        {
            at(2024, 3, 25, 15): lambda now: clock.change(now, 1, state="submitted"),
            at(2024, 3, 27, 16): lambda now: clock.change(
                now, 1, state="returned", restarted_on=D(2024, 3, 27)
            ),
        },
    )
    assert clock.timeline() == [
        ("2024-03-19 09:00", "reminder", 3, "unit:7"),
        ("2024-03-21 09:00", "reminder", 1, "unit:7"),
        ("2024-03-22 09:00", "due", 0, "unit:7"),
        ("2024-03-25 09:00", "overdue", 1, "unit:7"),
        ("2024-03-28 09:00", "overdue", 1, "unit:7"),
        ("2024-03-29 09:00", "escalation_lead", 0, "unit:3"),
        ("2024-04-01 09:00", "overdue", 2, "unit:7"),
        ("2024-04-03 09:00", "escalation_office", 0, "office"),
        ("2024-04-03 09:00", "overdue", 3, "unit:7"),
        ("2024-04-09 09:00", "escalation_leader", 0, "leader:0"),
    ]


def test_approved_extension_moves_every_later_stage(cal: WorkCalendar) -> None:
    # Due Fri 03-22; on Mon 03-25 at 15:00 (after the first 催办) the lead extends to Fri 04-12.
    # New ladder: D−3 = Tue 04-09 (Qingming 04-04…06, but Sun 04-07 is a workday: D−3 counts
    # 04-11, 04-10, 04-09), D−1 = Thu 04-11, D = Fri 04-12, 催办 Mon 04-15 …
    clock = Clock(cal, [view()])
    clock.run(
        at(2024, 3, 18, 0),
        at(2024, 4, 17, 0),
        HOUR,
        {at(2024, 3, 25, 15): lambda now: clock.change(now, 1, due=D(2024, 4, 12))},
    )
    assert clock.timeline() == [
        ("2024-03-19 09:00", "reminder", 3, "unit:7"),
        ("2024-03-21 09:00", "reminder", 1, "unit:7"),
        ("2024-03-22 09:00", "due", 0, "unit:7"),
        ("2024-03-25 09:00", "overdue", 1, "unit:7"),
        ("2024-04-09 09:00", "reminder", 3, "unit:7"),
        ("2024-04-11 09:00", "reminder", 1, "unit:7"),
        ("2024-04-12 09:00", "due", 0, "unit:7"),
        ("2024-04-15 09:00", "overdue", 1, "unit:7"),
        ("2024-04-16 09:00", "escalation_lead", 0, "unit:3"),
    ]
    assert "reminder:101:1:3@x2024-04-12:unit:7" in clock.sent


def test_lead_own_period_goes_to_the_office_at_lead_after(cal: WorkCalendar) -> None:
    lead = view(unit_id=LEAD_ID, unit_name="区发改局", role="lead")
    clock = Clock(cal, [lead])
    clock.run(at(2024, 3, 25, 0), at(2024, 4, 12, 0), HOUR)
    escalations = [row for row in clock.timeline() if row[1].startswith("escalation")]
    assert escalations == [
        ("2024-03-26 09:00", "escalation_office", 0, "office"),  # D+2, no lead stage
        ("2024-04-03 09:00", "escalation_leader", 0, "leader:0"),  # D+8
    ]


def test_catch_up_after_downtime_sends_latest_stage_once(cal: WorkCalendar) -> None:
    # The process is down from Mon 03-18 until Mon 03-25 10:00: the unit gets one 催办, not the
    # two reminders and the due notice as well.
    first = plan(at(2024, 3, 25, 10), cal, [view()], LEADERS)
    assert [(i.kind, i.stage) for i in first.intents] == [("overdue", 1)]
    assert first.intents[0].due_at == at(2024, 3, 25, 9)
    assert first.next_check[1] == at(2024, 3, 26, 9)  # the lead's stage
    # Down again until Fri 03-29 noon: one notice per level.
    again = plan(at(2024, 3, 29, 12), cal, [view()], LEADERS)
    assert sorted((i.kind, i.stage, i.recipient.key) for i in again.intents) == [
        ("escalation_lead", 0, "unit:3"),
        ("escalation_office", 0, "office"),
        ("overdue", 3, "unit:7"),
    ]


def test_late_tick_outside_office_hours_waits_for_the_opening(cal: WorkCalendar) -> None:
    # Saturday 03-23 at 10:00, D−1 and D have passed: nothing now, look again Mon 09:00.
    result = plan(at(2024, 3, 23, 10), cal, [view()], LEADERS)
    assert result.intents == []
    assert result.next_check[1] == at(2024, 3, 25, 9)
    evening = plan(at(2024, 3, 22, 19), cal, [view()], LEADERS)
    assert evening.intents == [] and evening.next_check[1] == at(2024, 3, 25, 9)


def test_same_tick_twice_and_minute_vs_hour_ticks_agree(cal: WorkCalendar) -> None:
    # A month of October 2024: periods due through the month, leads and responsible units,
    # a returned report and an extension; ticks every minute versus every hour.
    def build() -> Clock:
        views = [
            view(1, due=D(2024, 10, 11)),
            view(2, due=D(2024, 10, 25)),
            view(3, due=D(2024, 10, 18), unit_id=LEAD_ID, unit_name="区发改局", role="lead"),
            view(4, due=D(2024, 10, 9), unit_id=9, unit_name="区科技局"),
            view(5, due=D(2024, 10, 16), unit_id=11, unit_name="区商务局"),
        ]
        des = DesignationView(
            1, 70, 7, "各相关街道办事处", (LEAD_ID,), ("区发改局",), D(2024, 10, 8)
        )
        return Clock(cal, views, designations=[des])

    def events(clock: Clock) -> dict[dt.datetime, Callable[[dt.datetime], None]]:
        return {
            at(2024, 10, 10, 10, 30): lambda now: clock.change(now, 4, state="submitted"),
            at(2024, 10, 14, 16, 0): lambda now: clock.change(
                now, 4, state="returned", restarted_on=D(2024, 10, 14)
            ),
            at(2024, 10, 17, 11, 0): lambda now: clock.change(now, 5, due=D(2024, 10, 23)),
        }

    minute, hour = build(), build()
    minute.run(at(2024, 10, 1, 0), at(2024, 11, 1, 0), MINUTE, events(minute))
    hour.run(at(2024, 10, 1, 0), at(2024, 11, 1, 0), HOUR, events(hour))
    assert set(minute.sent) == set(hour.sent)
    assert len(minute.sent) > 30
    kinds = {i.kind for _, i in minute.sent.values()}
    assert kinds >= {"reminder", "due", "overdue", "escalation_lead", "escalation_office"}
    assert "designate" in kinds
    # the same tick twice changes nothing
    again = plan(at(2024, 10, 21, 9), cal, list(minute.views.values()), LEADERS)
    assert {i.dedupe_key for i in again.intents} <= set(minute.sent)
    # a quiet tick plans nothing: most minutes never call the planner for any period
    assert minute.planned_periods < 200


def test_designation_asks_the_lead_weekly_then_tells_the_office(cal: WorkCalendar) -> None:
    # Placeholder since Fri 03-15: asks on Fri 03-15, Fri 03-22, Fri 03-29 (+ the office),
    # then Mon 04-08 (04-01, 04-02, 04-03, Sun 04-07, 04-08 are the five working days after 03-29).
    des = DesignationView(5, 70, 7, "各相关街道办事处", (LEAD_ID,), ("区发改局",), D(2024, 3, 15))
    clock = Clock(cal, [], designations=[des])
    checks: dict[int, dt.datetime | None] = {}

    def tick(now: dt.datetime) -> None:
        if 5 in checks and (checks[5] is None or checks[5] > now):
            return  # None: no more asks
        result = plan(now, cal, [], LEADERS, [des])
        for i in result.intents:
            clock.sent.setdefault(i.dedupe_key, (now, i))
        checks.update(result.designation_next_check)

    now = at(2024, 3, 15, 0)
    while now < at(2024, 4, 30, 0):
        tick(now)
        now += HOUR
    assert clock.timeline() == [
        ("2024-03-15 09:00", "designate", 0, "unit:3"),
        ("2024-03-22 09:00", "designate", 1, "unit:3"),
        ("2024-03-29 09:00", "designate", 2, "office"),
        ("2024-03-29 09:00", "designate", 2, "unit:3"),
        ("2024-04-08 09:00", "designate", 3, "unit:3"),
    ]
    assert checks[5] is None


def test_a_ladder_running_into_an_unconfigured_year(cal: WorkCalendar) -> None:
    # Due Fri 2026-12-25: 催办 Mon 12-28 and Wed 12-30 are in 2026; the office stage (D+5)
    # falls in 2027, which nobody has configured yet: say so, keep the rest going.
    late = view(due=D(2026, 12, 25), due_on=D(2026, 12, 25))
    result = plan(at(2026, 12, 30, 10), cal, [late], LEADERS)
    assert sorted((i.kind, i.stage) for i in result.intents) == [
        ("escalation_lead", 0),
        ("overdue", 2),
    ]
    assert any("2027" in e and "calendar.holidays" in e for e in result.errors)
    assert result.next_check[1] is not None  # looked at again, not forgotten
    # Once the admin lists 2027 (01-01 a holiday), the office hears on Mon 2027-01-04 (D+5:
    # 12-28, 12-29, 12-30, 12-31, 01-04).
    configured = WorkCalendar(holidays=[D(2027, 1, 1)], complete_years=[2027])
    later = plan(at(2027, 1, 4, 9, 30), configured, [late], LEADERS)
    assert ("escalation_office", 0) in [(i.kind, i.stage) for i in later.intents]
    assert later.errors == []


def test_two_leads_both_hear_and_leaders_resolve_aliases(cal: WorkCalendar, config) -> None:  # type: ignore[no-untyped-def]
    from duban.config import LeaderConfig
    from duban.wiring import engine_settings

    cfg = config.model_copy(
        update={
            "leaders": [
                LeaderConfig(name="张副区长", units=["发改局"]),  # an alias of 区发改局
                LeaderConfig(name="李副区长", units=["区商务局"]),
            ]
        }
    )
    leaders = engine_settings(cfg).leaders
    assert leaders[0].units == frozenset({"区发改局"})
    two = view(lead_unit_ids=(LEAD_ID, 11), lead_names=("区发改局", "区商务局"))
    lead_day = plan(at(2024, 3, 26, 9), cal, [two], leaders)  # D+2 of Fri 03-22
    assert sorted(
        (i.recipient.key, i.recipient_name) for i in lead_day.intents if i.role == "lead"
    ) == [
        ("unit:11", "区商务局"),
        ("unit:3", "区发改局"),
    ]
    leader_day = plan(at(2024, 4, 3, 9), cal, [two], leaders)  # D+8: Wed 04-03
    assert sorted(i.recipient.key for i in leader_day.intents if i.role == "leader") == [
        "leader:0",
        "leader:1",
    ]
    # no leader in charge: no leader stage at all, and the ladder ends with the office
    alone = plan(at(2024, 4, 3, 9), cal, [view(lead_names=("区文旅局",))], leaders)
    assert not [i for i in alone.intents if i.role == "leader"]
    assert alone.next_check[1] is None


def test_switching_stages_off(cal: WorkCalendar) -> None:
    quiet = dict(POLICY, remind_before=[], remind_on_due=False, overdue_times=0, leader_after=0)
    clock = Clock(cal, [view(policy=quiet)])
    clock.run(at(2024, 3, 18, 0), at(2024, 4, 12, 0), HOUR)
    assert clock.timeline() == [
        ("2024-03-26 09:00", "escalation_lead", 0, "unit:3"),
        ("2024-03-29 09:00", "escalation_office", 0, "office"),
    ]


def test_the_leader_a_task_names_hears_instead_of_the_lead_units_one(cal: WorkCalendar) -> None:
    """A table's 责任领导 for a task decides who gets its D+8 escalation; a task naming nobody
    configured falls back to the leaders in charge of its lead units."""
    leaders = (*LEADERS, LeaderInCharge(1, "张伟", frozenset()))
    d8 = at(2024, 4, 3, 9)  # D+8 of Fri 03-22

    def heard(v: PeriodView) -> list[str]:
        return [i.recipient.key for i in plan(d8, cal, [v], leaders).intents if i.role == "leader"]

    assert heard(view(leaders=("张伟",))) == ["leader:1"]
    assert heard(view(leaders=("赵六",))) == ["leader:0"]  # not configured: 区发改局's leader
    assert heard(view()) == ["leader:0"]
    # a remark in brackets (张伟（常务副区长）) or spaces do not hide who is meant
    assert heard(view(leaders=("张伟（常务副区长）",))) == ["leader:1"]
