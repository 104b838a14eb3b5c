"""A later report settles a unit's earlier missed periods: they stay in the history as missed
(counted in the ledger's 累计逾期), the ladder stops on them, and notices already queued about
them are dropped with the reason, never sent."""

from __future__ import annotations

import datetime as dt

import factories
from engine_fixtures import App
from memory_channel import MemoryChannel
from sqlalchemy import select
from test_deliverer import add_contact, unit_id

from db.engine import transaction
from db.models import OutboxItem, Period
from db.models.periods import MISSED, OPEN, SUBMITTED
from duban.ledger import collect_ledger
from duban.wiring import engine_settings
from jobs.delivery import deliver
from jobs.tick import plan_due
from messages.vocabulary import Light, Status
from services.reports import submit_report

SH = dt.timezone(dt.timedelta(hours=8))
MARCH_DUE = dt.date(2024, 3, 29)
APRIL_DUE = dt.date(2024, 4, 25)
LATE = dt.datetime(2024, 4, 8, 9, 0, tzinfo=SH)  # March's 催办 and 督办 are due


def two_periods(sessions) -> tuple[int, int, int]:
    """Task 7: 区工信局 has not reported March; April is open. (march id, april id, contact)"""
    with transaction(sessions) as s:
        task = factories.add_task(s, 7, "推进重点项目建设，确保年底前完工")
        march = factories.add_period(s, task, "区工信局", MARCH_DUE)
        march.next_check_at = dt.datetime.combine(MARCH_DUE, dt.time(0), SH)
        april = factories.add_period(s, task, "区工信局", APRIL_DUE, label="2024-04")
        lead = factories.add_period(s, task, "区发改局", MARCH_DUE, SUBMITTED)
        factories.add_report(s, lead, dt.datetime(2024, 3, 28, 10, 0, tzinfo=SH))
        ids = march.id, april.id
    contact = add_contact(sessions, unit_id(sessions, "区工信局"), 1001)
    add_contact(sessions, unit_id(sessions, "区发改局"), 2001)
    return *ids, contact


async def test_a_later_report_settles_the_missed_period(config, sessions) -> None:
    march, april, contact = two_periods(sessions)
    plan_due(App(config, sessions), LATE)  # queued: March's 催办 to the unit, 督办 to the lead
    with sessions() as s:
        queued = {
            r.kind for r in s.scalars(select(OutboxItem).where(OutboxItem.period_id == march))
        }
    assert {"overdue", "escalation_lead"} <= queued

    with transaction(sessions) as s:  # the unit reports April, not March
        submit_report(
            s, period_id=april, contact_id=contact, status="on_track", text="四月进展",
            now=LATE + dt.timedelta(minutes=5), tz=SH,
        )  # fmt: skip
    with sessions() as s:
        assert s.get(Period, march).state == MISSED
        assert s.get(Period, march).next_check_at is None  # the ladder stops on it

    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(config), LATE + dt.timedelta(minutes=6))
    sent = {item.kind for _, message in channel.received for item in message.items}
    assert not sent & {"overdue", "escalation_lead", "escalation_office"}
    with sessions() as s:
        reasons = {
            r.kind: r.dropped_reason
            for r in s.scalars(select(OutboxItem).where(OutboxItem.period_id == march))
        }
    assert (
        reasons["overdue"]
        == reasons["escalation_lead"]
        == ("settled by a later report (kept as missed)")
    )

    # Later ticks chase nothing more about March (its office step would come on 4-12).
    plan_due(App(config, sessions), dt.datetime(2024, 4, 15, 9, 0, tzinfo=SH))
    with sessions() as s:
        later = s.scalars(
            select(OutboxItem.kind).where(
                OutboxItem.period_id == march, OutboxItem.dropped_at.is_(None)
            )
        ).all()
    assert later == []

    with sessions() as s:
        ledger = collect_ledger(s, config, dt.date(2024, 4, 15))
    row = ledger.rows[0]
    unit = next(u for u in row.units if u.unit == "区工信局")
    assert (unit.light, unit.status, unit.missed) == (Light.GREEN, Status.ON_SCHEDULE, 1)
    assert (row.light, row.missed) == (Light.GREEN, 1)
    assert ledger.overdue == []  # settled: no longer on the 逾期 sheet


def test_a_report_does_not_settle_a_period_not_yet_due(config, sessions) -> None:
    march, april, contact = two_periods(sessions)
    with transaction(sessions) as s:  # reports April early, before March's due date
        submit_report(
            s, period_id=april, contact_id=contact, status="on_track", text="提前报送",
            now=dt.datetime(2024, 3, 28, 10, 0, tzinfo=SH), tz=SH,
        )  # fmt: skip
    with sessions() as s:
        assert s.get(Period, march).state == OPEN
