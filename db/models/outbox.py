"""The outbox: every notice duban means to send, unique by its dedupe key, and the digests
that carry them.

An OutboxItem is one notice (kind, assignment, period, stage, recipient) with its frozen
facts: written once, when planned; only a drop at claim time (it no longer holds) marks it.
The delivery state lives on its Digest: all of one recipient's waiting items are one
digest, so a busy tick that sends 100 000 items in 2 000 messages writes 2 000 delivery
states, not 100 000. Each recipient has at most one *open* digest (pending or
failed: a partial unique index), which new items join until it is claimed for sending.

Reading an item's `state`, `attempts`, `next_attempt_at`, `sent_at`, `message_ids` or
`last_error` reads its digest's (column properties), so an item still answers "was I sent?".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from db.contracts import Recipient, RecipientColumn
from db.models.base import Base
from db.models.contacts import TELEGRAM
from db.types import UTCDateTime, utcnow

PENDING = "pending"
SENDING = "sending"  # claimed by a deliverer; put back to pending if found stale on start
SENT = "sent"
FAILED = "failed"  # will be retried at next_attempt_at
# Some of the recipient's chats got it, then a temporary error: retried at next_attempt_at to
# the chats not in delivered_to only. Closed to new items (they would reach the others twice).
PARTIAL = "partial"
DEAD = "dead"  # gave up after max attempts: listed, never silently dropped
DROPPED = "dropped"  # every item no longer held when claimed (see OutboxItem.dropped_reason)
# Shown on a console (`duban tick --console`), delivered to nobody: closed to new items and
# not printed again; a deliverer with a real channel reopens it on start (claim.reopen_printed)
# and sends it after the re-check.
PRINTED = "printed"
OPEN_STATES = (PENDING, FAILED)  # a digest new items may still join
DUE_STATES = (PENDING, FAILED, PARTIAL)  # a digest the deliverer sends when its time comes

_OPEN = text("state IN ('pending', 'failed')")


class Digest(Base):
    """One recipient's message (or messages, split above 4096 characters) and its delivery
    state: pending → sending → sent, or failed (retried with backoff) → … → dead; partial when
    only some of the recipient's chats got it; printed when only a console showed it."""

    __tablename__ = "outbox_digests"
    __table_args__ = (
        Index("ix_outbox_digests_due", "state", "next_attempt_at"),
        # At most one open digest per recipient: concurrent writers cannot open two.
        Index(
            "uq_outbox_digests_open",
            "recipient",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[Recipient] = mapped_column(RecipientColumn)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    message_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[chat, message], …]
    # Chats that got every part of this digest (a retry skips them).
    delivered_to: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    last_error: Mapped[str] = mapped_column(Text, default="")


def _of_digest(column: Any, digest_id: Any) -> Any:
    return select(column).where(Digest.id == digest_id).correlate_except(Digest).scalar_subquery()


class OutboxItem(Base):
    """One notice, self-contained: its payload holds the facts frozen when it was planned
    (db.contracts.Facts), which delivery renders after re-checking them against the current
    state. A notice that no longer holds (the period was reported, extended, closed…) is
    dropped at claim time: dropped_at and dropped_reason say when and why; it is never sent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # db.contracts.dedupe_key — the database refuses a second copy.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    stage: Mapped[int] = mapped_column(default=0)
    overdue_days: Mapped[int] = mapped_column(SmallInteger, default=0)
    role: Mapped[str] = mapped_column(String(10))  # unit | lead | office | leader
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id"))
    recipient: Mapped[Recipient] = mapped_column(RecipientColumn)
    # {"recipient_name": …, "item": Facts.as_item()}; NULL only in rows of the first release
    # (migration 0002 fills those still waiting to be sent).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    digest_id: Mapped[int] = mapped_column(ForeignKey("outbox_digests.id"), index=True)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    dropped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dropped_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")

    # The delivery state is the digest's: read-only views, also usable in queries.
    state: Mapped[str] = column_property(_of_digest(Digest.state, digest_id))
    attempts: Mapped[int] = column_property(_of_digest(Digest.attempts, digest_id))
    next_attempt_at: Mapped[dt.datetime] = column_property(
        _of_digest(Digest.next_attempt_at, digest_id)
    )
    sent_at: Mapped[dt.datetime | None] = column_property(_of_digest(Digest.sent_at, digest_id))
    message_ids: Mapped[list[Any]] = column_property(_of_digest(Digest.message_ids, digest_id))
    last_error: Mapped[str] = column_property(_of_digest(Digest.last_error, digest_id))


class SentMessage(Base):
    """A chat message duban sent, and the periods it covers: a contact who *replies* to it is
    answering about these items."""

    __tablename__ = "sent_messages"
    __table_args__ = (UniqueConstraint("channel", "address", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default=TELEGRAM)
    address: Mapped[str] = mapped_column(String(100))  # the chat it went to (Telegram: its id)
    message_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[Recipient] = mapped_column(RecipientColumn)
    period_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
