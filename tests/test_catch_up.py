"""A first tick long after import (catch-up), and a digest too long to read item by item.

What a contact would notice: a 催办 for a period due in March, sent in June, says how many
working days late it really is and that it is the first 催办 (第1次), not the ladder's stage;
the items come oldest first; a 45-item digest arrives as one summary message."""

from __future__ import annotations

import datetime as dt
import re

import chinese_calendar
from engine_fixtures import App, add_table, with_window
from memory_channel import MemoryChannel
from sqlalchemy import select

from db.contracts import Facts, MessageKind, Recipient, dedupe_key
from db.engine import transaction
from db.models import Contact, Unit
from duban.wiring import engine_settings
from jobs.delivery import deliver
from jobs.outbox import enqueue
from jobs.tick import tick

SH = dt.timezone(dt.timedelta(hours=8))
ITEM = re.compile(
    r"任务(\d+).*?· (\d+)月(\d+)日（周.）到期，已逾期(\d+)个工作日(?:（第(\d+)次催办)?"
)


def workdays_after(due: dt.date, day: dt.date) -> int:
    """Counted here on chinesecalendar, day by day: working days after `due` up to `day`."""
    n = 0
    while due < day:
        due += dt.timedelta(days=1)
        n += chinese_calendar.is_workday(due)
    return n


def unit_named(sessions, name: str) -> int:
    with sessions() as s:
        return s.scalar(select(Unit.id).where(Unit.name == name))


def lines_for(channel: MemoryChannel, recipient: Recipient) -> list[re.Match[str]]:
    return [
        m
        for message in channel.sent
        if message.recipient == recipient
        for part in message.parts
        for m in ITEM.finditer(part)
    ]


async def test_a_catch_up_months_after_import_shows_true_ages_and_first_notices(config, sessions):
    # Imported for March–July 2024; the first tick runs on Monday 17 June.
    cfg = with_window(config, dt.date(2024, 3, 1), dt.date(2024, 7, 31))
    add_table(sessions)
    channel = MemoryChannel()
    june_17 = dt.datetime(2024, 6, 17, 9, 0, tzinfo=SH)
    report = await tick(App(cfg, sessions), channel, june_17)
    assert report.delivery.items_sent

    gx = Recipient.unit(unit_named(sessions, "区工信局"))
    notices = lines_for(channel, gx)
    # 区工信局 is responsible on task 1 and leads task 2: March, April, May of each are late.
    assert sorted({(int(m[1]), int(m[2])) for m in notices}) == [
        (1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5),
    ]  # fmt: skip
    for m in notices:
        due = dt.date(2024, int(m[2]), int(m[3]))
        assert int(m[4]) == workdays_after(due, june_17.date()), m[0]
        assert m[5] == "1", m[0]  # the first 催办 this unit ever got for that period
    assert workdays_after(dt.date(2024, 3, 25), june_17.date()) > 50  # months, not "2"
    text = "\n".join(p for msg in channel.sent if msg.recipient == gx for p in msg.parts)
    assert "第3次催办" not in text and "第2次催办" not in text
    # Oldest first within the heading: March before April before May.
    dues = [(int(m[2]), int(m[3])) for m in notices if m[1] == "1"]
    assert dues == sorted(dues)

    # The lead and the office see the same true ages.
    fagai = Recipient.unit(unit_named(sessions, "区发改局"))
    office = [m for m in channel.sent if m.recipient.key == "office"]
    assert office
    for recipient_lines in (lines_for(channel, fagai), [
        m for msg in office for part in msg.parts for m in ITEM.finditer(part)
    ]):  # fmt: skip
        assert recipient_lines
        for m in recipient_lines:
            due = dt.date(2024, int(m[2]), int(m[3]))
            assert int(m[4]) == workdays_after(due, june_17.date()), m[0]
    # Delivered items carry the same integer (what simulate's jsonl prints).
    for message in report.delivery.delivered:
        for item in message.items:
            if item.kind is MessageKind.OVERDUE:
                due = dt.date.fromisoformat(item.facts.due)
                assert item.facts.overdue_days == workdays_after(due, june_17.date())


async def test_notices_are_counted_from_what_was_sent(config, sessions):
    """June's own ladder, ticked every working day: 第1次, 第2次, 第3次; a digest that waited
    two days to go out says the age of the day it went."""
    cfg = with_window(config, dt.date(2024, 6, 1), dt.date(2024, 7, 31))
    add_table(sessions)
    app = App(cfg, sessions)
    channel = MemoryChannel()
    gx = Recipient.unit(unit_named(sessions, "区工信局"))
    day = dt.date(2024, 6, 20)
    seen = []
    while day <= dt.date(2024, 7, 5):
        if chinese_calendar.is_workday(day):
            before = len(channel.sent)
            await tick(app, channel, dt.datetime.combine(day, dt.time(9), SH))
            for message in channel.sent[before:]:
                if message.recipient == gx:
                    seen += [(day, m) for part in message.parts for m in ITEM.finditer(part)]
        day += dt.timedelta(days=1)
    task1 = [(day, m) for day, m in seen if m[1] == "1"]
    assert [m[5] for _, m in task1] == ["1", "2", "3"]
    for day, m in task1:  # due Tue 25 June
        assert int(m[4]) == workdays_after(dt.date(2024, 6, 25), day)


async def test_a_notice_delivered_later_says_its_age_on_the_day_it_went(config, sessions):
    gx = unit_named(sessions, "区工信局")
    with transaction(sessions) as s:
        s.add(Contact(unit_id=gx, user_address="7", address="7"))
        enqueue(
            s,
            kind=MessageKind.OVERDUE,
            recipient=Recipient.unit(gx),
            role="unit",
            # Planned on Wed 26 June, one working day after the due date …
            facts=Facts(task=1, unit="区工信局", due="2024-06-25", overdue_days=1),
            dedupe_key=dedupe_key(MessageKind.OVERDUE, Recipient.unit(gx), scope=(1, "x")),
            due_at=dt.datetime(2024, 6, 26, 9, tzinfo=SH),
        )
    channel = MemoryChannel(needs_addresses=True)
    settings = engine_settings(config)
    cal = App(config, sessions).calendar
    # … but the channel was down until Monday 1 July.
    await deliver(sessions, channel, settings, dt.datetime(2024, 7, 1, 10, tzinfo=SH), cal=cal)
    (m,) = ITEM.finditer(channel.sent[0].parts[0])
    assert int(m[4]) == workdays_after(dt.date(2024, 6, 25), dt.date(2024, 7, 1)) == 4


async def test_a_45_item_digest_is_one_summary_message(config, sessions):
    gx = unit_named(sessions, "区工信局")
    with transaction(sessions) as s:
        s.add(Contact(unit_id=gx, user_address="7", address="7"))
        english = Contact(unit_id=gx, user_address="8", address="8")
        english.locale = "en"
        s.add(english)
        for task in range(1, 46):
            due = dt.date(2024, 3 + task % 3, 10 + task % 7)
            section = "一、优结构" if task <= 30 else "二、促转型"
            enqueue(
                s,
                kind=MessageKind.OVERDUE,
                recipient=Recipient.unit(gx),
                role="unit",
                facts=Facts(
                    task=task,
                    unit="区工信局",
                    due=due.isoformat(),
                    section=section,
                    overdue_days=3,
                    title=f"第{task}项工作",
                ),
                dedupe_key=dedupe_key(MessageKind.OVERDUE, Recipient.unit(gx), scope=(task, "x")),
                due_at=dt.datetime(2024, 6, 17, 9, tzinfo=SH),
            )
    channel = MemoryChannel(needs_addresses=True)
    report = await deliver(
        sessions, channel, engine_settings(config), dt.datetime(2024, 6, 17, 10, tzinfo=SH)
    )
    zh, en = sorted(channel.sent, key=lambda m: m.locale != "zh_CN")
    (text,) = zh.parts  # one message, not a dozen parts
    assert len(text) <= 4096
    assert "共 45 项事项" in text and "超过30项" in text
    assert "· <b>催办：已逾期，请尽快报送</b>（45项）" in text
    assert "· 区工信局：45项，最早3月10日（周日）到期" in text
    assert "· 一、优结构：30项" in text and "· 二、促转型：15项" in text
    assert "督办台账" in text and "/tasks" in text
    listed = [int(n) for n in re.findall(r"任务(\d+)", text)]
    # The ten with the earliest due dates, oldest first (due = 3+task%3 month, 10+task%7 day).
    dues = {t: (3 + t % 3, 10 + t % 7, t) for t in range(1, 46)}
    assert listed == sorted(dues, key=lambda t: dues[t])[:10]
    # Every item went out (a reply to the summary is about all 45).
    assert report.items_sent == 45 and len(report.delivered[0].items) == 45
    (english_text,) = en.parts
    assert "More than 30 items" in english_text and "区工信局: 45 items" in english_text
    assert re.findall(r"Task (\d+)", english_text) == [str(t) for t in listed]
