"""The deliverer: one digest per recipient per tick, splitting, retries, dead items,
unreachable chats, crash recovery. Outbox rows are written with jobs.outbox.enqueue."""

from __future__ import annotations

import datetime as dt
import re

from engine_fixtures import App
from memory_channel import Failure, MemoryChannel
from sqlalchemy import func, select

from db.contracts import Facts, MessageKind, Recipient, dedupe_key
from db.engine import transaction
from db.models import Contact, Digest, OutboxItem, SentMessage, Task, Unit
from db.models.outbox import DEAD, FAILED, PENDING, SENDING, SENT
from duban.config import DigestConfig
from duban.wiring import engine_settings
from jobs.delivery import deliver, recover_stale
from jobs.outbox import enqueue
from jobs.tick import plan_due

SH = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2024, 3, 22, 9, 0, tzinfo=SH)


def unit_id(sessions, name: str) -> int:
    with sessions() as s:
        return s.scalar(select(Unit.id).where(Unit.name == name))


def add_contact(sessions, unit: int, chat: int, locale: str = "") -> int:
    with transaction(sessions) as s:
        c = Contact(
            unit_id=unit, user_address=str(chat), address=str(chat), display_name=f"c{chat}"
        )
        c.locale = locale
        s.add(c)
        s.flush()
        return c.id


def put(
    sessions, kind: str, recipient: Recipient, task: int, unit: str = "区工信局", **extra
) -> None:
    """Queue a notice with these facts (no period: nothing for the re-check to compare)."""
    role = extra.pop("role", "unit")
    due_at = extra.pop("due_at", NOW)
    with transaction(sessions) as s:
        enqueue(
            s,
            kind=MessageKind(kind),
            recipient=recipient,
            role=role,
            facts=Facts.from_json({"task": task, "unit": unit, "due": "2024-03-22", **extra}),
            recipient_name=unit,
            dedupe_key=dedupe_key(MessageKind(kind), recipient, scope=(task, "x")),
            due_at=due_at,
        )


def problem_items(session) -> list[OutboxItem]:
    """What `duban outbox` lists: items of dead, failed and stuck digests, newest first."""
    return list(
        session.scalars(
            select(OutboxItem)
            .join(Digest, Digest.id == OutboxItem.digest_id)
            .where(Digest.state.in_((DEAD, FAILED, SENDING)))
            .order_by(OutboxItem.due_at.desc(), OutboxItem.id.desc())
        )
    )


def test_a_notice_joins_the_open_digest(config, sessions):
    """A pending digest goes out at the earliest due time of its items; a failed one keeps its
    backoff; either way the recipient keeps one open digest."""
    hour = dt.timedelta(hours=1)

    def digests() -> list[tuple[str, dt.datetime, int]]:
        with sessions() as s:
            return [
                (d.state, d.next_attempt_at, len(set(s.scalars(select(OutboxItem.digest_id)))))
                for d in s.scalars(select(Digest))
            ]

    put(sessions, "review_request", Recipient.unit(1), 1, due_at=NOW + 2 * hour)
    put(sessions, "review_request", Recipient.unit(1), 2, due_at=NOW + hour)  # earlier: moves it
    put(sessions, "review_request", Recipient.unit(1), 3, due_at=NOW + 3 * hour)  # later: stays
    assert digests() == [(PENDING, NOW + hour, 1)]
    with transaction(sessions) as s:
        s.execute(Digest.__table__.update().values(state=FAILED, next_attempt_at=NOW + 5 * hour))
    put(sessions, "review_request", Recipient.unit(1), 4, due_at=NOW)
    assert digests() == [(FAILED, NOW + 5 * hour, 1)]


def states(sessions) -> dict[str, str]:
    with sessions() as s:
        return {r.dedupe_key: r.state for r in s.scalars(select(OutboxItem))}


async def test_one_digest_per_recipient_most_severe_first(config, sessions):
    gx = unit_id(sessions, "区工信局")
    fg = unit_id(sessions, "区发改局")
    add_contact(sessions, gx, 1001)
    add_contact(sessions, gx, 1002)
    add_contact(sessions, fg, 2001)
    put(sessions, "reminder", Recipient.unit(gx), 3)
    put(sessions, "overdue", Recipient.unit(gx), 5, days_late=2)
    put(sessions, "due", Recipient.unit(gx), 4)
    put(sessions, "escalation_lead", Recipient.unit(fg), 5, role="lead")
    channel = MemoryChannel(needs_addresses=True)
    report = await deliver(sessions, channel, engine_settings(config), NOW)

    assert len(channel.sent) == 2  # one message per recipient, not per item
    by_name = {m.name: m for m in channel.sent}
    gx_msg = by_name["区工信局"]
    assert gx_msg.kind == "overdue"
    assert gx_msg.addresses == ("1001", "1002")
    text = gx_msg.parts[0]
    assert text.index("催办") < text.index("今日到期") < text.index("提醒")
    assert "3月22日（周五）" in text
    assert by_name["区发改局"].kind == "escalation_lead"
    assert set(states(sessions).values()) == {SENT}
    assert report.items_sent == 4
    with sessions() as s:
        sent = s.scalars(select(SentMessage)).all()
        assert {(m.channel, m.address) for m in sent} == {
            ("telegram", "1001"),
            ("telegram", "1002"),
            ("telegram", "2001"),
        }
        row = s.scalar(select(OutboxItem).where(OutboxItem.kind == "overdue"))
        assert sorted(chat for chat, _ in row.message_ids) == ["1001", "1002"]

    # The same tick again sends nothing.
    again = await deliver(sessions, channel, engine_settings(config), NOW)
    assert again.delivered == [] and len(channel.sent) == 2


async def test_long_digest_splits_between_items(config, sessions):
    """Up to [digest] max_items items are listed one by one (here raised to 200; above it
    the digest is a summary, tests/test_catch_up.py)."""
    gx = unit_id(sessions, "区工信局")
    add_contact(sessions, gx, 1001)
    for task in range(1, 121):
        late = task % 5 + 1
        put(sessions, "overdue", Recipient.unit(gx), task, title="推进" * 20, days_late=late)
    channel = MemoryChannel(needs_addresses=True)
    config = config.model_copy(update={"digest": DigestConfig(max_items=200)})
    await deliver(sessions, channel, engine_settings(config), NOW)

    assert len(channel.sent) == 1
    parts = channel.sent[0].parts
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    seen = []
    for part in parts:
        assert part.count("<b>") == part.count("</b>")  # never cut inside a tag
        seen += [int(n) for n in re.findall(r"任务(\d+)", part)]
    assert seen == list(range(1, 121))  # every item once, in order, none cut apart


async def test_user_text_is_escaped(config, sessions):
    gx = unit_id(sessions, "区工信局")
    add_contact(sessions, gx, 1001)
    put(sessions, "returned", Recipient.unit(gx), 9, comment="<b>不合格</b> & 重报")
    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(config), NOW)
    text = channel.sent[0].parts[0]
    assert "&lt;b&gt;不合格&lt;/b&gt; &amp; 重报" in text


async def test_contact_locale_gets_english(config, sessions):
    gx = unit_id(sessions, "区工信局")
    add_contact(sessions, gx, 1001)
    add_contact(sessions, gx, 1002, locale="en")
    put(sessions, "reminder", Recipient.unit(gx), 3)
    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(config), NOW)
    texts = {m.addresses: m.parts[0] for m in channel.sent}
    assert "3月22日（周五）" in texts[("1001",)]
    assert "Fri 22 Mar" in texts[("1002",)]


async def test_temporary_errors_back_off_then_die(config, sessions):
    gx = unit_id(sessions, "区工信局")
    add_contact(sessions, gx, 1001)
    put(sessions, "overdue", Recipient.unit(gx), 5)
    channel = MemoryChannel(needs_addresses=True)
    channel.fail_next(Failure(temporary="network down"), times=2)

    await deliver(sessions, channel, engine_settings(config), NOW)
    with sessions() as s:
        row = s.scalar(select(OutboxItem))
        assert (row.state, row.attempts) == (FAILED, 1)
        first_retry = row.next_attempt_at
    assert first_retry > NOW
    # Not yet due again: nothing is attempted.
    await deliver(sessions, channel, engine_settings(config), NOW + dt.timedelta(seconds=10))
    assert channel.attempts == 1
    await deliver(sessions, channel, engine_settings(config), first_retry)
    with sessions() as s:
        row = s.scalar(select(OutboxItem))
        assert (row.state, row.attempts) == (FAILED, 2)
        assert row.next_attempt_at - first_retry > first_retry - NOW  # the wait grows
    await deliver(sessions, channel, engine_settings(config), row.next_attempt_at)
    assert states(sessions) == {row.dedupe_key: SENT}
    assert len(channel.sent) == 1

    # A server's retry_after is respected.
    put(sessions, "overdue", Recipient.unit(gx), 6)
    channel.fail_next(Failure(temporary="429", retry_after=7200))
    await deliver(sessions, channel, engine_settings(config), NOW)
    with sessions() as s:
        row = s.scalar(select(OutboxItem).where(OutboxItem.state == FAILED))
        assert row.next_attempt_at >= NOW + dt.timedelta(seconds=7200)

    # After max_attempts the item is dead and listed, never dropped silently.
    channel.fail_next(Failure(temporary="still down"), times=100)
    at = NOW
    for _ in range(config.escalation.max_attempts + 2):
        at += dt.timedelta(days=1)
        await deliver(sessions, channel, engine_settings(config), at)
    with sessions() as s:
        listed = problem_items(s)
        assert [(r.kind, r.state) for r in listed] == [("overdue", DEAD)]
        assert listed[0].attempts == config.escalation.max_attempts
        assert "still down" in listed[0].last_error


async def test_blocked_chat_marks_contact_and_tells_office(config, sessions):
    gx = unit_id(sessions, "区工信局")
    c1 = add_contact(sessions, gx, 1001)
    add_contact(sessions, gx, 1002)
    put(sessions, "overdue", Recipient.unit(gx), 5)
    channel = MemoryChannel()  # the office has no chats in the example config
    channel.blocked["1001"] = "Forbidden: bot was blocked by the user"
    report = await deliver(sessions, channel, engine_settings(config), NOW)

    assert report.unreachable_contacts == 1
    with sessions() as s:
        contact = s.get(Contact, c1)
        assert contact.unreachable_at is not None
        assert "blocked" in contact.unreachable_reason
    # The other contact got it; the office's digest in the same tick names the unit.
    assert [m.name for m in channel.sent] == ["区工信局", "区政府督查室"]
    office = channel.sent[1]
    assert office.kind == "unreachable" and "区工信局" in office.parts[0]

    # Next time only the reachable contact is addressed.
    put(sessions, "overdue", Recipient.unit(gx), 6)
    await deliver(sessions, channel, engine_settings(config), NOW + dt.timedelta(hours=1))
    assert channel.sent[-1].addresses == ("1002",)


async def test_unit_without_contact_is_undeliverable_not_retried(config, sessions):
    gx = unit_id(sessions, "区工信局")
    put(sessions, "overdue", Recipient.unit(gx), 5)
    put(sessions, "due", Recipient.unit(gx), 6)
    channel = MemoryChannel(needs_addresses=True)
    report = await deliver(sessions, channel, engine_settings(config), NOW)
    # Both items, and the office's note about them: the example config gives the office no chat.
    assert report.undeliverable == 3
    assert channel.sent == []
    with sessions() as s:
        rows = s.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        assert [r.state for r in rows[:2]] == [DEAD, DEAD]
        assert "no active, reachable contact" in rows[0].last_error
        note = rows[2]
        assert (note.kind, note.recipient) == ("unreachable", Recipient.office())
        assert note.payload["item"]["unit"] == "区工信局"
        assert note.payload["item"]["lost"] == 2
        assert note.state == DEAD and "office.chat_ids" in note.last_error
    # Later ticks don't retry them.
    await deliver(sessions, channel, engine_settings(config), NOW + dt.timedelta(days=1))
    assert channel.attempts == 0


async def test_office_gets_the_unreachable_note_when_it_has_a_chat(config, sessions):
    cfg = config.model_copy(
        update={"office": config.office.model_copy(update={"chat_ids": [9000]})}
    )
    gx = unit_id(sessions, "区工信局")
    put(sessions, "overdue", Recipient.unit(gx), 5)
    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(cfg), NOW)
    assert len(channel.sent) == 1
    msg = channel.sent[0]
    assert msg.addresses == ("9000",) and msg.kind == "unreachable"
    assert "区工信局" in msg.parts[0] and "1条消息未能送达" in msg.parts[0]


async def test_rows_stuck_in_sending_are_recovered(config, sessions):
    gx = unit_id(sessions, "区工信局")
    add_contact(sessions, gx, 1001)
    put(sessions, "overdue", Recipient.unit(gx), 5)
    with transaction(sessions) as s:  # as if killed between claim and record
        s.scalar(select(Digest)).state = SENDING
    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(config), NOW)
    assert channel.sent == []  # a claimed digest is not touched by a second deliverer
    assert recover_stale(sessions) == 1
    assert set(states(sessions).values()) == {PENDING}
    await deliver(sessions, channel, engine_settings(config), NOW)
    assert len(channel.sent) == 1


async def test_a_stale_digest_merges_into_the_one_opened_after_the_crash(config, sessions):
    """Killed while sending; later notices opened a new digest for the same unit. On start the
    two become one digest: one message with both items, none lost."""
    gx = unit_id(sessions, "区工信局")
    add_contact(sessions, gx, 1001)
    put(sessions, "overdue", Recipient.unit(gx), 5)
    with transaction(sessions) as s:
        s.scalar(select(Digest)).state = SENDING
    put(sessions, "escalation_lead", Recipient.unit(gx), 6, role="lead")
    with sessions() as s:
        assert s.scalar(select(func.count(Digest.id))) == 2
    assert recover_stale(sessions) == 1
    with sessions() as s:
        assert s.scalar(select(func.count(Digest.id))) == 1
    channel = MemoryChannel(needs_addresses=True)
    report = await deliver(sessions, channel, engine_settings(config), NOW)
    assert len(channel.sent) == 1 and report.items_sent == 2
    assert set(states(sessions).values()) == {SENT}


def _planned_period(sessions, due: dt.date) -> int:
    import factories

    with transaction(sessions) as s:
        task = factories.add_task(
            s, 7, "推进重点项目建设，确保年底前完工", units=("区发改局", "区工信局")
        )
        period = factories.add_period(s, task, "区工信局", due)
        period.next_check_at = dt.datetime.combine(due, dt.time(0), SH)  # the planner looks now
        return period.id


async def test_a_notice_says_what_was_true_when_it_was_planned(config, sessions):
    """Outbox items are self-contained: each carries the facts frozen when it was planned, and
    a digest delivered later (a retry, a restart) renders exactly those."""
    _planned_period(sessions, dt.date(2024, 3, 29))
    at = dt.datetime(2024, 4, 8, 9, 0, tzinfo=SH)  # overdue: 催办 to the unit, 督办 to the lead
    plan_due(App(config, sessions), at)
    with transaction(sessions) as s:  # the task is renamed after the notices were queued
        s.scalar(select(Task).where(Task.number == 7)).text = "另一个标题，后来改的"
        for contact_unit in ("区发改局", "区工信局"):
            uid = s.scalar(select(Unit.id).where(Unit.name == contact_unit))
            s.add(Contact(unit_id=uid, user_address=str(uid), address=str(5000 + uid)))
    with sessions() as s:
        items = {r.kind: r.payload["item"] for r in s.scalars(select(OutboxItem))}
    assert {"overdue", "escalation_lead"} <= set(items)
    assert items["overdue"]["title"] == "推进重点项目建设" and items["overdue"]["of"] == 3
    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(config), at)
    texts = {m.kind: m.parts[0] for m in channel.sent}
    assert "任务7（推进重点项目建设）" in texts["overdue"]
    assert "任务7（推进重点项目建设）" in texts["escalation_lead"]


async def test_duban_outbox_lists_what_could_not_be_delivered(config, sessions, tmp_path, capsys):
    from duban.cli import main
    from duban.config import example_config_path

    _planned_period(sessions, dt.date(2024, 3, 29))
    at = dt.datetime(2024, 4, 8, 9, 0, tzinfo=SH)
    plan_due(App(config, sessions), at)
    # Nobody of either unit has a chat: the digests die at once and the office is told.
    channel = MemoryChannel(needs_addresses=True)
    report = await deliver(sessions, channel, engine_settings(config), at)
    assert report.undeliverable >= 2
    path = tmp_path / "config.toml"
    path.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--config", str(path), "outbox"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("outbox: dead ")
    assert "区工信局 / overdue / task 7 区工信局" in out
    assert "区发改局 / escalation_lead / task 7 区工信局" in out
    assert "undeliverable: no active, reachable contact" in out
