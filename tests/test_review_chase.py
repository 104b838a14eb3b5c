"""Leads who do not review are chased: a report left unreviewed 3 working days reminds its lead,
3 more tell the district office, and a review in between drops what was queued. Designation
requests are due 3 working days after they go out, and their digest's footer says so.

Dates off the 2024 calendar by hand: a report of Thu 03-21 is due for review Tue 03-26 (Fri 22,
Mon 25, Tue 26); the lead hears of it Wed 03-27, the office Mon 04-01 (Thu 28, Fri 29, Mon 01).
"""

from __future__ import annotations

import datetime as dt

from engine_fixtures import App, add_table, at, office_ticks, with_window
from memory_channel import Failure, MemoryChannel
from sqlalchemy import select

from db.engine import transaction
from db.models import Assignment, Contact, OutboxItem, Period, Task, Unit
from jobs.planner import DesignationView, plan
from jobs.tick import tick
from jobs.workdays import WorkCalendar
from messages.render import Renderer
from services.reports import review_report, submit_report


async def reported_and_left(config, sessions):
    """Task 1: 区工信局 reports on Thu 03-21 at 10:00; returns (app, channel, report id,
    unit ids, the lead's contact)."""
    add_table(sessions)
    app = App(with_window(config, dt.date(2024, 3, 1), dt.date(2024, 5, 31)), sessions)
    channel = MemoryChannel()
    await tick(app, channel, at(3, 20))
    with transaction(sessions) as s:
        units = {u.name: u.id for u in s.scalars(select(Unit))}
        contacts = {c.unit_id: c.id for c in s.scalars(select(Contact))}
        period = s.scalar(
            select(Period.id)
            .join(Assignment, Assignment.id == Period.assignment_id)
            .join(Task, Task.id == Assignment.task_id)
            .where(Task.number == 1, Assignment.unit_id == units["区工信局"])
        )
        report = submit_report(
            s, period_id=period, contact_id=contacts[units["区工信局"]], status="on_track",
            text="项目完成投资3.2亿元", now=at(3, 21, 10),
        )  # fmt: skip
    return app, channel, report.id, units, contacts[units["区发改局"]]


async def run(app, channel, times) -> list[tuple[dt.datetime, str, str, list[str]]]:
    """(tick, recipient, text, button labels) of each review_overdue digest delivered."""
    out = []
    for now in times:
        before = len(channel.sent)
        await tick(app, channel, now)
        for message in channel.sent[before:]:
            if any(i.kind.value == "review_overdue" for i in message.items):
                labels = [b.label for row in message.buttons for b in row]
                out.append((now, message.name, "\n".join(message.parts), labels))
    return out


async def test_an_unreviewed_report_reminds_the_lead_then_tells_the_office(config, sessions):
    app, channel, _, _, _ = await reported_and_left(config, sessions)
    channel.supports_buttons = True
    chased = await run(app, channel, office_ticks(at(3, 21, 11), at(4, 10)))
    assert [(when, to) for when, to, _, _ in chased] == [
        (at(3, 27), "区发改局"),
        (at(4, 1), "区政府督查室"),
    ]
    to_lead, to_office = chased[0][2], chased[1][2]
    assert "审核超期：进展报告待审核" in to_lead
    # The lead can review right from the reminder (labels name the item: the digest has more).
    assert chased[0][3][:2] == ["通过 1 区工信局", "退回 1"]
    assert (
        "任务1（测试任务1） · 区工信局 3月21日（周四）报送的进展待审核，"
        "审核期限3月26日（周二），已超期1个工作日（牵头：区发改局）"
    ) in to_lead
    assert "审核期限3月26日（周二），已超期4个工作日（牵头：区发改局）" in to_office


async def test_a_review_in_between_drops_the_queued_reminder(config, sessions):
    app, channel, report, _, lead = await reported_and_left(config, sessions)
    await run(app, channel, office_ticks(at(3, 21, 11), at(3, 27)))
    channel.fail_next(Failure(temporary="network down"), times=3)
    assert await run(app, channel, [at(3, 27)]) == []  # the lead's reminder waits for a retry
    with transaction(sessions) as s:
        review_report(s, report_id=report, reviewer_contact_id=lead, accept=True, now=at(3, 27, 10))
    assert await run(app, channel, office_ticks(at(3, 27, 11), at(4, 10))) == []
    with sessions() as s:
        queued = s.scalars(select(OutboxItem).where(OutboxItem.kind == "review_overdue")).all()
    assert [(i.dropped_reason, i.dropped_at) for i in queued] == [
        ("already reviewed", at(3, 27, 11))
    ]


def test_a_designation_request_is_due_three_working_days_after_it_goes_out() -> None:
    cal = WorkCalendar(tz="Asia/Shanghai")
    # A placeholder since Mon 03-18: asked that day at 09:00, due Thu 03-21.
    des = DesignationView(5, 70, 7, "各相关街道办事处", (3,), ("区发改局",), dt.date(2024, 3, 18))
    result = plan(at(3, 18), cal, [], (), [des], designate_within=3)
    (ask,) = result.intents
    assert ask.facts.due == "2024-03-21"
    text = "\n".join(
        Renderer("zh_CN").render_digest(
            recipient_name="区发改局", role="lead", groups=[("designate", [ask.facts.as_item()])]
        )
    )
    assert "· 任务7：请指定各相关街道办事处（3月21日（周四）前）" in text
    assert text.endswith("请发送 /designate 指定相关单位，3月21日（周四）前完成。")
    assert "报送进展" not in text  # not the reporting footer: there is nothing to report here
    english = "\n".join(
        Renderer("en").render_digest(
            recipient_name="区发改局", role="lead", groups=[("designate", [ask.facts.as_item()])]
        )
    )
    assert "Send /designate to name the units, by" in english
