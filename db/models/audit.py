"""The audit log: every state change and every refused action, with who and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.types import UTCDateTime, utcnow


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # "contact:7", "tg:12345", "cli", "system"
    action: Mapped[str] = mapped_column(String(60))  # "report.submit", "callback.refused", …
    subject: Mapped[str] = mapped_column(String(100), default="")  # "period:12", "task:5"
    refused: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
