"""What units send back: reports (进展报送) with evidence, extension requests (延期申请),
and completion (办结)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.contacts import Contact
from db.models.periods import Period
from db.models.tasks import Target, Task
from db.types import UTCDateTime, utcnow

ON_TRACK = "on_track"  # 进展顺利
DIFFICULTY = "difficulty"  # 存在困难
COMPLETED = "done"  # 已完成

REVIEW_PENDING = "pending"
REVIEW_ACCEPTED = "accepted"
REVIEW_RETURNED = "returned"
REVIEW_NONE = "none"  # a lead's own report: it goes to the office, no review


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=ON_TRACK)
    text: Mapped[str] = mapped_column(Text, default="")
    figure: Mapped[float | None] = mapped_column(Float)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    late: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(12), default="chat")  # chat|reply|button|simulate
    review_state: Mapped[str] = mapped_column(String(12), default=REVIEW_PENDING)
    reviewer_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    # While the review is pending: when the review chase (jobs/review_chase.py) looks again.
    review_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    period: Mapped[Period] = relationship()
    contact: Mapped[Contact | None] = relationship(foreign_keys=[contact_id])
    target: Mapped[Target | None] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )


class Evidence(Base):
    """A file sent with a report, kept as Telegram's file_id (the file stays on Telegram)."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    file_id: Mapped[str] = mapped_column(String(300))
    file_unique_id: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(20), default="document")  # photo|document|…
    file_name: Mapped[str] = mapped_column(String(300), default="")
    mime_type: Mapped[str] = mapped_column(String(100), default="")

    report: Mapped[Report] = relationship(back_populates="evidence")


EXT_PENDING = "pending"
EXT_APPROVED = "approved"
EXT_REJECTED = "rejected"


class Extension(Base):
    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    new_due: Mapped[dt.date] = mapped_column()
    state: Mapped[str] = mapped_column(String(12), default=EXT_PENDING)
    decided_by: Mapped[str] = mapped_column(String(100), default="")  # "contact:7" / "office:…"
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    period: Mapped[Period] = relationship()


COMPLETION_CLAIMED = "claimed"  # the lead says 办结
COMPLETION_CONFIRMED = "confirmed"  # the office agrees
COMPLETION_REJECTED = "rejected"


class Completion(Base):
    __tablename__ = "completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12), default=COMPLETION_CLAIMED)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship()
