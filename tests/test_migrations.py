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
