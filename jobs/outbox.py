"""The outbox: intents become rows with a unique dedupe key, inserted idempotently."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from sqlalchemy import JSON, insert
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
    stmt = _insert_one(session.get_bind().dialect.name)
    result = session.execute(stmt, values)
    return bool(result.rowcount)


@functools.cache
def _insert_one(dialect: str) -> Any:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING on the table (Core), built once: the values
    come as parameters, so each call skips building and cache-keying a new statement."""
    table = OutboxItem.__table__
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return insert(table)  # pragma: no cover - other databases are not supported


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert many outbox rows in one statement batch, skipping existing dedupe keys.

    Each row holds enqueue()'s keyword arguments. Returns the number of rows given (SQLite's
    executemany does not report how many were new)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite" and _plain_columns(dialect):
        _sqlite_insert_rows(session, rows)
        return len(rows)
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
    if dialect.name == "sqlite":
        _sqlite_executemany(session, values)
    else:
        stmt = postgresql.insert(OutboxItem).on_conflict_do_nothing(index_elements=["dedupe_key"])
        session.execute(stmt, values)
    return len(values)


_COLUMNS = (
    "dedupe_key", "kind", "stage", "assignment_id", "period_id", "recipient", "payload", "state",
    "attempts", "created_at", "due_at", "next_attempt_at", "message_ids", "last_error",
)  # fmt: skip
_PLAIN = ("dedupe_key", "kind", "stage", "assignment_id", "period_id", "recipient", "state",
          "attempts", "last_error")  # fmt: skip


def _processor(dialect: Any, name: str) -> Any:
    column = OutboxItem.__table__.c[name]
    if isinstance(column.type, JSON) and dialect._json_serializer is None:
        return json.dumps  # SQLAlchemy's default JSON processor is json.dumps plus a wrapper
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _plain_columns(dialect: Any) -> bool:
    """The driver takes these columns' values as they are (true for pysqlite)."""
    return all(_processor(dialect, name) is None for name in _PLAIN)


def _sqlite_insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """enqueue_many on SQLite: each row straight to a driver tuple (no intermediate dicts), the
    JSON and datetime columns through SQLAlchemy's own processors (datetimes once per distinct
    value), then one executemany of INSERT … ON CONFLICT (dedupe_key) DO NOTHING. Same stored
    values as the generic path."""
    dialect = session.get_bind().dialect
    dumps = _processor(dialect, "payload")
    ts_fn = _processor(dialect, "due_at")
    empty = _processor(dialect, "message_ids")([])
    stamps: dict[Any, Any] = {}
    out = []
    append = out.append
    for r in rows:
        due = r["due_at"]
        ts = stamps.get(due)
        if ts is None:
            ts = stamps[due] = ts_fn(due) if ts_fn is not None else due
        append(
            (r["dedupe_key"], r["kind"], r.get("stage", 0), r.get("assignment_id"),
             r.get("period_id"), r["recipient"], dumps({"role": r["role"], **r["payload"]}),
             PENDING, 0, ts, ts, ts, empty, "")
        )  # fmt: skip
    table = OutboxItem.__table__
    sql = (
        f"INSERT INTO {table.name} ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    session.connection().exec_driver_sql(sql, out)


def _sqlite_executemany(session: Session, values: list[dict[str, Any]]) -> None:
    """The same INSERT … ON CONFLICT DO NOTHING straight through the driver's executemany,
    with SQLAlchemy's own column converters (UTC datetimes, JSON): several times faster on a
    busy tick than the ORM path, same stored values."""
    dialect = session.get_bind().dialect
    table = OutboxItem.__table__
    columns = list(values[0])
    converters = [
        # JSON with the default serializer: the processor is json.dumps plus a wrapper call;
        # calling json.dumps directly stores the same text.
        json.dumps
        if isinstance(table.c[name].type, JSON) and dialect._json_serializer is None
        else table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in columns
    ]
    cache: dict[tuple[int, Any], Any] = {}

    def convert(i: int, value: Any) -> Any:
        fn = converters[i]
        if fn is None or value is None:
            return value
        if isinstance(value, dict | list):
            return fn(value)
        key = (i, value)
        if key not in cache:  # many rows share one due time
            cache[key] = fn(value)
        return cache[key]

    rows = [tuple(convert(i, row[name]) for i, name in enumerate(columns)) for row in values]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    session.connection().exec_driver_sql(sql, rows)


def to_office(
    session: Session,
    *,
    office_name: str,
    kind: str,
    item: dict[str, Any],
    dedupe_key: str,
    now: dt.datetime,
) -> bool:
    """A notice for the district office's next digest (not tied to one assignment)."""
    return enqueue(
        session,
        kind=kind,
        recipient="office",
        role="office",
        payload={"recipient_name": office_name, "item": item},
        dedupe_key=dedupe_key,
        due_at=now,
    )
