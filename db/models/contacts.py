"""Contacts (联络员): chat accounts bound to a unit through single-use invites."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.units import Unit
from db.types import UTCDateTime, utcnow

TELEGRAM = "telegram"  # the channel every contact had before identity became (channel, address)
DINGTALK = "dingtalk"  # a DingTalk robot in Stream mode: addresses user:<staffId>, group:<cid>


def user_address(staff_id: str) -> str:
    """Where a DingTalk person's 1:1 messages go (the robot's batch send to a staff id)."""
    return f"user:{staff_id}"


def group_address(open_conversation_id: str) -> str:
    """Where a DingTalk group's messages go (the robot's group send)."""
    return f"group:{open_conversation_id}"


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # Identity is (channel, address), so another channel is a new Channel class, not a schema
    # change. user_address: who the person is on the channel (Telegram: the user id as text);
    # address: where their messages go (Telegram: the private chat's id as text).
    channel: Mapped[str] = mapped_column(String(20), default=TELEGRAM)
    user_address: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(10), default="")  # empty = the config's locale
    bound_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when Telegram says the chat is gone or the bot is blocked; the office is told.
    unreachable_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unreachable_reason: Mapped[str] = mapped_column(String(200), default="")

    unit: Mapped[Unit] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Invite(Base):
    """`duban invite UNIT` → https://t.me/<bot>?start=<token>; single use, expiring."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))

    unit: Mapped[Unit] = relationship()


class ReceivedMessage(Base):
    """A chat message already handled, by the channel's own message id: DingTalk's Stream SDK
    can hand the same frame over twice, and a report must be stored once. Written in the same
    transaction as what the message did."""

    __tablename__ = "received_messages"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
