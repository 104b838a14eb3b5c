"""Working days (工作日): China's statutory calendar plus the admin's TOML overrides.

Where a date's answer comes from, in order:

1. `calendar.holidays` / `calendar.workdays` in the config name the date: they win.
2. The year is one the `chinesecalendar` library covers (2004–2026 today): the library decides
   (statutory holidays and 调休 make-up workdays included).
3. The year is not covered, and the admin has listed that year's statutory holidays and 调休
   workdays in full and says so in `calendar.complete_years`: any date the overrides do not
   name follows the plain rule Monday–Friday work, Saturday/Sunday rest.
4. Otherwise: `CalendarGapError`, naming the date and the keys to add. duban never guesses.

A year the library does not cover whose dates are listed but which `complete_years` does not
name is refused when the calendar is built (`partial_years`): a list of some of its holidays
must not silently turn the rest of the year into plain Monday–Friday.

So for 2027 the admin lists that year's holidays and 调休 workdays as the State Council publishes
them and adds 2027 to `complete_years`; from then on 2027 works like any other year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

ONE_DAY = dt.timedelta(days=1)


class CalendarGapError(Exception):
    """A date neither the holiday library nor the config's overrides settle."""

    def __init__(self, date: dt.date) -> None:
        self.date = date
        super().__init__(
            f"{date.isoformat()}: the holiday library does not cover {date.year} and the config "
            f"does not list it. Add {date.year}'s statutory holidays to `calendar.holidays`, "
            f"its 调休 make-up workdays to `calendar.workdays` and {date.year} to "
            f"`calendar.complete_years` (e.g. holidays = [{date.year}-01-01, …], workdays = […], "
            f"complete_years = [{date.year}])."
        )


@cache
def library_years() -> tuple[int, int]:
    """The first and last year the holiday library has data for (2004, 2026 today)."""
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def partial_years(
    holidays: Iterable[dt.date], workdays: Iterable[dt.date], complete_years: Iterable[int]
) -> list[int]:
    """Years the library does not cover that the overrides list dates of, but which are not
    declared complete: the rest of such a year would be a guess."""
    first, last = library_years()
    listed = {d.year for d in (*holidays, *workdays)}
    return sorted(y for y in listed - set(complete_years) if not first <= y <= last)


def partial_year_message(year: int) -> str:
    first, last = library_years()
    return (
        f"{year} is not covered by the holiday library (it has {first}–{last}) and "
        f"calendar.holidays / calendar.workdays list only some of its dates, so every other "
        f"day of {year} would be guessed Monday–Friday. List all of {year}'s statutory "
        f"holidays and 调休 make-up workdays, then add {year} to calendar.complete_years"
    )


def _library_answer(date: dt.date) -> bool | None:
    """chinesecalendar's answer, or None when it has no data for that year."""
    try:
        return bool(chinese_calendar.is_workday(date))
    except NotImplementedError:
        return None


class WorkCalendar:
    """Answers "is this a working day?" and does working-day arithmetic, with office hours."""

    def __init__(
        self,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        office_hours: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(18, 0)),
        tz: ZoneInfo | str = "Asia/Shanghai",
        complete_years: Iterable[int] = (),
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates listed as both holiday and workday: {sorted(both)}")
        partial = partial_years(self.holidays, self.workdays, complete_years)
        if partial:
            raise ValueError(partial_year_message(partial[0]))
        self.opens, self.closes = office_hours
        if self.opens >= self.closes:
            raise ValueError("office hours must open before they close")
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        # Years outside the library whose holidays and 调休 workdays are all listed.
        self.configured_years = frozenset(complete_years)
        self._cache: dict[dt.date, bool] = {}
        self._add_cache: dict[tuple[dt.date, int], dt.date] = {}

    # --- single days -------------------------------------------------------------------------

    def is_workday(self, date: dt.date) -> bool:
        """True on a working day. Raises CalendarGapError for a date nothing settles."""
        try:
            return self._cache[date]
        except KeyError:
            pass
        if date in self.workdays:
            answer = True
        elif date in self.holidays:
            answer = False
        else:
            library = _library_answer(date)
            if library is not None:
                answer = library
            elif date.year in self.configured_years:
                answer = date.weekday() < 5
            else:
                raise CalendarGapError(date)
        self._cache[date] = answer
        return answer

    def covers(self, date: dt.date) -> bool:
        """Whether is_workday(date) has an answer (no CalendarGapError)."""
        try:
            self.is_workday(date)
        except CalendarGapError:
            return False
        return True

    def next_workday_or_same(self, date: dt.date) -> dt.date:
        while not self.is_workday(date):
            date += ONE_DAY
        return date

    def prev_workday_or_same(self, date: dt.date) -> dt.date:
        while not self.is_workday(date):
            date -= ONE_DAY
        return date

    # --- arithmetic ----------------------------------------------------------------------------

    def add_workdays(self, date: dt.date, n: int) -> dt.date:
        """The n-th working day after date (n > 0) or before it (n < 0).

        n = 0 gives date itself if it is a working day, else the next working day.
        Counting never includes `date` itself: add_workdays(Fri, 1) is the next Monday
        (or whichever working day follows).
        """
        key = (date, n)
        try:
            return self._add_cache[key]
        except KeyError:
            pass
        if n == 0:
            result = self.next_workday_or_same(date)
        else:
            step = ONE_DAY if n > 0 else -ONE_DAY
            left = abs(n)
            result = date
            while left:
                result += step
                if self.is_workday(result):
                    left -= 1
        self._add_cache[key] = result
        return result

    def workdays_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after a up to and including b; negative when b is before a."""
        if b == a:
            return 0
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        day = a + ONE_DAY
        while day <= b:
            if self.is_workday(day):
                count += 1
            day += ONE_DAY
        return count

    def days_overdue(self, due: dt.date, day: dt.date) -> int:
        """A notice's age: working days after `due` up to and including `day` (1 on the first
        working day after it, 0 when not past). The same in chat, the ledger and simulate."""
        return max(self.workdays_between(due, day), 0)

    # --- office hours --------------------------------------------------------------------------

    def opening(self, date: dt.date) -> dt.datetime:
        """Office opening time on date, aware, in the calendar's zone."""
        return dt.datetime.combine(date, self.opens, tzinfo=self.tz)

    def in_office_hours(self, now: dt.datetime) -> bool:
        local = self._local(now)
        return self.is_workday(local.date()) and self.opens <= local.time() < self.closes

    def next_send_time(self, now: dt.datetime) -> dt.datetime:
        """now itself if inside office hours on a working day, else the next opening time.

        Office hours are half-open: [opens, closes). The result is in the calendar's zone."""
        local = self._local(now)
        today = local.date()
        clock = local.time()
        if self.is_workday(today):
            if clock < self.opens:
                return self.opening(today)
            if clock < self.closes:
                return local
        return self.opening(self.add_workdays(today, 1))

    def _local(self, now: dt.datetime) -> dt.datetime:
        if now.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (e.g. with tzinfo=UTC)")
        return now.astimezone(self.tz)
