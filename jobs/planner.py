"""The planner: a pure function from (now, calendar, periods) to notification intents.

No database, no Telegram, no templates: the tick loads the periods whose `next_check_at` has
come, calls `plan`, hands the intents to the outbox (whose unique dedupe key makes a second copy
a no-op) and stores each period's `next_check`. A period is looked at again only when its next
stage comes, so a quiet tick touches almost nothing.

The ladder (defaults; every offset in working days around the due date D, from Period.policy):

    D−3, D−1   reminder           to the unit               stage = days before (3, 1)
    D          due                to the unit               stage 0
    D+1, +3, +5 overdue (催办)     to the unit               stage 1, 2, 3
    D+2        escalation_lead    to each lead unit          stage 0   (responsible units only)
    D+5        escalation_office  to the district office     stage 0   (a lead's own period: D+2)
    D+8        escalation_leader  to the leader(s) in charge stage 0   (if configured)

Each stage's moment is office opening time on its day. Rules, in the order a reader needs them:

* Only OPEN and RETURNED periods run the ladder; any other state stops it at once.
* Nothing is emitted outside office hours or on a non-working day: such a tick returns no
  intents, and the period is looked at again at the next opening time.
* Catch-up, once: a tick late by any amount (downtime, a weekend) emits, per recipient family,
  only the latest stage that has come — the unit series (reminder → due → overdue) yields one
  notice, not three; each escalation level yields its own one. Stages the tick already emitted
  come out again with the same dedupe key, which the outbox ignores. What it emits says the
  period's age on the tick's day (overdue_days), not on the stage's; delivery recounts it on
  the day it is sent and numbers 第N次催办 from what was sent (jobs/delivery/ages.py).
* An approved extension: `due` is the extended date; every stage follows it. The dedupe keys of
  the new ladder carry "@x<date>" so its reminders are not swallowed by the old ones.
* A returned report (state RETURNED, restarted_on = R): only stages on days after R count. If
  the due date D is still ahead (D ≥ R) the ordinary ladder goes on. If D has passed, the whole
  post-due ladder is counted again from R, as if R were the due day: 催办 R+1, R+3, R+5; lead R+2;
  office R+5; leader R+8. Keys carry "@r<date>".
* A due date on a non-working day (an extension to a Saturday) counts from the working day
  before it, like the reporting calendar's own due days.
* 完成时限 (a task's final deadline): a unit not done with the task by then runs the post-due
  ladder once more, from the deadline, as a view with `final=True` (jobs/reporting/final.py
  builds them): 催办 D+1, +3, +5; lead D+2; office D+5; leader D+8 — no reminders before it
  (the periods remind). Its notices have no period; their key's scope is (assignment, 0) and
  their anchor "f<deadline>"; the next check is the assignment's (PlanResult.final_next_check).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from db.contracts import OFFICE, Facts, Recipient
from jobs.ladder import Ladders
from jobs.plan_designation import plan_designation
from jobs.plan_types import (
    GAP_RETRY,
    DesignationView,
    Intent,
    PeriodView,
    PlanResult,
)
from jobs.settings import LeaderInCharge, leader_key
from jobs.workdays import CalendarGapError, WorkCalendar

__all__ = ["DesignationView", "Intent", "PeriodView", "PlanResult", "plan"]

UTC = dt.UTC

# Period states that run the ladder (same strings as db.models.periods; kept here so the
# planner imports nothing from the database layer).
OPEN = "open"
RETURNED = "returned"
LADDER_STATES = frozenset({OPEN, RETURNED})



class _InCharge:
    """Leaders in charge of a task, memoised: the configured leaders the task's table names
    (its 责任领导), else those in charge of its lead units."""

    def __init__(self, leaders: Sequence[LeaderInCharge]) -> None:
        self.by_unit: dict[str, list[tuple[int, str]]] = {}
        self.by_name: dict[str, tuple[int, str]] = {}
        for leader in leaders:
            self.by_name.setdefault(leader_key(leader.name), (leader.index, leader.name))
            for unit in leader.units:
                self.by_unit.setdefault(unit, []).append((leader.index, leader.name))
        self.memo: dict[tuple[str, ...], tuple[tuple[int, str], ...]] = {}
        self.named: dict[tuple[str, ...], tuple[tuple[int, str], ...]] = {}

    def __call__(
        self, names: tuple[str, ...], named: tuple[str, ...] = ()
    ) -> tuple[tuple[int, str], ...]:
        if named:
            found = self.named.get(named)
            if found is None:
                entries = (self.by_name.get(leader_key(name)) for name in named)
                found = self.named[named] = tuple(dict.fromkeys(e for e in entries if e))
            if found:
                return found
        found = self.memo.get(names)
        if found is None:
            out: list[tuple[int, str]] = []
            for name in names:
                for entry in self.by_unit.get(name, ()):
                    if entry not in out:
                        out.append(entry)
            found = self.memo[names] = tuple(out)
        return found


def plan(
    now: dt.datetime,
    cal: WorkCalendar,
    periods: Iterable[PeriodView],
    leaders: Sequence[LeaderInCharge] = (),
    designations: Iterable[DesignationView] = (),
    *,
    office_name: str = "区政府督查室",
    escalation: Mapping[str, Any] | None = None,
    designate_within: int = 3,
) -> PlanResult:
    """What is due at `now` for these periods (and undesignated placeholders), and when each
    must be looked at again. `leaders`: the leaders in charge (index, name, canonical unit
    names); their recipient is Recipient.leader(index). `escalation`: the configured ladder,
    for a period whose copied policy lacks a key. `designate_within`: working days a lead
    has to designate (the config's [designation] due_after; the tick passes Settings').

    Cost: O(periods given), with ladders memoised per (due date, policy, role)."""
    if now.tzinfo is None:
        raise ValueError("plan() needs an aware `now`")
    now_utc = now.astimezone(UTC)
    result = PlanResult()
    open_now = cal.in_office_hours(now_utc)
    resume = now_utc if open_now else cal.next_send_time(now_utc).astimezone(UTC)
    cache = Ladders(cal, escalation)
    in_charge_of = _InCharge(leaders)
    ages = _Ages(cal, now_utc)
    append = result.intents.append
    next_check = result.next_check

    for view in periods:
        state = view.state
        if view.final:
            _plan_final(
                view, now_utc, open_now, resume, cache, in_charge_of, ages, office_name, result
            )
            continue
        if state != OPEN and state != RETURNED:
            next_check[view.period_id] = None
            continue
        in_charge = in_charge_of(view.lead_names or (view.unit_name,), view.leaders)
        try:
            entry = cache.get(
                view.due,
                view.restarted_on if state == RETURNED else None,
                cache.policy(view.policy),
                view.role,
                bool(view.lead_unit_ids),
                bool(in_charge),
            )
        except CalendarGapError as exc:
            result.errors.append(f"period {view.period_id}: {exc}")
            next_check[view.period_id] = now_utc + GAP_RETRY
            continue
        moments = entry.moments
        passed = bisect_right(moments, now_utc)
        if passed < len(moments):
            upcoming: dt.datetime | None = moments[passed]
        elif entry.gap is not None:
            # Later stages fall in a year the calendar cannot settle: say so, look again later
            # (once the admin adds the overrides and restarts, they are planned).
            result.errors.append(f"period {view.period_id}: {entry.gap}")
            upcoming = now_utc + GAP_RETRY
        else:
            upcoming = None
        if passed == 0:
            next_check[view.period_id] = upcoming
            continue
        if not open_now:
            # Something has come but we may not send now: look again at the next opening.
            next_check[view.period_id] = resume
            continue
        next_check[view.period_id] = upcoming

        anchor = ladder_anchor(
            entry.due_iso,
            view.due_on and view.due_on.isoformat(),
            state,
            view.restarted_on and view.restarted_on.isoformat(),
        )
        pid, aid = view.period_id, view.assignment_id
        for st, details in entry.emit[passed]:
            # Facts(task=…, title=…, …) spelled as the dict it keeps: 100 000 on a busy tick.
            item = {
                "task": view.task_number,
                "title": view.title,
                "task_id": view.task_id,
                "unit": view.unit_name,
                "unit_id": view.unit_id,
                "role": view.role,
                "due": entry.due_iso,
                "label": view.label,
                "leads": view.lead_names,
                "stage": st.stage,
                # A catch-up tick sends a stage long after its day: the age is today's.
                "overdue_days": ages(entry.due_iso) if st.overdue_days else 0,
                **details,
            }
            if view.section:
                item["section"] = view.section
            if anchor:
                item["anchor"] = anchor
            facts = Facts.from_json(item)
            kind, stage, moment = st.kind, st.stage, st.moment
            for recipient, role, name in recipients(st.family, view, in_charge, office_name):
                append(Intent(kind, stage, pid, aid, recipient, role, name, facts, moment, anchor))

    for des in designations:
        plan_designation(
            des, cal, now_utc, open_now, resume, office_name, result, designate_within
        )
    return result


def recipients(
    family: str, view: PeriodView, in_charge: tuple[tuple[int, str], ...], office_name: str
) -> list[tuple[Recipient, str, str]]:
    """(recipient, role, name) of a ladder stage's family for this period."""
    if family == "unit":
        return [(Recipient.unit(view.unit_id), "unit", view.unit_name)]
    if family == "lead":
        return [
            (Recipient.unit(lead_id), "lead", lead_name)
            for lead_id, lead_name in zip(view.lead_unit_ids, view.lead_names, strict=False)
            if lead_id != view.unit_id
        ]
    if family == "office":
        return [(OFFICE, "office", office_name)]
    return [(Recipient.leader(idx), "leader", name) for idx, name in in_charge]


def final_anchor(deadline: str) -> str:
    """The anchor of the 完成时限 ladder (ISO deadline in): part of its notices' keys, and what
    the re-check compares with the task's current deadline."""
    return f"f{deadline}"


def _plan_final(
    view: PeriodView,
    now_utc: dt.datetime,
    open_now: bool,
    resume: dt.datetime,
    cache: Ladders,
    in_charge_of: _InCharge,
    ages: _Ages,
    office_name: str,
    result: PlanResult,
) -> None:
    """The 完成时限 ladder of one unfinished assignment (view.due is the deadline; its policy
    has no reminders). Same catch-up and office-hours rules as a period's."""
    aid = view.assignment_id
    in_charge = in_charge_of(view.lead_names or (view.unit_name,), view.leaders)
    try:
        entry = cache.get(
            view.due, None, cache.policy(view.policy), view.role, bool(view.lead_unit_ids),
            bool(in_charge),
        )  # fmt: skip
    except CalendarGapError as exc:
        result.errors.append(f"完成时限 of assignment {aid}: {exc}")
        result.final_next_check[aid] = now_utc + GAP_RETRY
        return
    passed = bisect_right(entry.moments, now_utc)
    upcoming = entry.moments[passed] if passed < len(entry.moments) else None
    if upcoming is None and entry.gap is not None:
        result.errors.append(f"完成时限 of assignment {aid}: {entry.gap}")
        upcoming = now_utc + GAP_RETRY
    if passed and not open_now:
        result.final_next_check[aid] = resume
        return
    result.final_next_check[aid] = upcoming
    anchor = final_anchor(entry.due_iso)
    for st, details in entry.emit[passed]:
        facts = Facts(
            task=view.task_number, title=view.title, task_id=view.task_id, unit=view.unit_name,
            unit_id=view.unit_id, role=view.role, due=entry.due_iso, label=view.label,
            leads=view.lead_names, stage=st.stage, overdue_days=ages(entry.due_iso),
            anchor=anchor, details={**details, "final": True},
        )  # fmt: skip
        for recipient, role, name in recipients(st.family, view, in_charge, office_name):
            result.intents.append(
                Intent(st.kind, st.stage, None, aid, recipient, role, name, facts, st.moment,
                       anchor)
            )  # fmt: skip


def ladder_anchor(due: str, due_on: str | None, state: str, restarted_on: str | None) -> str:
    """Which ladder a period runs, from its dates as ISO text: "" the scheduled one; "x<date>"
    after an extension to that date; "r<date>" restarted by a report returned on that date
    (both may apply). Part of the dedupe key, and what the delivery re-check compares a queued
    notice with."""
    parts = ""
    if due_on and due != due_on:
        parts += f"x{due}"
    if state == RETURNED and restarted_on:
        parts += f"r{restarted_on}"
    return parts


class _Ages:
    """Working days from a due date (ISO) to the tick's day, memoised per due date."""

    def __init__(self, cal: WorkCalendar, now_utc: dt.datetime) -> None:
        self.cal = cal
        self.today = now_utc.astimezone(cal.tz).date()
        self.memo: dict[str, int] = {}

    def __call__(self, due_iso: str) -> int:
        found = self.memo.get(due_iso)
        if found is None:
            due = dt.date.fromisoformat(due_iso)
            found = self.memo[due_iso] = self.cal.days_overdue(due, self.today)
        return found
