"""Upgrading a released database keeps its data (SQLite here; PostgreSQL in test_postgres.py)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from migration_0002 import (
    CONTACTS,
    SENT,
    at_revision_0001,
    upgrade_release_database,
    write_release_rows,
)
from sqlalchemy import create_engine, text

from db.engine import make_engine
from db.migrate import alembic_config, upgrade


def test_0002_keeps_contacts_invites_and_sent_messages(tmp_path: Path) -> None:
    upgrade_release_database(make_engine(f"sqlite:///{tmp_path / 'release.db'}"))


def test_0002_downgrades_to_the_release_ids(tmp_path: Path) -> None:
    """Downgrading (back to the release) gives every Telegram id back as an integer."""
    path = tmp_path / "release.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        at_revision_0001(engine)
        write_release_rows(engine)
        upgrade(engine)
    finally:
        engine.dispose()
    plain = create_engine(f"sqlite:///{path}")  # foreign keys off: batch mode rebuilds tables
    try:
        cfg = alembic_config()
        with plain.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        with plain.connect() as conn:
            contacts = conn.execute(
                text("SELECT id, tg_user_id, chat_id FROM contacts ORDER BY id")
            ).all()
            sent = conn.execute(
                text("SELECT id, chat_id, message_id FROM sent_messages ORDER BY id")
            ).all()
    finally:
        plain.dispose()
    assert [tuple(r) for r in contacts] == [(c[0], c[2], c[3]) for c in CONTACTS]
    assert [tuple(r) for r in sent] == [(m[0], m[1], m[2]) for m in SENT]


def test_0004_keeps_tasks_and_gives_them_no_leaders(tmp_path: Path) -> None:
    """A task of a 0003 database keeps its row; its leaders column is empty, and a downgrade
    drops the column without touching the task."""
    path = tmp_path / "0003.db"
    plain = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    try:
        with plain.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003")
            conn.execute(
                text(
                    "INSERT INTO tasks (id, number, section, text, deadline_text, created_at,"
                    " updated_at) VALUES (1, 7, '一、测试', '推进项目', '',"
                    " '2024-03-01 00:00:00', '2024-03-01 00:00:00')"
                )
            )
            command.upgrade(cfg, "head")
        with plain.connect() as conn:
            assert conn.execute(text("SELECT number, text, leaders FROM tasks")).all() == [
                (7, "推进项目", "")
            ]
        with plain.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        with plain.connect() as conn:
            assert conn.execute(text("SELECT number, text FROM tasks")).all() == [(7, "推进项目")]
    finally:
        plain.dispose()


def test_0005_settles_what_a_later_report_already_answered(tmp_path: Path) -> None:
    """A unit that missed March and reported April before the upgrade: March becomes missed
    (no longer overdue); a unit that reported nothing since keeps its March open."""
    engine = make_engine(f"sqlite:///{tmp_path / 'release.db'}")
    cfg = alembic_config()
    policy = "'{}'"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        for statement in (
            "INSERT INTO units (id, name, kind, placeholder, from_import, created_at) VALUES"
            " (1, '区工信局', 'department', 0, 0, '2024-03-01'),"
            " (2, '区商务局', 'department', 0, 0, '2024-03-01')",
            "INSERT INTO tasks (id, number, section, text, deadline_text, created_at, updated_at)"
            " VALUES (1, 7, '一、测试', '推进重点项目建设', '', '2024-03-01', '2024-03-01')",
            "INSERT INTO assignments (id, task_id, unit_id, role, position, created_at) VALUES"
            " (1, 1, 1, 'responsible', 0, '2024-03-01'), (2, 1, 2, 'responsible', 1, '2024-03-01')",
            "INSERT INTO periods (id, assignment_id, label, starts_on, due_on, state, policy,"
            " created_at) VALUES"
            f" (1, 1, '2024-03', '2024-03-01', '2024-03-25', 'open', {policy}, '2024-03-01'),"
            f" (2, 1, '2024-04', '2024-04-01', '2024-04-25', 'submitted', {policy}, '2024-04-01'),"
            f" (3, 2, '2024-03', '2024-03-01', '2024-03-25', 'open', {policy}, '2024-03-01')",
            "INSERT INTO reports (id, period_id, submitted_at, status, text, late, source,"
            " review_state, review_comment) VALUES"
            " (1, 2, '2024-04-20 02:00:00.000000', 'on_track', '四月进展', 0, 'chat',"
            " 'pending', '')",
        ):
            conn.execute(text(statement))
    upgrade(engine)
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, state FROM periods")).all())
    engine.dispose()
    assert states == {1: "missed", 2: "submitted", 3: "open"}
