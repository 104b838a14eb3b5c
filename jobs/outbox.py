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


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert many outbox rows in one statement batch, skipping existing dedupe keys.

    Each row holds enqueue()'s keyword arguments. Returns the number of rows given (SQLite's
    executemany does not report how many were new)."""
    if not rows:
        return 0
    values = [
        {
            "dedupe_key": r["dedupe_key"],
            "kind": r["kind"],
            "stage": r.get("stage", 0),
            "assignment_id": r.get("assignment_id"),
            "period_id": r.get("period_id"),
            "recipient": r["recipient"],
            "payload": {"role": r["role"], **r["payload"]},
            "state": PENDING,
            "attempts": 0,
            "created_at": r["due_at"],
            "due_at": r["due_at"],
            "next_attempt_at": r["due_at"],
            "message_ids": [],
            "last_error": "",
        }
        for r in rows
    ]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(OutboxItem).on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(stmt, values)
    return len(values)
