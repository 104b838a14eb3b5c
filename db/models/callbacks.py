"""Opaque short ids behind inline buttons: callback data is never trusted, only looked up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.types import UTCDateTime, utcnow


class CallbackToken(Base):
    __tablename__ = "callback_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # short random code
    action: Mapped[str] = mapped_column(String(30))  # "report", "extend", "review_ok", …
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who may press it: a contact, or any contact of a unit, or the office (both None).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
