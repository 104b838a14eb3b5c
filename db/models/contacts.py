"""Contacts (联络员): chat accounts bound to a unit through single-use invites."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.units import Unit
from db.types import UTCDateTime, utcnow

TELEGRAM = "telegram"  # the channel every contact had before identity became (channel, address)


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
