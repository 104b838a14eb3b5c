"""The outbox: every message duban means to send, unique by its dedupe key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.types import UTCDateTime, utcnow

PENDING = "pending"
SENDING = "sending"  # claimed by a deliverer; reset to pending if found stale on start
SENT = "sent"
FAILED = "failed"  # will be retried at next_attempt_at
DEAD = "dead"  # gave up after max attempts: listed, never silently dropped


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # kind:assignment:period:stage:recipient — the database refuses a second copy.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    stage: Mapped[int] = mapped_column(default=0)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id"))
    recipient: Mapped[str] = mapped_column(String(60), index=True)  # unit:5 | office | leader:2
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    message_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_error: Mapped[str] = mapped_column(Text, default="")


class SentMessage(Base):
    """A chat message duban sent, and the periods it covers: a contact who *replies* to it is
    answering about these items."""

    __tablename__ = "sent_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(60))
    period_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
