"""The escalation ladder of one period: the stages, their days and moments, memoised.

Every offset is in working days around the due date D (see jobs/planner.py for the rules);
each stage's moment is office opening time on its day. Pure: a calendar in, stages out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from db.contracts import MessageKind
from jobs.workdays import CalendarGapError, WorkCalendar

UTC = dt.UTC


@dataclass(frozen=True, slots=True)
class Policy:
    """A period's ladder, as copied onto it (the config schema's EscalationConfig holds the
    defaults; a period keeps the values of the day it was created)."""

    remind_before: tuple[int, ...]
    remind_on_due: bool
    overdue_after: int
    overdue_every: int
    overdue_times: int
    lead_after: int
    office_after: int
    leader_after: int

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Policy:
        return cls(
            remind_before=tuple(values["remind_before"]),
            remind_on_due=bool(values["remind_on_due"]),
            overdue_after=int(values["overdue_after"]),
            overdue_every=int(values["overdue_every"]),
            overdue_times=int(values["overdue_times"]),
            lead_after=int(values["lead_after"]),
            office_after=int(values["office_after"]),
            leader_after=int(values["leader_after"]),
        )


@dataclass(frozen=True, slots=True)
class Stage:
    moment: dt.datetime  # aware UTC: office opening on `day`
    day: dt.date
    family: str  # "unit" | "lead" | "office" | "leader": one catch-up notice per family
    kind: MessageKind
    stage: int
    overdue_days: int  # working days past the due date on `day` (0 before it)


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
    raw: list[tuple[dt.date, str, MessageKind, int]] = []

    def add(base: dt.date, offset: int, family: str, kind: MessageKind, stage: int) -> None:
        nonlocal gap
        try:
            raw.append((cal.add_workdays(base, offset), family, kind, stage))
        except CalendarGapError as exc:
            gap = gap or exc

    if pre:
        for before in policy.remind_before:
            add(d, -before, "unit", MessageKind.REMINDER, before)
        if policy.remind_on_due:
            raw.append((d, "unit", MessageKind.DUE, 0))
    for k in range(1, policy.overdue_times + 1):
        after = policy.overdue_after + (k - 1) * policy.overdue_every
        add(anchor, after, "unit", MessageKind.OVERDUE, k)
    lead_role = role == "lead"
    if not lead_role and has_leads:
        add(anchor, policy.lead_after, "lead", MessageKind.ESCALATION_LEAD, 0)
    office_after = policy.lead_after if lead_role else policy.office_after
    add(anchor, office_after, "office", MessageKind.ESCALATION_OFFICE, 0)
    if policy.leader_after and has_leaders:
        add(anchor, policy.leader_after, "leader", MessageKind.ESCALATION_LEADER, 0)
    stages = []
    for day, family, kind, stage in raw:
        if r is not None and day <= r:
            continue
        moment = cal.opening(day).astimezone(UTC)
        overdue = cal.workdays_between(d, day) if day > d else 0
        stages.append(Stage(moment, day, family, kind, stage, overdue))
    stages.sort(key=lambda s: (s.moment, s.family))
    return tuple(stages), gap


class LadderEntry:
    """A memoised ladder plus, for each number of stages that have come, what to emit:
    the latest stage of each family (the catch-up rule), with its kind-specific details."""

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
        self.emit: list[tuple[tuple[Stage, dict[str, Any]], ...]] = []  # (stage, details)
        for passed in range(len(stages) + 1):
            latest: dict[str, Stage] = {}
            for st in stages[:passed]:
                latest[st.family] = st
            picked = []
            for st in sorted(latest.values(), key=lambda s: (s.moment, s.family)):
                details: dict[str, Any] = {}
                if st.kind is MessageKind.OVERDUE:
                    details = {"times": st.stage, "of": policy.overdue_times}
                picked.append((st, details))
            self.emit.append(tuple(picked))


class Ladders:
    """Memoises ladders: thousands of periods share a due date and a policy. `fallback`: the
    configured ladder, for a period whose copied policy lacks a key (rows written by hand)."""

    def __init__(self, cal: WorkCalendar, fallback: Mapping[str, Any] | None = None) -> None:
        self.cal = cal
        self.fallback = fallback or {}
        self.by_id: dict[int, tuple[Mapping[str, Any], Policy]] = {}
        self.by_value: dict[tuple[Any, ...], Policy] = {}
        self.ladders: dict[tuple[Any, ...], LadderEntry] = {}

    def policy(self, values: Mapping[str, Any]) -> Policy:
        hit = self.by_id.get(id(values))
        if hit is not None and hit[0] is values:
            return hit[1]
        key = tuple(tuple(v) if isinstance(v, list) else v for v in values.values()) + tuple(values)
        found = self.by_value.get(key)
        if found is None:
            found = self.by_value[key] = Policy.from_mapping({**self.fallback, **values})
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
    ) -> LadderEntry:
        key = (due, restarted_on, policy, role, has_leads, has_leaders)
        found = self.ladders.get(key)
        if found is None:
            stages, gap = settled_ladder(
                self.cal, due, restarted_on, policy, role, has_leads, has_leaders
            )
            found = self.ladders[key] = LadderEntry(stages, policy, due, gap)
        return found
