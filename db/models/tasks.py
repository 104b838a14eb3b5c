"""Tasks (任务) of the decomposition table, their numeric targets, and assignments
(task × unit × role). Rows a revised table drops are marked removed, never deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.models.units import Group, Unit
from db.types import UTCDateTime, utcnow

LEAD = "lead"
RESPONSIBLE = "responsible"
# Assignment.final_check_at once the 完成时限 ladder has nothing more to send.
FINAL_CHECK_NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    section: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    deadline_text: Mapped[str] = mapped_column(String(100), default="")  # 完成时限 as written
    # 完成时限 as a date: the `[[deadlines]]` TOML entry for the task, else parsed from the
    # text (duban/importer/deadline.py). The task's final deadline (jobs/final_deadline.py).
    deadline: Mapped[dt.date | None] = mapped_column()
    # 责任领导 / 分管区领导 the table names for this task, 、-joined as written ("" if none)
    leaders: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    assignments: Mapped[list[Assignment]] = relationship(back_populates="task")
    targets: Mapped[list[Target]] = relationship(
        back_populates="task", order_by="Target.ordinal", cascade="all, delete-orphan"
    )


class Target(Base):
    """A numeric target parsed from the task text: 服务业增加值达到1087亿元 → (>=, 1087, 亿元)."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("task_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column()
    comparator: Mapped[str] = mapped_column(String(4))  # ">=", "<=", "=", ">"
    value: Mapped[float] = mapped_column(Float)
    unit_label: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")  # what is measured
    raw: Mapped[str] = mapped_column(String(200))
    # The text no longer states it but a report points to it: kept, at ordinal -id.
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship(back_populates="targets")


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "unit_id", "role"),
        Index("ix_assignments_unit_role", "unit_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(12))  # LEAD | RESPONSIBLE
    # The group the table named when this came from expanding one (各街道办事处), else None.
    via_group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    position: Mapped[int] = mapped_column(default=0)  # order as the table lists them
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The unit's work on the task is done (已完成): its 已完成 report was accepted by the lead
    # (a lead's own: when it sent it), or the task was 办结. No more periods or reminders.
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The 完成时限 ladder (jobs/final_deadline.py): when the planner looks at it again;
    # FINAL_CHECK_NEVER once that ladder has ended, None until the deadline is first planned.
    final_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    task: Mapped[Task] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()
    via_group: Mapped[Group | None] = relationship()


class Designation(Base):
    """A 各相关X placeholder on a task. Until designated, its lead is asked to designate."""

    __tablename__ = "designations"
    __table_args__ = (UniqueConstraint("task_id", "group_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    role: Mapped[str] = mapped_column(String(12), default=RESPONSIBLE)
    position: Mapped[int] = mapped_column(default=0)
    designated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    designated_by: Mapped[str] = mapped_column(String(100), default="")  # "contact:7" / "config"
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship()
    group: Mapped[Group] = relationship()


class ImportRun(Base):
    """One `duban import` that wrote something: which file, and what changed."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
