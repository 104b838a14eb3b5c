"""Completion as the people involved see it: a unit whose 已完成 the lead accepts is chased no
more (the others are); 办结 needs every unit done and the office's confirmation; a unit still
unfinished after the task's 完成时限 is chased up the ladder again.

The table (tests/engine_fixtures.py): task 1 led by 区发改局, 区工信局 and 区商务局 responsible.
Dates are read off the 2024 calendar by hand: the March period is due Mon 03-25, April's
Thu 04-25; 01–05 May are the Labour Day holiday.
"""

from __future__ import annotations

import datetime as dt

import pytest
from engine_fixtures import App, add_table, at, office_ticks, with_window
from memory_channel import Failure, MemoryChannel
from sqlalchemy import select

from db.engine import transaction
from db.models import Assignment, Contact, OutboxItem, Period, Task, Unit
from duban.config.schema import DeadlineConfig
from duban.importer.deadline import sync_deadlines
from jobs.tick import tick
from services import ServiceError
from services.completion import claim_completion, decide_completion, is_completed
from services.reports import review_report, submit_report


class World:
    def __init__(self, config, sessions, deadline: dt.date | None = None) -> None:
        cfg = with_window(config, dt.date(2024, 3, 1), dt.date(2024, 6, 30))
        if deadline is not None:
            cfg = cfg.model_copy(update={"deadlines": [DeadlineConfig(tasks=[1], date=deadline)]})
        add_table(sessions)
        with transaction(sessions) as s:
            sync_deadlines(s, cfg)
            self.units = {u.name: u.id for u in s.scalars(select(Unit))}
            self.contacts = {c.unit_id: c.id for c in s.scalars(select(Contact))}
            self.task_id = s.scalar(select(Task.id).where(Task.number == 1))
        self.sessions = sessions
        self.app = App(cfg, sessions)
        self.channel = MemoryChannel()
        # (at, to, kind, unit the item is about, 完成时限 item?, digest text): task 1's items
        self.sent: list[tuple[dt.datetime, str, str, str, bool, str]] = []

    async def run(self, times) -> None:
        for now in times:
            before = len(self.channel.sent)
            await tick(self.app, self.channel, now)
            for out in self.channel.sent[before:]:
                for item in out.items:
                    if item.facts.task != 1:
                        continue
                    final = bool(item.facts.as_item().get("final"))
                    self.sent.append(
                        (now, out.name, item.kind.value, item.facts.unit, final, out.parts[0])
                    )

    def period(self, unit: str, label: str) -> int:
        with self.sessions() as s:
            return s.scalar(
                select(Period.id)
                .join(Assignment, Assignment.id == Period.assignment_id)
                .where(
                    Assignment.task_id == self.task_id,
                    Assignment.unit_id == self.units[unit],
                    Period.label == label,
                )
            )

    def report(self, unit: str, label: str, now: dt.datetime, status: str = "done") -> int:
        with transaction(self.sessions) as s:
            return submit_report(
                s, period_id=self.period(unit, label), contact_id=self.contacts[self.units[unit]],
                status=status, text="全部建成投用" if status == "done" else "推进中", now=now,
            ).id  # fmt: skip

    def accept(self, report_id: int, now: dt.datetime) -> None:
        with transaction(self.sessions) as s:
            review_report(
                s, report_id=report_id, reviewer_contact_id=self.contacts[self.units["区发改局"]],
                accept=True, now=now,
            )  # fmt: skip

    def to_unit(self, unit: str, since: dt.datetime) -> list[tuple[dt.datetime, str]]:
        """Reminders and 催办 about task 1 sent to `unit` itself since `since` (not the notice
        that its report was accepted)."""
        return [
            (when, kind)
            for when, to, kind, about, _, _ in self.sent
            if to == unit and about == unit and when >= since and kind != "review_result"
        ]


async def test_an_accepted_done_report_stops_that_units_reminders_only(config, sessions) -> None:
    w = World(config, sessions)
    # 区工信局 misses March's due day; its 催办 of Tue 03-26 meets a network error and waits.
    await w.run(office_ticks(at(3, 20), at(3, 26, 8)))
    w.channel.fail_next(Failure(temporary="network down"), times=5)
    await w.run([at(3, 26, 9)])
    with w.sessions() as s:
        waiting = s.scalars(
            select(OutboxItem).where(
                OutboxItem.kind == "overdue",
                OutboxItem.period_id == w.period("区工信局", "2024-03"),
            )
        ).all()
    assert [i.state for i in waiting] == ["failed"]  # to be retried
    # It reports 已完成 at 10:30; the lead accepts at 10:45.
    w.accept(w.report("区工信局", "2024-03", at(3, 26, 10, 30)), at(3, 26, 10, 45))
    await w.run(office_ticks(at(3, 26, 11), at(5, 31)))

    assert w.to_unit("区工信局", at(3, 26, 11)) == []  # not April's reminders, nor May's
    with w.sessions() as s:
        dropped = s.get(OutboxItem, waiting[0].id)  # never sent: its retry dropped it
        assert dropped.dropped_at == at(3, 26, 11)
        assert dropped.dropped_reason == "unit completed the task (已完成, accepted)"
        later = s.scalars(
            select(Period.label)
            .join(Assignment, Assignment.id == Period.assignment_id)
            .where(Assignment.unit_id == w.units["区工信局"], Assignment.task_id == w.task_id)
        ).all()
    assert later == ["2024-03"]  # no April or May period for it
    # 区商务局, which never reported, is still reminded and chased every month.
    kinds = {(when.month, kind) for when, kind in w.to_unit("区商务局", at(3, 26, 11))}
    assert {(4, "reminder"), (4, "overdue"), (5, "reminder"), (5, "overdue")} <= kinds


async def test_a_done_report_sent_back_keeps_the_unit_chased(config, sessions) -> None:
    w = World(config, sessions)
    await w.run([at(3, 20)])  # March's periods appear
    report = w.report("区工信局", "2024-03", at(3, 21, 10))
    with transaction(sessions) as s:
        review_report(
            s, report_id=report, reviewer_contact_id=w.contacts[w.units["区发改局"]],
            accept=False, comment="缺少验收材料", now=at(3, 21, 11),
        )  # fmt: skip
    await w.run(office_ticks(at(3, 21, 12), at(4, 27)))
    kinds = {kind for _, kind in w.to_unit("区工信局", at(3, 21, 12))}
    assert {"overdue", "reminder"} <= kinds


def test_banjie_needs_every_unit_done_and_the_offices_confirmation(config, sessions) -> None:
    w = World(config, sessions)
    lead = w.contacts[w.units["区发改局"]]
    with transaction(sessions) as s:
        sync = s.scalar(select(Period.id))  # periods exist only after a tick; make March's
    assert sync is None
    with transaction(sessions) as s:
        for aid in s.scalars(select(Assignment.id).where(Assignment.task_id == w.task_id)):
            s.add(Period(assignment_id=aid, label="2024-03", starts_on=dt.date(2024, 3, 1),
                         due_on=dt.date(2024, 3, 25)))  # fmt: skip
    w.accept(w.report("区工信局", "2024-03", at(3, 21, 10)), at(3, 21, 11))

    with transaction(sessions) as s, pytest.raises(ServiceError) as refused:
        claim_completion(s, task_id=w.task_id, contact_id=lead, now=at(3, 21, 12))
    assert refused.value.code == "units_unfinished"
    assert refused.value.params["units"] == "区商务局"  # the lead itself claims: not listed

    w.accept(w.report("区商务局", "2024-03", at(3, 22, 10)), at(3, 22, 11))
    with transaction(sessions) as s:
        claim = claim_completion(s, task_id=w.task_id, contact_id=lead, now=at(3, 22, 12))
    with w.sessions() as s:
        assert not is_completed(s, w.task_id)  # claimed, not yet confirmed
    with transaction(sessions) as s:
        decide_completion(s, completion_id=claim.id, confirm=True, now=at(3, 22, 15),
                          decided_by="office")  # fmt: skip
    with w.sessions() as s:
        assert is_completed(s, w.task_id)
        done = s.scalars(select(Assignment.done_at).where(Assignment.task_id == w.task_id))
        assert all(when is not None for when in done)


async def test_a_unit_unfinished_after_the_final_deadline_is_escalated(config, sessions) -> None:
    # 完成时限 Tue 04-30 ([[deadlines]] in the config). 区工信局 is done in March; 区商务局 never.
    w = World(config, sessions, deadline=dt.date(2024, 4, 30))
    await w.run([at(3, 20)])  # March's periods appear
    w.accept(w.report("区工信局", "2024-03", at(3, 21, 10)), at(3, 21, 11))
    await w.run(office_ticks(at(4, 29), at(5, 15)))
    final = [
        (when, to, kind, text)
        for when, to, kind, about, final, text in w.sent
        if about == "区商务局" and final
    ]
    # The post-due ladder from Tue 04-30, in working days (01–05 May off): 催办 Mon 05-06
    # (D+1), Wed 05-08 (D+3), Fri 05-10 (D+5); the lead Tue 05-07 (D+2); the office Fri 05-10.
    seen = sorted((when, to, kind) for when, to, kind, _ in final)
    assert seen == [
        (at(5, 6), "区商务局", "overdue"),
        (at(5, 7), "区发改局", "escalation_lead"),
        (at(5, 8), "区商务局", "overdue"),
        (at(5, 10), "区商务局", "overdue"),
        (at(5, 10), "区政府督查室", "escalation_office"),
    ]
    first = final[0][3]
    line = "任务1（测试任务1） · 区商务局 · 完成时限4月30日（周二），尚未完成，已逾期1个工作日"
    assert line in first
    assert not [x for x in w.sent if x[3] == "区工信局" and x[4]]


async def test_a_moved_final_deadline_drops_what_was_queued_for_the_old_one(config, sessions):
    w = World(config, sessions, deadline=dt.date(2024, 4, 30))
    w.channel.fail_next(Failure(temporary="network down"), times=20)
    await w.run([at(5, 6)])  # the first 催办 of the old deadline waits for a retry
    cfg = w.app.settings  # unchanged; the admin moves the deadline in the config:
    assert cfg is not None
    moved = with_window(config, dt.date(2024, 3, 1), dt.date(2024, 6, 30)).model_copy(
        update={"deadlines": [DeadlineConfig(tasks=[1], date=dt.date(2024, 6, 28))]}
    )
    with transaction(sessions) as s:
        assert sync_deadlines(s, moved) == [1]
    await w.run([at(5, 6, 10)])
    with w.sessions() as s:
        reasons = set(
            s.scalars(select(OutboxItem.dropped_reason).where(OutboxItem.dropped_at.is_not(None)))
        )
    assert "完成时限 changed to 2024-06-28" in reasons
