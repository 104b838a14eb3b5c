"""The review chase: a lead that leaves a report unreviewed is reminded, then the office told.

Pure, like jobs/planner.py. A report submitted on day S is due for review `remind_after`
working days later (R = S + remind_after); at the opening of R + 1 each lead of the task gets a
`review_overdue` notice (stage 1), and `office_after` working days after that the district
office (stage 2). A tick late by any amount sends what has come, once (the dedupe key carries
the report and the stage); a review stops the chase, and the delivery re-check drops what was
queued (the report is no longer pending).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from db.contracts import OFFICE, Facts, MessageKind, Recipient, dedupe_key
from jobs.plan_types import GAP_RETRY, moments_of, split_at
from jobs.workdays import CalendarGapError, WorkCalendar

UTC = dt.UTC


class ReviewView(NamedTuple):
    """A report awaiting its lead's review, as the chase sees it."""

    report_id: int
    period_id: int
    assignment_id: int
    task_id: int
    task_number: int
    title: str
    unit_id: int
    unit_name: str  # the unit that reported
    label: str
    lead_unit_ids: tuple[int, ...]
    lead_names: tuple[str, ...]
    submitted_on: dt.date  # local date


class ReviewIntent(NamedTuple):
    kind: MessageKind
    stage: int
    period_id: int
    assignment_id: int
    recipient: Recipient
    role: str  # "lead" | "office"
    recipient_name: str
    facts: Facts
    due_at: dt.datetime

    @property
    def dedupe_key(self) -> str:
        return dedupe_key(
            self.kind, self.recipient, scope=(self.assignment_id, self.period_id),
            stage=f"{self.facts.ref_id}.{self.stage}",
        )  # fmt: skip


@dataclass
class ReviewPlan:
    intents: list[ReviewIntent] = field(default_factory=list)
    next_check: dict[int, dt.datetime | None] = field(default_factory=dict)  # report id → when
    errors: list[str] = field(default_factory=list)


def review_stages(
    cal: WorkCalendar, submitted_on: dt.date, remind_after: int, office_after: int
) -> tuple[dt.date, list[tuple[int, dt.date]]]:
    """The review's due day, and (stage, day) of the lead's reminder and the office's notice."""
    due = cal.add_workdays(cal.next_workday_or_same(submitted_on), remind_after)
    lead_day = cal.add_workdays(due, 1)
    return due, [(1, lead_day), (2, cal.add_workdays(lead_day, office_after))]


def plan_reviews(
    now: dt.datetime,
    cal: WorkCalendar,
    views: Iterable[ReviewView],
    *,
    remind_after: int,
    office_after: int,
    office_name: str,
) -> ReviewPlan:
    """What the chase sends at `now` for these pending reviews, and when to look at each again."""
    now_utc = now.astimezone(UTC)
    open_now = cal.in_office_hours(now_utc)
    resume = now_utc if open_now else cal.next_send_time(now_utc).astimezone(UTC)
    result = ReviewPlan()
    today = now_utc.astimezone(cal.tz).date()
    for view in views:
        try:
            due, stages = review_stages(cal, view.submitted_on, remind_after, office_after)
            moments = moments_of(cal, stages)
        except CalendarGapError as exc:
            result.errors.append(f"review of report {view.report_id}: {exc}")
            result.next_check[view.report_id] = now_utc + GAP_RETRY
            continue
        passed, upcoming = split_at(moments, now_utc)
        if passed and not open_now:
            result.next_check[view.report_id] = resume
            continue
        result.next_check[view.report_id] = upcoming
        for k, day, moment in passed:
            facts = Facts(
                task=view.task_number, title=view.title, task_id=view.task_id,
                unit=view.unit_name, unit_id=view.unit_id, role="responsible",
                due=due.isoformat(), label=view.label, leads=view.lead_names, stage=k,
                overdue_days=cal.days_overdue(due, max(day, today)), ref_id=view.report_id,
                details={"submitted": view.submitted_on.isoformat()},
            )  # fmt: skip
            if k == 1:
                to = [
                    (Recipient.unit(lead_id), "lead", name)
                    for lead_id, name in zip(view.lead_unit_ids, view.lead_names, strict=False)
                ]
            else:
                to = [(OFFICE, "office", office_name)]
            for recipient, role, name in to:
                result.intents.append(
                    ReviewIntent(MessageKind.REVIEW_OVERDUE, k, view.period_id,
                                 view.assignment_id, recipient, role, name, facts, moment)
                )  # fmt: skip
    return result
