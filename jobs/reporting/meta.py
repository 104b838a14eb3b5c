"""The reporting calendar's bookkeeping in the `meta` table: the periods' watermark (the date up
to which windows have been handled, the highest assignment id seen, the plan's start when it
was written) and the 各相关X placeholders' next checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from db.models import Meta

META_THROUGH = "periods.through"  # ISO date: windows opening on or before it are materialised
META_MARK = "periods.assignment_mark"  # highest Assignment.id whose periods exist
META_START = "periods.plan_start"  # ISO date: the plan's start when the watermark was written
META_DESIGNATIONS = "designations.next_check"  # JSON {designation id: ISO datetime | null}

# Built once, run on the session's connection: every tick reads the watermark (the ORM
# path and building the statement cost ≈ 10× the primary-key lookup itself).
_META_VALUES = select(Meta.key, Meta.value).where(Meta.key.in_(bindparam("keys", expanding=True)))


def meta_value(key: str) -> Any:
    """A meta value as a scalar subquery (to read it in the same row as other facts)."""
    return select(Meta.value).where(Meta.key == key).scalar_subquery()


def meta_get(session: Session, *keys: str) -> dict[str, str]:
    """Meta values by key. meta_set flushes what it writes, so the connection sees it."""
    rows = session.connection().execute(_META_VALUES, {"keys": list(keys)})
    return {k: v for k, v in rows}


def meta_set(session: Session, values: dict[str, str]) -> None:
    now = dt.datetime.now(dt.UTC)
    for key, value in values.items():
        row = session.get(Meta, key)
        if row is None:
            session.add(Meta(key=key, value=value, updated_at=now))
        elif row.value != value:
            row.value = value
            row.updated_at = now
    session.flush()


def reset_period_watermark(session: Session) -> None:
    """Make the next ensure_periods look at every active assignment again (e.g. after an
    import revived removed assignments). Safe: existing periods are never duplicated, and
    periods whose due date has already passed are not created for them."""
    meta_set(session, {META_MARK: "0"})


def chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    """Ids in slices of `size` (a statement's bound parameters stay under SQLite's limit)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
