"""contact identity as (channel, address)

Contacts and sent messages no longer hold bare Telegram integers: a contact is
(channel, user_address) and is written to at (channel, address); a sent message is
(channel, address, message_id), all text. Existing rows keep their values (as text) and get
channel 'telegram', the only channel before this revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


TEXT = sa.String(length=100)
CHANNEL = sa.String(length=20)


def _add_filled(table: str, columns: dict[str, tuple[sa.types.TypeEngine, str]]) -> None:
    """New columns, filled from the old ones by one UPDATE (name → (type, SQL value)); they
    are still nullable: the caller makes them required once the old columns are gone."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, (type_, _value) in columns.items():
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    values = ", ".join(f"{name} = {value}" for name, (_type, value) in columns.items())
    op.execute(f"UPDATE {table} SET {values}")


def _settle_sent_messages(converted: str, key: dict[str, sa.types.TypeEngine]) -> None:
    """The converted copy of message_id takes its name; the key columns (message_id last)
    become required and unique together again. The constraint needs a batch of its own: one
    created in the renaming batch is silently left out of SQLite's rebuilt table."""
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        for name, type_ in key.items():
            if name == "message_id":
                batch_op.alter_column(
                    converted, new_column_name=name, existing_type=type_, nullable=False
                )
            else:
                batch_op.alter_column(name, existing_type=type_, nullable=False)
    columns = [*(name for name in key if name != "message_id"), "message_id"]
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.create_unique_constraint(f"uq_sent_messages_{'_'.join(columns)}", columns)


def upgrade() -> None:
    _add_filled(
        "contacts",
        {
            "channel": (CHANNEL, "'telegram'"),
            "user_address": (TEXT, "CAST(tg_user_id AS VARCHAR(100))"),
            "address": (TEXT, "CAST(chat_id AS VARCHAR(100))"),
        },
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("channel", existing_type=CHANNEL, nullable=False)
        batch_op.alter_column("user_address", existing_type=TEXT, nullable=False)
        batch_op.alter_column("address", existing_type=TEXT, nullable=False)
        batch_op.drop_index("ix_contacts_tg_user_id")
        batch_op.create_index("ix_contacts_user_address", ["user_address"], unique=False)
        batch_op.drop_column("tg_user_id")
        batch_op.drop_column("chat_id")

    _add_filled(
        "sent_messages",
        {
            "channel": (CHANNEL, "'telegram'"),
            "address": (TEXT, "CAST(chat_id AS VARCHAR(100))"),
            "message_text_id": (TEXT, "CAST(message_id AS VARCHAR(100))"),
        },
    )
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sent_messages_chat_id_message_id", type_="unique")
        batch_op.drop_column("chat_id")
        batch_op.drop_column("message_id")
    _settle_sent_messages(
        "message_text_id",
        {"message_id": TEXT, "channel": CHANNEL, "address": TEXT},
    )


def downgrade() -> None:
    """Back to Telegram integers: only rows of channel 'telegram' can go back."""
    op.execute("DELETE FROM sent_messages WHERE channel <> 'telegram'")
    _add_filled(
        "sent_messages",
        {
            "chat_id": (sa.BigInteger(), "CAST(address AS BIGINT)"),
            "message_int_id": (sa.BigInteger(), "CAST(message_id AS BIGINT)"),
        },
    )
    with op.batch_alter_table("sent_messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sent_messages_channel_address_message_id", type_="unique")
        batch_op.drop_column("channel")
        batch_op.drop_column("address")
        batch_op.drop_column("message_id")
    _settle_sent_messages(
        "message_int_id", {"message_id": sa.BigInteger(), "chat_id": sa.BigInteger()}
    )

    # A contact of another channel has no Telegram ids: it cannot be kept in the old schema
    # (its invites and button tokens still name it, so it stays, with the ids of nobody: 0).
    telegram = "CASE WHEN channel = 'telegram' THEN CAST({} AS BIGINT) ELSE 0 END"
    _add_filled(
        "contacts",
        {
            "tg_user_id": (sa.BigInteger(), telegram.format("user_address")),
            "chat_id": (sa.BigInteger(), telegram.format("address")),
        },
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("tg_user_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_index("ix_contacts_user_address")
        batch_op.create_index("ix_contacts_tg_user_id", ["tg_user_id"], unique=False)
        batch_op.drop_column("channel")
        batch_op.drop_column("user_address")
        batch_op.drop_column("address")
