"""Migration 0007 on a database revision 0003 wrote (upgraded through 0004–0006): the units of a
task already 办结 are done as of its confirmation, and a report awaiting review is chased."""

from __future__ import annotations

import datetime as dt

from migration_0002 import database_at
from sqlalchemy import select

from db.engine import make_engine, make_sessionmaker
from db.migrate import upgrade
from db.models import Assignment, Report

ROWS_0003 = [
    "INSERT INTO units (id, name, kind, placeholder, from_import, created_at) VALUES"
    " (1, '区发改局', 'department', 0, 0, '2024-03-01 00:00:00'),"
    " (2, '区工信局', 'department', 0, 0, '2024-03-01 00:00:00')",
    "INSERT INTO tasks (id, number, section, text, deadline_text, created_at, updated_at)"
    " VALUES (1, 7, '一、测试', '已办结的任务', '', '2024-03-01 00:00:00', '2024-03-01 00:00:00'),"
    " (2, 8, '一、测试', '进行中的任务', '', '2024-03-01 00:00:00', '2024-03-01 00:00:00')",
    "INSERT INTO assignments (id, task_id, unit_id, role, position, created_at) VALUES"
    " (1, 1, 1, 'lead', 0, '2024-03-01 00:00:00'),"
    " (2, 1, 2, 'responsible', 1, '2024-03-01 00:00:00'),"
    " (3, 2, 1, 'lead', 0, '2024-03-01 00:00:00'),"
    " (4, 2, 2, 'responsible', 1, '2024-03-01 00:00:00')",
    "INSERT INTO completions (id, task_id, claimed_at, note, state, decided_by, decided_at)"
    " VALUES (1, 1, '2024-04-01 02:00:00', '', 'confirmed', 'office', '2024-04-02 03:00:00')",
    "INSERT INTO periods (id, assignment_id, label, starts_on, due_on, state, policy,"
    " created_at) VALUES (1, 4, '2024-03', '2024-03-01', '2024-03-25', 'submitted', '{}',"
    " '2024-03-01 00:00:00')",
    "INSERT INTO reports (id, period_id, submitted_at, status, text, late, source, review_state,"
    " review_comment) VALUES (1, 1, '2024-03-21 02:00:00', 'on_track', '按计划推进', 0, 'chat',"
    " 'pending', ''), (2, 1, '2024-03-20 02:00:00', 'on_track', '旧的', 0, 'chat',"
    " 'accepted', '')",
]


def test_0007_marks_closed_tasks_done_and_chases_pending_reviews(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'at-0003.db'}")
    database_at(engine, "0003", ROWS_0003)
    before, _ = upgrade(engine)
    assert before == "0003"
    with make_sessionmaker(engine)() as s:
        done = {a.id: a.done_at for a in s.scalars(select(Assignment))}
        checks = {r.id: r.review_check_at for r in s.scalars(select(Report))}
    closed_at = dt.datetime(2024, 4, 2, 3, 0, tzinfo=dt.UTC)
    assert done == {1: closed_at, 2: closed_at, 3: None, 4: None}
    assert checks == {1: dt.datetime(2024, 3, 21, 2, 0, tzinfo=dt.UTC), 2: None}
    engine.dispose()
