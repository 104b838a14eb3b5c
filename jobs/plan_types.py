"""The planner's values: what it reads (PeriodView, DesignationView) and what it answers
(Intent, PlanResult). Plain data, shared by jobs/planner.py and the planners beside it
(jobs/plan_designation.py, jobs/review_chase.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from db.contracts import Facts, MessageKind, Recipient, dedupe_key
from jobs.workdays import WorkCalendar

GAP_RETRY = dt.timedelta(hours=6)  # a period stuck on a calendar gap is looked at again after


class PeriodView(NamedTuple):
    """One period as the planner sees it (immutable; `view._replace(state=…)` for a copy).
    A NamedTuple rather than a dataclass: a busy tick builds 100 000 of them."""

    period_id: int
    assignment_id: int
    task_number: int
    task_id: int
    unit_id: int
    unit_name: str
    role: str  # "lead" | "responsible"
    lead_unit_ids: tuple[int, ...]
    lead_names: tuple[str, ...]
    due: dt.date  # the effective due date (extended_to or due_on)
    restarted_on: dt.date | None
    state: str
    policy: Mapping[str, Any]  # EscalationConfig values, as copied onto the period
    due_on: dt.date | None = None  # as scheduled; differs from `due` after an extension
    label: str = ""  # "2024-03", "2024-W12", …
    title: str = ""  # the task's first clause, for digest lines
    section: str = ""  # the task's section, short (a long digest's summary counts by it)
    leaders: tuple[str, ...] = ()  # the 责任领导 / 分管区领导 the task's table names
    final: bool = False  # the 完成时限 ladder of the assignment (period_id is 0)


@dataclass(frozen=True, slots=True)
class DesignationView:
    """A 各相关X placeholder of a task that nobody has designated yet."""

    designation_id: int
    task_id: int
    task_number: int
    group_name: str
    lead_unit_ids: tuple[int, ...]
    lead_names: tuple[str, ...]
    since: dt.date  # asks count from this day (the plan's start, or when the placeholder came)
    section: str = ""  # the task's section, short


class Intent(NamedTuple):
    """Something to send: a notice with its frozen facts. NamedTuple: a busy tick makes
    100 000 of them."""

    kind: MessageKind
    stage: int
    period_id: int | None
    assignment_id: int | None
    recipient: Recipient
    role: str  # "unit" | "lead" | "office" | "leader"
    recipient_name: str
    facts: Facts
    due_at: dt.datetime  # aware (UTC): when it became due
    anchor: str = ""  # "" normally; "x<date>" after an extension, "r<date>" after a return
    designation_id: int | None = None

    @property
    def dedupe_key(self) -> str:
        stage = f"{self.stage}@{self.anchor}" if self.anchor else self.stage
        if self.kind is MessageKind.DESIGNATE:
            scope: tuple[int | str, int | str] = (
                f"t{self.facts.task_id}",
                f"d{self.designation_id}",
            )
            return dedupe_key(self.kind, self.recipient, scope=scope, stage=stage)
        return dedupe_key(
            self.kind, self.recipient, scope=(self.assignment_id or 0, self.period_id or 0),
            stage=stage,
        )  # fmt: skip


@dataclass
class PlanResult:
    intents: list[Intent] = field(default_factory=list)
    # period_id → when to look again (aware UTC), None = never (the ladder has ended)
    next_check: dict[int, dt.datetime | None] = field(default_factory=dict)
    designation_next_check: dict[int, dt.datetime | None] = field(default_factory=dict)
    # assignment_id → the 完成时限 ladder's next look (None = ended)
    final_next_check: dict[int, dt.datetime | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # calendar gaps, one line per period


Moment = tuple[int, dt.date, dt.datetime]  # (stage, day, that day's office opening in UTC)


def moments_of(cal: WorkCalendar, stages: list[tuple[int, dt.date]]) -> list[Moment]:
    """Each (stage, day) with the moment it comes: office opening on its day."""
    return [(k, day, cal.opening(day).astimezone(dt.UTC)) for k, day in stages]


def split_at(
    moments: list[Moment], now_utc: dt.datetime
) -> tuple[list[Moment], dt.datetime | None]:
    """The moments that have come by `now_utc`, and the next one to come (None: no more)."""
    passed = [m for m in moments if m[2] <= now_utc]
    upcoming = next((m[2] for m in moments if m[2] > now_utc), None)
    return passed, upcoming
