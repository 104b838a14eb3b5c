"""Periods: one reporting cycle of an assignment, with its due date and ladder state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.tasks import Assignment
from db.types import UTCDateTime, utcnow

# Period states. OPEN and RETURNED run the escalation ladder; the others stop it.
OPEN = "open"
SUBMITTED = "submitted"  # a report awaits the lead's review
ACCEPTED = "accepted"
RETURNED = "returned"  # the lead sent the report back: the unit must report again
DONE = "done"  # the task was completed (办结)
# Never reported, and settled by a later report of the same unit: kept in the history as
# missed (counted in the ledger's 累计逾期), no longer chased. A late report may still follow.
MISSED = "missed"
CANCELLED = "cancelled"  # the assignment was removed by a revised table


class Period(Base):
    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("assignment_id", "label"),
        # The planner asks only for periods whose next action is due: cost ∝ what is due.
        Index("ix_periods_next_check", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    label: Mapped[str] = mapped_column(String(20))  # "2024-03", "2024-W12", "2024-Q2", "once-1"
    starts_on: Mapped[dt.date] = mapped_column()
    due_on: Mapped[dt.date] = mapped_column()  # as scheduled (already moved to a working day)
    extended_to: Mapped[dt.date | None] = mapped_column()  # an approved extension
    state: Mapped[str] = mapped_column(String(12), default=OPEN)
    # When the ladder restarted (a returned report): stages count from here.
    restarted_on: Mapped[dt.date | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The ladder in force when this period began (later config edits don't change it).
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship()

    @property
    def effective_due(self) -> dt.date:
        return self.extended_to or self.due_on
