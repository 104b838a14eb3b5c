"""Designation requests (各相关X not yet named), planned: every DESIGNATE_EVERY working days, at
most DESIGNATE_TIMES asks to the task's lead units; from the DESIGNATE_OFFICE_FROM-th ask on
the office is told once as well. Each ask is due `due_after` working days after it is sent
(Settings.designate_within), which its notice (and the digest's footer) names. Pure."""

from __future__ import annotations

import datetime as dt

from db.contracts import OFFICE, Facts, MessageKind, Recipient
from jobs.plan_types import (
    GAP_RETRY,
    DesignationView,
    Intent,
    PlanResult,
    moments_of,
    split_at,
)
from jobs.workdays import CalendarGapError, WorkCalendar

DESIGNATE_EVERY = 5
DESIGNATE_TIMES = 4
DESIGNATE_OFFICE_FROM = 2


def designation_moments(cal: WorkCalendar, since: dt.date) -> list[tuple[int, dt.date]]:
    """(stage, day) of each ask to designate: the first working day from `since`, then every
    DESIGNATE_EVERY working days, DESIGNATE_TIMES asks in all."""
    first = cal.next_workday_or_same(since)
    return [(k, cal.add_workdays(first, k * DESIGNATE_EVERY)) for k in range(DESIGNATE_TIMES)]


def plan_designation(
    des: DesignationView,
    cal: WorkCalendar,
    now_utc: dt.datetime,
    open_now: bool,
    resume: dt.datetime,
    office_name: str,
    result: PlanResult,
    due_after: int,
) -> None:
    try:
        asks = moments_of(cal, designation_moments(cal, des.since))
    except CalendarGapError as exc:
        result.errors.append(f"designation {des.designation_id}: {exc}")
        result.designation_next_check[des.designation_id] = now_utc + GAP_RETRY
        return
    passed, upcoming = split_at(asks, now_utc)
    if not passed:
        result.designation_next_check[des.designation_id] = upcoming
        return
    if not open_now:
        result.designation_next_check[des.designation_id] = resume
        return
    result.designation_next_check[des.designation_id] = upcoming
    k, day, moment = passed[-1]
    # Due `due_after` working days after the day it goes out (a late tick sends it later).
    sent_on = max(day, now_utc.astimezone(cal.tz).date())
    try:
        due = cal.add_workdays(cal.next_workday_or_same(sent_on), due_after)
    except CalendarGapError as exc:
        result.errors.append(f"designation {des.designation_id}: {exc}")
        result.designation_next_check[des.designation_id] = now_utc + GAP_RETRY
        return
    facts = Facts(
        task=des.task_number,
        task_id=des.task_id,
        unit=des.group_name,
        due=due.isoformat(),
        leads=des.lead_names,
        stage=k,
        ref_id=des.designation_id,
        section=des.section or None,
        details={"group": des.group_name, "times": k + 1, "of": DESIGNATE_TIMES},
    )
    for lead_id, lead_name in zip(des.lead_unit_ids, des.lead_names, strict=False):
        result.intents.append(
            Intent(
                MessageKind.DESIGNATE,
                k,
                None,
                None,
                Recipient.unit(lead_id),
                "lead",
                lead_name,
                facts,
                moment,
                designation_id=des.designation_id,
            )
        )
    office = [a for a in passed if a[0] >= DESIGNATE_OFFICE_FROM]
    if office or not des.lead_unit_ids:
        # The office hears of it once (stage DESIGNATE_OFFICE_FROM), or at once if no lead.
        stage = DESIGNATE_OFFICE_FROM if office else 0
        result.intents.append(
            Intent(
                MessageKind.DESIGNATE,
                stage,
                None,
                None,
                OFFICE,
                "office",
                office_name,
                facts,
                moment,
                designation_id=des.designation_id,
            )
        )
