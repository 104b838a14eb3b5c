"""A database as release 0001 wrote it (raw SQL, Telegram integers), upgraded to head: every
contact, invite and sent message keeps its values, as text, on channel 'telegram'. Shared by
tests/test_migrations.py (SQLite) and tests/test_postgres.py (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from db.migrate import alembic_config, upgrade
from db.models import Contact, SentMessage

AT = dt.datetime(2024, 3, 20, 2, 0)  # UTC, as UTCDateTime stores it

# Telegram ids as the release stores them: a user id above 2**32, a group's negative id.
CONTACTS = [
    # id, unit_id, tg_user_id, chat_id, display_name, locale, revoked
    (1, 1, 501, 501, "王工信", "", False),
    (2, 2, 7_000_000_123, 7_000_000_123, "李发改", "en", False),
    (3, 1, 503, 503, "赵旧", "", True),
]
SENT = [
    # id, chat_id, message_id, kind, recipient, period_ids
    (1, 501, 1000, "reminder", "unit:1", "[3, 4]"),
    (2, -1001234567890, 2_147_483_650, "escalation_office", "office", "[]"),
    (3, 7_000_000_123, 1000, "overdue", "unit:2", "[7]"),
]


def upgrade_release_database(engine: Engine) -> None:
    """At revision 0001, filled as the release fills it, upgraded to head: nothing lost."""
    try:
        at_revision_0001(engine)
        write_release_rows(engine)
        check_upgraded(engine)
    finally:
        engine.dispose()


def database_at(engine: Engine, revision: str, statements: list[str]) -> None:
    """The schema of `revision`, holding the rows these raw SQL statements write (as that
    release wrote them), ready to be upgraded to head."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        for statement in statements:
            conn.execute(text(statement))


def at_revision_0001(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")


def write_release_rows(engine: Engine) -> None:
    """What the 0001 release writes: contacts bound by invites, and sent messages."""
    with engine.begin() as conn:
        for uid, name in ((1, "区工信局"), (2, "区发改局")):
            conn.execute(
                text(
                    "INSERT INTO units (id, name, kind, placeholder, from_import, created_at) "
                    "VALUES (:id, :name, 'department', false, false, :at)"
                ),
                {"id": uid, "name": name, "at": AT},
            )
        for cid, unit, user, chat, name, locale, revoked in CONTACTS:
            conn.execute(
                text(
                    "INSERT INTO contacts (id, unit_id, tg_user_id, chat_id, display_name, "
                    "locale, bound_at, revoked_at, unreachable_reason) VALUES (:id, :unit, "
                    ":user, :chat, :name, :locale, :at, :revoked, '')"
                ),
                {
                    "id": cid,
                    "unit": unit,
                    "user": user,
                    "chat": chat,
                    "name": name,
                    "locale": locale,
                    "at": AT,
                    "revoked": AT if revoked else None,
                },
            )
            conn.execute(
                text(
                    "INSERT INTO invites (id, token, unit_id, created_at, expires_at, used_at, "
                    "contact_id) VALUES (:id, :token, :unit, :at, :at, :at, :id)"
                ),
                {"id": cid, "token": f"tok{cid}", "unit": unit, "at": AT},
            )
        for sid, chat, msg, kind, recipient, periods in SENT:
            conn.execute(
                text(
                    "INSERT INTO sent_messages (id, chat_id, message_id, kind, recipient, "
                    "period_ids, sent_at) VALUES (:id, :chat, :msg, :kind, :rcpt, :periods, :at)"
                ),
                {
                    "id": sid,
                    "chat": chat,
                    "msg": msg,
                    "kind": kind,
                    "rcpt": recipient,
                    "periods": periods,
                    "at": AT,
                },
            )


def check_upgraded(engine: Engine) -> None:
    before, after = upgrade(engine)
    assert before == "0001" and after >= "0002"  # head: 0002 and whatever came after
    with engine.connect() as conn:
        contacts = conn.execute(
            text(
                "SELECT id, unit_id, channel, user_address, address, display_name, locale, "
                "revoked_at IS NOT NULL FROM contacts ORDER BY id"
            )
        ).all()
        invites = conn.execute(
            text("SELECT id, token, unit_id, contact_id FROM invites ORDER BY id")
        ).all()
        sent = conn.execute(
            text(
                "SELECT id, channel, address, message_id, kind, recipient, period_ids "
                "FROM sent_messages ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in contacts] == [
        (cid, unit, "telegram", str(user), str(chat), name, locale, revoked)
        for cid, unit, user, chat, name, locale, revoked in CONTACTS
    ]
    assert [tuple(r) for r in invites] == [
        (cid, f"tok{cid}", unit, cid) for cid, unit, *_ in CONTACTS
    ]
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in sent] == [
        (sid, "telegram", str(chat), str(msg), kind, recipient)
        for sid, chat, msg, kind, recipient, _ in SENT
    ]
    assert [_ids(r[6]) for r in sent] == [_ids(periods) for *_, periods in SENT]
    with Session(engine) as session:  # the models read the upgraded rows
        found = session.scalar(select(Contact).where(Contact.user_address == "7000000123"))
        assert found is not None and (found.channel, found.address) == ("telegram", "7000000123")
        reply_to = session.scalar(
            select(SentMessage).where(
                SentMessage.channel == "telegram",
                SentMessage.address == "-1001234567890",
                SentMessage.message_id == "2147483650",
            )
        )
        assert reply_to is not None and reply_to.recipient.key == "office"


def _ids(value: object) -> list[int]:
    return json.loads(value) if isinstance(value, str) else list(value)  # type: ignore[arg-type]
