"""Units (单位), their other spellings, and groups (组) of units. Loaded from the config."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base
from db.types import UTCDateTime, utcnow


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="department")
    placeholder: Mapped[bool] = mapped_column(default=False)
    # Registered by `import --add-units` rather than by the config; the admin should add it there.
    from_import: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    aliases: Mapped[list[UnitAlias]] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )


class UnitAlias(Base):
    """Another spelling of a unit or a group (发改局 → 区发改局). Exactly one target is set."""

    __tablename__ = "unit_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))

    unit: Mapped[Unit | None] = relationship(back_populates="aliases")


class Group(Base):
    """各街道办事处 (fixed members) or 各相关街道办事处 (relevant_of: designated per task)."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    relevant_of_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))

    relevant_of: Mapped[Group | None] = relationship(remote_side="Group.id")
    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    @property
    def is_placeholder(self) -> bool:
        return self.relevant_of_id is not None


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))

    group: Mapped[Group] = relationship(back_populates="members")
    unit: Mapped[Unit] = relationship()
