"""Lights and status from the current state: the one definition the ledger, the charts and the
chat views share. Pure: plain facts and a working-day calendar in, a verdict out.

A unit's part of a task, as of a day D (ages in working days, from the calendar):

* 红 red     its latest overdue period is past the ladder's lead-escalation step
             (`lead_after` working days after the due date, or after the day a returned report
             restarted the ladder — the step at which the lead, or for a lead's own period the
             office, is told);
* 黄 yellow  it is overdue but not yet past that step, a report was returned (退回) and must be
             sent again, or a period falls due within `warn_within` working days;
* 绿 green   it has reported its latest due period (earlier missed ones are settled: see
             services/reports.py), nothing is due soon — or the task is 办结.

A task is as red as its worst unit, and red as well once its 完成时限 has passed unfinished
(not 办结); 办结 makes it green.

Status (the vocabulary of messages/vocabulary.py): 已办结 when the task is closed; 已完成 when
the unit's latest standing report says done; 滞后 when it is overdue or reported difficulty;
序时推进 when it has reported; 未启动 before its first report. A task is 已完成 when every unit
is, 滞后 when any unit is or its 完成时限 has passed, 未启动 while no unit has started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jobs.workdays import WorkCalendar
from messages.vocabulary import REPORT_STATUS, Light, Status

# Period states (the strings of db.models.periods) that still need a report.
ACTIVE_STATES = frozenset({"open", "returned"})
RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class LightRules:
    """`[lights]` in the config: warn_within working days before a due date turn a unit
    yellow. lead_after: the ladder's lead step, for a period whose copied policy lacks it."""

    warn_within: int
    lead_after: int


@dataclass(frozen=True, slots=True)
class PeriodFact:
    """One reporting period of a unit, as the lights need it."""

    due: dt.date  # effective (an approved extension's date, else the scheduled one)
    state: str  # db.models.periods state
    restarted_on: dt.date | None = None  # a returned report restarted the ladder that day
    lead_after: int | None = None  # from the period's copied ladder policy
    label: str = ""
    period_id: int = 0


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """A unit's part of a task: its periods (any order) and the status code (on_track /
    difficulty / done) of its latest report the lead did not return (None before the first).
    `done`: the unit is finished with the task (hook for issue 11 point 4: an accepted 已完成)."""

    periods: Sequence[PeriodFact]
    report_status: str | None = None
    done: bool = False


@dataclass(frozen=True, slots=True)
class Standing:
    """The verdict on a unit's part (or a whole task)."""

    light: Light
    status: Status
    # The period that decided it (the latest overdue one, the returned one, the one due soon)
    period: PeriodFact | None = None
    overdue_workdays: int = 0  # working days past that period's ladder anchor (0 if not late)
    overdue_periods: int = 0  # periods still awaiting a report past their due date
    returned: bool = False
    deadline_passed: bool = False  # a task past its 完成时限, not 办结


class Lights:
    """The definition bound to a calendar and the configured rules."""

    def __init__(self, calendar: WorkCalendar, rules: LightRules) -> None:
        self.cal = calendar
        self.rules = rules

    def anchor(self, period: PeriodFact) -> dt.date:
        """The day the period's post-due ladder counts from (as jobs/ladder.py does)."""
        due = self.cal.prev_workday_or_same(period.due)
        if period.state == RETURNED and period.restarted_on and period.restarted_on > due:
            return period.restarted_on
        return due

    def overdue_workdays(self, period: PeriodFact, as_of: dt.date) -> int:
        """Working days past the period's ladder anchor, up to and including `as_of`."""
        return self.cal.days_overdue(self.anchor(period), as_of)

    def unit(self, facts: UnitFacts, as_of: dt.date, *, closed: bool = False) -> Standing:
        if closed:
            return Standing(Light.GREEN, Status.CLOSED)
        if facts.done:
            return Standing(Light.GREEN, Status.COMPLETED)
        reported = (
            REPORT_STATUS.get(facts.report_status, Status.ON_SCHEDULE)
            if facts.report_status
            else Status.NOT_STARTED
        )
        active = [p for p in facts.periods if p.state in ACTIVE_STATES]
        overdue = [p for p in active if p.due < as_of]
        if overdue:
            latest = max(overdue, key=lambda p: (p.due, p.period_id))
            age = self.overdue_workdays(latest, as_of)
            lead_after = latest.lead_after or self.rules.lead_after
            light = Light.RED if age >= lead_after else Light.YELLOW
            return Standing(
                light,
                Status.BEHIND,
                latest,
                overdue_workdays=age,
                overdue_periods=len(overdue),
                returned=latest.state == RETURNED,
            )
        returned = [p for p in active if p.state == RETURNED]
        if returned:
            first = min(returned, key=lambda p: p.due)
            return Standing(Light.YELLOW, reported, first, returned=True)
        soon = [
            p for p in active if self.cal.workdays_between(as_of, p.due) <= self.rules.warn_within
        ]
        if soon:
            return Standing(Light.YELLOW, reported, min(soon, key=lambda p: p.due))
        return Standing(Light.GREEN, reported)

    def task(
        self,
        units: Iterable[Standing],
        as_of: dt.date,
        *,
        closed: bool = False,
        deadline: dt.date | None = None,
    ) -> Standing:
        """A task from its units' standings (see the module docstring)."""
        if closed:
            return Standing(Light.GREEN, Status.CLOSED)
        units = list(units)
        late = deadline is not None and as_of > deadline
        light = max((u.light for u in units), key=lambda light: light.rank, default=Light.GREEN)
        if late:
            light = Light.RED
        statuses = {u.status for u in units}
        if units and statuses == {Status.COMPLETED}:
            status = Status.COMPLETED
        elif late or Status.BEHIND in statuses:
            status = Status.BEHIND
        elif not units or statuses == {Status.NOT_STARTED}:
            status = Status.NOT_STARTED
        else:
            status = Status.ON_SCHEDULE
        worst = max(units, key=lambda u: (u.light.rank, u.overdue_workdays), default=None)
        return Standing(
            light,
            status,
            worst.period if worst else None,
            overdue_workdays=max((u.overdue_workdays for u in units), default=0),
            overdue_periods=sum(u.overdue_periods for u in units),
            returned=any(u.returned for u in units),
            deadline_passed=late,
        )
