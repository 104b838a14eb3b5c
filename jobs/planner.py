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
  come out again with the same dedupe key, which the outbox ignores.
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

# Severity order (most severe last) — handy for digests.
KINDS = (
    "designate",
    "reminder",
    "due",
    "overdue",
    "escalation_lead",
    "escalation_office",
    "escalation_leader",
)


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


@dataclass(frozen=True, slots=True)
class Leader:
    """A leader in charge (分管区领导); `index` is the position in cfg.leaders."""

    index: int
    name: str
    units: frozenset[str]  # canonical unit names


class Intent(NamedTuple):
    """Something to send. Immutable; NamedTuple because a busy tick makes 100 000 of them."""

    kind: str
    stage: int
    period_id: int | None
    assignment_id: int | None
    recipient: str  # "unit:<id>" | "office" | "leader:<index>"
    role: str  # "unit" | "lead" | "office" | "leader"
    recipient_name: str
    item: dict[str, Any]
    due_at: dt.datetime  # aware (UTC): when it became due
    anchor: str = ""  # "" normally; "x<date>" after an extension, "r<date>" after a return
    designation_id: int | None = None

    @property
    def dedupe_key(self) -> str:
        stage = f"{self.stage}@{self.anchor}" if self.anchor else str(self.stage)
        if self.kind == "designate":
            task = self.item.get("task_id")
            return f"designate:t{task}:d{self.designation_id}:{stage}:{self.recipient}"
        return f"{self.kind}:{self.assignment_id}:{self.period_id}:{stage}:{self.recipient}"


@dataclass
class PlanResult:
    intents: list[Intent] = field(default_factory=list)
    # period_id → when to look again (aware UTC), None = never (the ladder has ended)
    next_check: dict[int, dt.datetime | None] = field(default_factory=dict)
    designation_next_check: dict[int, dt.datetime | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # calendar gaps, one line per period


# --- the ladder of one period ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    remind_before: tuple[int, ...] = (3, 1)
    remind_on_due: bool = True
    overdue_after: int = 1
    overdue_every: int = 2
    overdue_times: int = 3
    lead_after: int = 2
    office_after: int = 5
    leader_after: int = 8

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Policy:
        d = cls()
        return cls(
            remind_before=tuple(values.get("remind_before", d.remind_before)),
            remind_on_due=bool(values.get("remind_on_due", d.remind_on_due)),
            overdue_after=int(values.get("overdue_after", d.overdue_after)),
            overdue_every=int(values.get("overdue_every", d.overdue_every)),
            overdue_times=int(values.get("overdue_times", d.overdue_times)),
            lead_after=int(values.get("lead_after", d.lead_after)),
            office_after=int(values.get("office_after", d.office_after)),
            leader_after=int(values.get("leader_after", d.leader_after)),
        )


@dataclass(frozen=True, slots=True)
class Stage:
    moment: dt.datetime  # aware UTC: office opening on `day`
    day: dt.date
    family: str  # "unit" | "lead" | "office" | "leader": one catch-up notice per family
    kind: str
    stage: int
    overdue_days: int  # working days past the due date on `day` (0 before it)


def ladder(
    cal: WorkCalendar,
    due: dt.date,
    restarted_on: dt.date | None,
    policy: Policy,
    *,
    role: str,
    has_leads: bool = True,
    has_leaders: bool = True,
) -> tuple[Stage, ...]:
    """Every stage of one period's ladder, in time order (see the module docstring).
    Raises CalendarGapError if any stage falls on a day the calendar cannot settle."""
    stages, gap = settled_ladder(cal, due, restarted_on, policy, role, has_leads, has_leaders)
    if gap is not None:
        raise gap
    return stages


def settled_ladder(
    cal: WorkCalendar,
    due: dt.date,
    restarted_on: dt.date | None,
    policy: Policy,
    role: str,
    has_leads: bool,
    has_leaders: bool,
) -> tuple[tuple[Stage, ...], CalendarGapError | None]:
    """The stages the calendar can settle, and the first gap met (stages beyond it are left
    out until the admin adds that year's overrides)."""
    d = cal.prev_workday_or_same(due)
    r = restarted_on
    pre = r is None or d >= r
    anchor = d if pre else r
    assert anchor is not None
    gap: CalendarGapError | None = None
    raw: list[tuple[dt.date, str, str, int]] = []

    def add(base: dt.date, offset: int, family: str, kind: str, stage: int) -> None:
        nonlocal gap
        try:
            raw.append((cal.add_workdays(base, offset), family, kind, stage))
        except CalendarGapError as exc:
            gap = gap or exc

    if pre:
        for before in policy.remind_before:
            add(d, -before, "unit", "reminder", before)
        if policy.remind_on_due:
            raw.append((d, "unit", "due", 0))
    for k in range(1, policy.overdue_times + 1):
        add(anchor, policy.overdue_after + (k - 1) * policy.overdue_every, "unit", "overdue", k)
    lead_role = role == "lead"
    if not lead_role and has_leads:
        add(anchor, policy.lead_after, "lead", "escalation_lead", 0)
    office_after = policy.lead_after if lead_role else policy.office_after
    add(anchor, office_after, "office", "escalation_office", 0)
    if policy.leader_after and has_leaders:
        add(anchor, policy.leader_after, "leader", "escalation_leader", 0)
    stages = []
    for day, family, kind, stage in raw:
        if r is not None and day <= r:
            continue
        moment = cal.opening(day).astimezone(UTC)
        overdue = cal.workdays_between(d, day) if day > d else 0
        stages.append(Stage(moment, day, family, kind, stage, overdue))
    stages.sort(key=lambda s: (s.moment, s.family))
    return tuple(stages), gap


# --- plan --------------------------------------------------------------------------------------


class _Entry:
    """A memoised ladder plus, for each number of stages that have come, what to emit:
    the latest stage of each family (the catch-up rule), with its item fields ready."""

    __slots__ = ("due_iso", "emit", "gap", "moments", "stages")

    def __init__(
        self,
        stages: tuple[Stage, ...],
        policy: Policy,
        due: dt.date,
        gap: CalendarGapError | None = None,
    ) -> None:
        self.stages = stages
        self.gap = gap
        self.moments = [s.moment for s in stages]
        self.due_iso = due.isoformat()
        self.emit: list[tuple[tuple[Stage, dict[str, Any]], ...]] = []
        for passed in range(len(stages) + 1):
            latest: dict[str, Stage] = {}
            for st in stages[:passed]:
                latest[st.family] = st
            picked = []
            for st in sorted(latest.values(), key=lambda s: (s.moment, s.family)):
                extra: dict[str, Any] = {"stage": st.stage, "overdue_days": st.overdue_days}
                if st.kind == "overdue":
                    extra["times"] = st.stage
                    extra["of"] = policy.overdue_times
                picked.append((st, extra))
            self.emit.append(tuple(picked))


class _Ladders:
    """Memoises ladders: thousands of periods share a due date and a policy."""

    def __init__(self, cal: WorkCalendar) -> None:
        self.cal = cal
        self.by_id: dict[int, tuple[Mapping[str, Any], Policy]] = {}
        self.by_value: dict[tuple[Any, ...], Policy] = {}
        self.ladders: dict[tuple[Any, ...], _Entry] = {}

    def policy(self, values: Mapping[str, Any]) -> Policy:
        hit = self.by_id.get(id(values))
        if hit is not None and hit[0] is values:
            return hit[1]
        key = tuple(tuple(v) if isinstance(v, list) else v for v in values.values()) + tuple(values)
        found = self.by_value.get(key)
        if found is None:
            found = self.by_value[key] = Policy.from_mapping(values)
        self.by_id[id(values)] = (values, found)  # keeps `values` alive: ids stay unique
        return found

    def get(
        self,
        due: dt.date,
        restarted_on: dt.date | None,
        policy: Policy,
        role: str,
        has_leads: bool,
        has_leaders: bool,
    ) -> _Entry:
        key = (due, restarted_on, policy, role, has_leads, has_leaders)
        found = self.ladders.get(key)
        if found is None:
            stages, gap = settled_ladder(
                self.cal, due, restarted_on, policy, role, has_leads, has_leaders
            )
            found = self.ladders[key] = _Entry(stages, policy, due, gap)
        return found


def leaders_from_config(cfg: Any) -> tuple[Leader, ...]:
    """cfg.leaders as Leader values, unit spellings resolved to canonical names."""
    index = cfg.name_index()
    return tuple(
        Leader(i, leader.name, frozenset(index.get(u, u) for u in leader.units))
        for i, leader in enumerate(cfg.leaders)
    )


class _InCharge:
    """Leaders in charge of a set of lead units, memoised per set."""

    def __init__(self, leaders: Sequence[Any]) -> None:
        self.by_unit: dict[str, list[tuple[int, str]]] = {}
        for i, leader in enumerate(leaders):
            idx = getattr(leader, "index", i)
            for unit in leader.units:
                self.by_unit.setdefault(unit, []).append((idx, leader.name))
        self.memo: dict[tuple[str, ...], tuple[tuple[int, str], ...]] = {}

    def __call__(self, names: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
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
    leaders: Sequence[Any] = (),
    designations: Iterable[DesignationView] = (),
    *,
    office_name: str = "区政府督查室",
) -> PlanResult:
    """What is due at `now` for these periods (and undesignated placeholders), and when each
    must be looked at again. `leaders`: Leader values (see leaders_from_config) or anything
    with .name and .units (canonical unit names); the recipient is "leader:<index>".

    Cost: O(periods given), with ladders memoised per (due date, policy, role)."""
    if now.tzinfo is None:
        raise ValueError("plan() needs an aware `now`")
    now_utc = now.astimezone(UTC)
    result = PlanResult()
    open_now = cal.in_office_hours(now_utc)
    resume = now_utc if open_now else cal.next_send_time(now_utc).astimezone(UTC)
    cache = _Ladders(cal)
    in_charge_of = _InCharge(leaders)
    intents = result.intents
    append = intents.append
    next_check = result.next_check

    for view in periods:
        state = view.state
        if state != OPEN and state != RETURNED:
            next_check[view.period_id] = None
            continue
        in_charge = in_charge_of(view.lead_names or (view.unit_name,))
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

        anchor = ""
        if (view.due_on is not None and view.due != view.due_on) or state == RETURNED:
            anchor = _anchor(view)
        pid, aid = view.period_id, view.assignment_id
        for st, extra in entry.emit[passed]:
            item = {
                "task": view.task_number,
                "title": view.title,
                "task_id": view.task_id,
                "unit": view.unit_name,
                "unit_id": view.unit_id,
                "role": view.role,
                "due": entry.due_iso,
                "label": view.label,
                "leads": view.lead_names,  # a tuple: JSON writes it as a list
                **extra,
            }
            family = st.family
            if family == "unit":
                append(
                    Intent(
                        st.kind,
                        st.stage,
                        pid,
                        aid,
                        f"unit:{view.unit_id}",
                        "unit",
                        view.unit_name,
                        item,
                        st.moment,
                        anchor,
                    )
                )
            elif family == "lead":
                for lead_id, lead_name in zip(view.lead_unit_ids, view.lead_names, strict=False):
                    if lead_id != view.unit_id:
                        append(
                            Intent(
                                st.kind,
                                st.stage,
                                pid,
                                aid,
                                f"unit:{lead_id}",
                                "lead",
                                lead_name,
                                item,
                                st.moment,
                                anchor,
                            )
                        )
            elif family == "office":
                append(
                    Intent(
                        st.kind,
                        st.stage,
                        pid,
                        aid,
                        "office",
                        "office",
                        office_name,
                        item,
                        st.moment,
                        anchor,
                    )
                )
            else:
                for idx, name in in_charge:
                    append(
                        Intent(
                            st.kind,
                            st.stage,
                            pid,
                            aid,
                            f"leader:{idx}",
                            "leader",
                            name,
                            item,
                            st.moment,
                            anchor,
                        )
                    )

    for des in designations:
        _plan_designation(des, cal, now_utc, open_now, resume, office_name, result)
    return result


def ladder_item(
    view: PeriodView, kind: str, stage: int, overdue_days: int, overdue_times: int
) -> dict[str, Any]:
    """A ladder stage's item as plan() makes it: the deliverer rebuilds the items it reads back
    from the outbox (which stores no copy of them) with this."""
    item: dict[str, Any] = {
        "task": view.task_number,
        "title": view.title,
        "task_id": view.task_id,
        "unit": view.unit_name,
        "unit_id": view.unit_id,
        "role": view.role,
        "due": view.due.isoformat(),
        "label": view.label,
        "leads": view.lead_names,
        "stage": stage,
        "overdue_days": overdue_days,
    }
    if kind == "overdue":
        item["times"] = stage
        item["of"] = overdue_times
    return item


def _anchor(view: PeriodView) -> str:
    parts = ""
    if view.due_on is not None and view.due != view.due_on:
        parts += f"x{view.due.isoformat()}"
    if view.state == RETURNED and view.restarted_on is not None:
        parts += f"r{view.restarted_on.isoformat()}"
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
    item = {
        "task": des.task_number,
        "task_id": des.task_id,
        "group": des.group_name,
        "unit": des.group_name,
        "due": day.isoformat(),
        "leads": list(des.lead_names),
        "stage": k,
        "times": k + 1,
        "of": DESIGNATE_TIMES,
    }
    for lead_id, lead_name in zip(des.lead_unit_ids, des.lead_names, strict=False):
        result.intents.append(
            Intent(
                "designate",
                k,
                None,
                None,
                f"unit:{lead_id}",
                "lead",
                lead_name,
                item,
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
                "designate",
                stage,
                None,
                None,
                "office",
                "office",
                office_name,
                item,
                moment,
                designation_id=des.designation_id,
            )
        )
