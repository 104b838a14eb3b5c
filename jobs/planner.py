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
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from db.contracts import OFFICE, Facts, MessageKind, Recipient, dedupe_key
from jobs.ladder import Ladders
from jobs.settings import LeaderInCharge, leader_key
from jobs.workdays import CalendarGapError, WorkCalendar

UTC = dt.UTC

# Period states that run the ladder (same strings as db.models.periods; kept here so the
# planner imports nothing from the database layer).
OPEN = "open"
RETURNED = "returned"
LADDER_STATES = frozenset({OPEN, RETURNED})

# Designation requests (各相关X not yet named): every DESIGNATE_EVERY working days, at most
# DESIGNATE_TIMES asks to the task's lead units; from the DESIGNATE_OFFICE_FROM-th ask on the
# office is told once as well.
DESIGNATE_EVERY = 5
DESIGNATE_TIMES = 4
DESIGNATE_OFFICE_FROM = 2

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
    errors: list[str] = field(default_factory=list)  # calendar gaps, one line per period


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
) -> PlanResult:
    """What is due at `now` for these periods (and undesignated placeholders), and when each
    must be looked at again. `leaders`: the leaders in charge (index, name, canonical unit
    names); their recipient is Recipient.leader(index). `escalation`: the configured ladder,
    for a period whose copied policy lacks a key.

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
            family = st.family
            if family == "unit":
                to = [(Recipient.unit(view.unit_id), "unit", view.unit_name)]
            elif family == "lead":
                to = [
                    (Recipient.unit(lead_id), "lead", lead_name)
                    for lead_id, lead_name in zip(view.lead_unit_ids, view.lead_names, strict=False)
                    if lead_id != view.unit_id
                ]
            elif family == "office":
                to = [(OFFICE, "office", office_name)]
            else:
                to = [(Recipient.leader(idx), "leader", name) for idx, name in in_charge]
            for recipient, role, name in to:
                append(Intent(kind, stage, pid, aid, recipient, role, name, facts, moment, anchor))

    for des in designations:
        _plan_designation(des, cal, now_utc, open_now, resume, office_name, result)
    return result


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


def designation_moments(cal: WorkCalendar, since: dt.date) -> list[tuple[int, dt.date]]:
    """(stage, day) of each ask to designate: the first working day from `since`, then every
    DESIGNATE_EVERY working days, DESIGNATE_TIMES asks in all."""
    first = cal.next_workday_or_same(since)
    return [(k, cal.add_workdays(first, k * DESIGNATE_EVERY)) for k in range(DESIGNATE_TIMES)]


def _plan_designation(
    des: DesignationView,
    cal: WorkCalendar,
    now_utc: dt.datetime,
    open_now: bool,
    resume: dt.datetime,
    office_name: str,
    result: PlanResult,
) -> None:
    try:
        asks = [
            (k, day, cal.opening(day).astimezone(UTC))
            for k, day in designation_moments(cal, des.since)
        ]
    except CalendarGapError as exc:
        result.errors.append(f"designation {des.designation_id}: {exc}")
        result.designation_next_check[des.designation_id] = now_utc + GAP_RETRY
        return
    passed = [a for a in asks if a[2] <= now_utc]
    upcoming = next((a[2] for a in asks if a[2] > now_utc), None)
    if not passed:
        result.designation_next_check[des.designation_id] = upcoming
        return
    if not open_now:
        result.designation_next_check[des.designation_id] = resume
        return
    result.designation_next_check[des.designation_id] = upcoming
    k, day, moment = passed[-1]
    facts = Facts(
        task=des.task_number,
        task_id=des.task_id,
        unit=des.group_name,
        due=day.isoformat(),
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
