"""The outbox: intents become rows with a unique dedupe key, inserted idempotently."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import OutboxItem
from db.models.outbox import PENDING


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    role: str,
    payload: dict[str, Any],
    dedupe_key: str,
    due_at: dt.datetime,
    stage: int = 0,
    assignment_id: int | None = None,
    period_id: int | None = None,
) -> bool:
    """Insert one outbox row unless its dedupe key exists. Returns True if it was new."""
    values = {
        "dedupe_key": dedupe_key,
        "kind": kind,
        "stage": stage,
        "assignment_id": assignment_id,
        "period_id": period_id,
        "recipient": recipient,
        "payload": {"role": role, **payload},
        "state": PENDING,
        "attempts": 0,
        "created_at": due_at,
        "due_at": due_at,
        "next_attempt_at": due_at,
        "message_ids": [],
        "last_error": "",
    }
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        stmt = (
            sqlite.insert(OutboxItem)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    elif dialect == "postgresql":
        stmt = (
            postgresql.insert(OutboxItem)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    else:  # pragma: no cover - other databases are not supported
        stmt = insert(OutboxItem).values(**values)
    result = session.execute(stmt)
    return bool(result.rowcount)
