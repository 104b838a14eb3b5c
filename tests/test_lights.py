"""The lights' one definition (jobs/lights.py) on plain facts and the real 2024 calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.keyboards import STATUS_BUTTONS
from jobs.lights import LightRules, Lights, PeriodFact, UnitFacts
from jobs.workdays import WorkCalendar
from messages.vocabulary import Light, Status

D = dt.date.fromisoformat
LIGHTS = Lights(WorkCalendar(), LightRules(warn_within=3, lead_after=2))
MARCH = PeriodFact(due=D("2024-03-25"), state="open", lead_after=2, label="2024-03")


def judge(*periods: PeriodFact, on: str, status: str | None = None):
    return LIGHTS.unit(UnitFacts(periods, report_status=status), D(on))


@pytest.mark.parametrize(
    ("on", "light"),
    [
        ("2024-03-19", Light.GREEN),  # Tue: 4 working days ahead
        ("2024-03-20", Light.YELLOW),  # Wed: due within 3 working days
        ("2024-03-25", Light.YELLOW),  # due today
        ("2024-03-26", Light.YELLOW),  # 1 working day late: 催办, before the lead step
        ("2024-03-27", Light.RED),  # D+2: the lead has been told
    ],
)
def test_an_unreported_period_turns_yellow_then_red_at_the_lead_step(on, light) -> None:
    assert judge(MARCH, on=on).light is light


def test_the_warning_window_counts_working_days_across_a_holiday() -> None:
    # Due Tue 2024-10-08, after the National Day week: from Thu 09-26 that is 4 working days
    # (09-27, the make-up Sunday 09-29, 09-30, 10-08) — green; from Fri 09-27, 3 — yellow,
    # though 11 calendar days remain.
    october = PeriodFact(due=D("2024-10-08"), state="open", lead_after=2)
    assert judge(october, on="2024-09-26").light is Light.GREEN
    assert judge(october, on="2024-09-27").light is Light.YELLOW


def test_a_later_report_settles_the_missed_period_and_turns_the_unit_green() -> None:
    missed = PeriodFact(due=D("2024-03-25"), state="missed", lead_after=2)
    april = PeriodFact(due=D("2024-04-25"), state="submitted", lead_after=2)
    verdict = judge(missed, april, on="2024-05-06", status="on_track")
    assert (verdict.light, verdict.status) == (Light.GREEN, Status.ON_SCHEDULE)


def test_only_the_latest_overdue_period_decides_red() -> None:
    # March unreported for weeks, April only one working day late: yellow, not red.
    april = PeriodFact(due=D("2024-04-25"), state="open", lead_after=2)
    verdict = judge(MARCH, april, on="2024-04-26")
    assert (verdict.light, verdict.status, verdict.overdue_periods) == (
        Light.YELLOW,
        Status.BEHIND,
        2,
    )
    assert verdict.overdue_workdays == 1


def test_a_returned_report_is_yellow_and_its_restarted_ladder_turns_red() -> None:
    returned = PeriodFact(
        due=D("2024-03-25"), state="returned", restarted_on=D("2024-04-01"), lead_after=2
    )
    verdict = judge(returned, on="2024-04-02", status="on_track")
    assert (verdict.light, verdict.returned) == (Light.YELLOW, True)
    assert judge(returned, on="2024-04-03").light is Light.RED  # R+2


def test_task_past_its_deadline_is_red_until_closed() -> None:
    done = LIGHTS.unit(UnitFacts([], report_status="done"), D("2024-07-01"))
    assert (done.light, done.status) == (Light.GREEN, Status.COMPLETED)
    task = LIGHTS.task([done], D("2024-07-01"), deadline=D("2024-06-30"))
    assert (task.light, task.deadline_passed) == (Light.RED, True)
    closed = LIGHTS.task([done], D("2024-07-01"), closed=True, deadline=D("2024-06-30"))
    assert (closed.light, closed.status) == (Light.GREEN, Status.CLOSED)


def test_task_status_from_its_units() -> None:
    day = D("2024-03-01")
    fresh = LIGHTS.unit(UnitFacts([]), day)
    on_track = LIGHTS.unit(UnitFacts([], report_status="on_track"), day)
    behind = LIGHTS.unit(UnitFacts([], report_status="difficulty"), day)
    assert LIGHTS.task([fresh, fresh], day).status is Status.NOT_STARTED
    assert LIGHTS.task([fresh, on_track], day).status is Status.ON_SCHEDULE
    assert LIGHTS.task([on_track, behind], day).status is Status.BEHIND


def test_report_buttons_speak_the_status_vocabulary() -> None:
    assert STATUS_BUTTONS["zh_CN"] == ("序时推进", "滞后", "已完成")
    assert STATUS_BUTTONS["en"] == ("on schedule", "behind", "completed")
