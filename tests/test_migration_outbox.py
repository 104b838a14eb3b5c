"""Migration 0003 on a database the first release (revision 0001) made: a reminder still
waiting in its outbox — stored then without a payload — gets its frozen facts, and goes out
as that release would have sent it."""

from __future__ import annotations

import datetime as dt
import json

from memory_channel import MemoryChannel
from migration_0002 import database_at
from sqlalchemy import select

from db.engine import make_engine, make_sessionmaker
from db.migrate import upgrade
from db.models import OutboxItem
from duban.wiring import engine_settings
from jobs.delivery import deliver

SH = dt.timezone(dt.timedelta(hours=8))
POLICY = {"remind_before": [3, 1], "remind_on_due": True, "overdue_after": 1,
          "overdue_every": 2, "overdue_times": 3, "lead_after": 2, "office_after": 5,
          "leader_after": 8, "max_attempts": 5}  # fmt: skip
# What revision 0001 held: two units, a task, its assignments, a period, and a 催办 to the
# responsible unit waiting in a pending digest with no payload (the first release rebuilt
# ladder items from their period when it sent them).
FIRST_RELEASE_ROWS = [
    "INSERT INTO units (id, name, kind, placeholder, from_import, created_at) VALUES"
    " (1, '区发改局', 'department', 0, 0, '2024-03-01 00:00:00'),"
    " (2, '区工信局', 'department', 0, 0, '2024-03-01 00:00:00')",
    "INSERT INTO tasks (id, number, section, text, deadline_text, created_at, updated_at)"
    " VALUES (1, 7, '一、测试', '推进重点项目建设，确保年底前完工', '', '2024-03-01 00:00:00',"
    " '2024-03-01 00:00:00')",
    "INSERT INTO assignments (id, task_id, unit_id, role, position, created_at) VALUES"
    " (1, 1, 1, 'lead', 0, '2024-03-01 00:00:00'),"
    " (2, 1, 2, 'responsible', 1, '2024-03-01 00:00:00')",
    "INSERT INTO periods (id, assignment_id, label, starts_on, due_on, state, policy,"
    f" created_at) VALUES (1, 2, '2024-03', '2024-03-01', '2024-03-22', 'open',"
    f" '{json.dumps(POLICY)}', '2024-03-01 00:00:00')",
    "INSERT INTO outbox_digests (id, recipient, state, attempts, created_at, next_attempt_at,"
    " message_ids, delivered_to, last_error) VALUES (1, 'unit:2', 'failed', 1,"
    " '2024-03-25 01:00:00', '2024-03-25 01:01:00', '[]', '[]', 'TimedOut')",
    "INSERT INTO outbox (id, dedupe_key, kind, stage, overdue_days, role, assignment_id,"
    " period_id, recipient, payload, digest_id, due_at) VALUES (1, 'overdue:2:1:1:unit:2',"
    " 'overdue', 1, 1, 'unit', 2, 1, 'unit:2', NULL, 1, '2024-03-25 01:00:00')",
    "INSERT INTO contacts (id, unit_id, tg_user_id, chat_id, display_name, locale, bound_at,"
    " unreachable_reason) VALUES (1, 2, 1001, 1001, '王工信', '', '2024-03-01 00:00:00', '')",
]


async def test_a_first_release_outbox_row_gets_its_facts_and_is_delivered(config, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'first-release.db'}")
    database_at(engine, "0001", FIRST_RELEASE_ROWS)
    before, after = upgrade(engine)
    assert before == "0001" and after != "0001"

    sessions = make_sessionmaker(engine)
    with sessions() as s:
        row = s.scalar(select(OutboxItem))
        assert row.dropped_at is None and row.dropped_reason == ""
        assert row.payload["recipient_name"] == "区工信局"
        assert row.payload["item"] == {
            "task": 7, "title": "推进重点项目建设", "task_id": 1, "unit": "区工信局",
            "unit_id": 2, "role": "responsible", "due": "2024-03-22", "label": "2024-03",
            "leads": ["区发改局"], "stage": 1, "overdue_days": 1, "times": 1, "of": 3,
        }  # fmt: skip
    channel = MemoryChannel(needs_addresses=True)
    at = dt.datetime(2024, 3, 25, 10, 0, tzinfo=SH)
    report = await deliver(sessions, channel, engine_settings(config), at)
    assert report.items_sent == 1 and report.items_dropped == 0
    text_sent = channel.sent[0].parts[0]
    line = "任务7（推进重点项目建设） · 区工信局 · 3月22日（周五）到期，已逾期1个工作日"
    assert line in text_sent
    assert "（第1次催办，共3次）" in text_sent
    engine.dispose()
