"""Working days as a person in China reads the 2024 calendar, plus overrides for later years."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from duban.config import parse_config
from duban.wiring import calendar_for
from jobs.workdays import CalendarGapError, WorkCalendar

D = dt.date
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_national_day_week_2024_is_off(cal: WorkCalendar) -> None:
    for day in range(1, 8):
        assert not cal.is_workday(D(2024, 10, day)), f"2024-10-0{day} is 国庆 holiday"
    assert cal.is_workday(D(2024, 10, 8))


def test_make_up_workdays_2024(cal: WorkCalendar) -> None:
    assert D(2024, 9, 29).weekday() == 6 and cal.is_workday(D(2024, 9, 29))  # Sunday 调休
    assert D(2024, 10, 12).weekday() == 5 and cal.is_workday(D(2024, 10, 12))  # Saturday 调休


def test_ordinary_weekend_is_off(cal: WorkCalendar) -> None:
    assert not cal.is_workday(D(2024, 3, 23))  # Saturday
    assert not cal.is_workday(D(2024, 3, 24))  # Sunday
    assert cal.is_workday(D(2024, 3, 22))  # Friday


def test_working_day_arithmetic(cal: WorkCalendar) -> None:
    # 3 working days before Fri 2024-03-22 is Tue 2024-03-19
    assert cal.add_workdays(D(2024, 3, 22), -3) == D(2024, 3, 19)
    # 1 working day after Fri 2024-03-22 is Mon 2024-03-25
    assert cal.add_workdays(D(2024, 3, 22), 1) == D(2024, 3, 25)
    # the day after Mon 2024-09-30 that people work is Tue 2024-10-08
    assert cal.add_workdays(D(2024, 9, 30), 1) == D(2024, 10, 8)
    # … and before Tue 2024-10-08 they worked Mon 09-30, then Sun 09-29 (调休)
    assert cal.add_workdays(D(2024, 10, 8), -2) == D(2024, 9, 29)
    assert cal.add_workdays(D(2024, 3, 23), 0) == D(2024, 3, 25)
    assert cal.prev_workday_or_same(D(2024, 8, 25)) == D(2024, 8, 23)
    assert cal.next_workday_or_same(D(2024, 10, 1)) == D(2024, 10, 8)
    # Fri 09-27 → Tue 10-08: Sun 09-29, Mon 09-30, Tue 10-08
    assert cal.workdays_between(D(2024, 9, 27), D(2024, 10, 8)) == 3
    assert cal.workdays_between(D(2024, 10, 8), D(2024, 9, 27)) == -3


def test_next_send_time(cal: WorkCalendar) -> None:
    at = dt.datetime(2024, 3, 22, 10, 30, tzinfo=SH)  # Friday morning
    assert cal.next_send_time(at) == at
    early = dt.datetime(2024, 3, 22, 7, 0, tzinfo=SH)
    assert cal.next_send_time(early) == dt.datetime(2024, 3, 22, 9, 0, tzinfo=SH)
    evening = dt.datetime(2024, 3, 22, 18, 0, tzinfo=SH)  # closing time: closed
    assert cal.next_send_time(evening) == dt.datetime(2024, 3, 25, 9, 0, tzinfo=SH)
    holiday = dt.datetime(2024, 10, 3, 11, 0, tzinfo=SH)
    assert cal.next_send_time(holiday) == dt.datetime(2024, 10, 8, 9, 0, tzinfo=SH)
    # given in UTC: Sat 2024-10-12 01:30 UTC is 09:30 in Shanghai, a make-up workday
    utc = dt.datetime(2024, 10, 12, 1, 30, tzinfo=dt.UTC)
    assert cal.next_send_time(utc) == utc


def test_2027_needs_overrides() -> None:
    cal = WorkCalendar()
    with pytest.raises(CalendarGapError) as err:
        cal.is_workday(D(2027, 3, 1))
    message = str(err.value)
    assert "2027-03-01" in message
    assert "calendar.holidays" in message and "calendar.workdays" in message


def test_2027_works_once_overrides_are_given(config) -> None:  # type: ignore[no-untyped-def]
    text = """
[calendar]
office_hours = ["08:30:00", "17:30:00"]
holidays = [2027-01-01, 2027-02-05, 2027-02-08]
workdays = [2027-02-20]
complete_years = [2027]
"""
    cfg = parse_config(text, source="t.toml")
    cal = calendar_for(cfg)
    assert not cal.is_workday(D(2027, 1, 1))  # listed holiday (a Friday)
    assert cal.is_workday(D(2027, 2, 20))  # listed make-up Saturday
    assert cal.is_workday(D(2027, 3, 1))  # ordinary Monday of a configured year
    assert not cal.is_workday(D(2027, 3, 6))  # ordinary Saturday
    assert cal.add_workdays(D(2027, 2, 4), 1) == D(2027, 2, 9)
    # office hours come from the config too
    at = dt.datetime(2027, 3, 1, 8, 0, tzinfo=SH)
    assert cal.next_send_time(at) == dt.datetime(2027, 3, 1, 8, 30, tzinfo=SH)
    # 2028 is still unconfigured
    with pytest.raises(CalendarGapError, match="2028-01-03"):
        cal.is_workday(D(2028, 1, 3))


def test_override_wins_over_library() -> None:
    cal = WorkCalendar(holidays=[D(2024, 3, 22)], workdays=[D(2024, 3, 23)])
    assert not cal.is_workday(D(2024, 3, 22))
    assert cal.is_workday(D(2024, 3, 23))
