"""The outbox: notices become rows with a unique dedupe key, inserted idempotently, each
with the frozen facts it will be rendered from (db.contracts.Facts).

Each new row joins its recipient's open digest (db/models/outbox.py), which is created when
there is none; the deliverer then sends each due digest as one message.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import JSON, and_, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.contracts import OFFICE, Facts, MessageKind, Recipient
from db.models import Digest, OutboxItem, Task
from db.models.outbox import OPEN_STATES, PENDING
from messages.render import short_section, short_title

CHUNK = 500  # recipients per IN (…) list
ROWS_PER_INSERT = 500  # rows per multi-row INSERT on SQLite (see _sqlite_insert)


class NewItem(NamedTuple):
    """One outbox row to insert; `payload` is {"recipient_name": …, "item": Facts.as_item()}."""

    dedupe_key: str
    kind: str
    recipient: Recipient
    role: str
    due_at: dt.datetime
    payload: dict[str, Any]
    stage: int = 0
    overdue_days: int = 0
    assignment_id: int | None = None
    period_id: int | None = None


def enqueue(
    session: Session,
    *,
    kind: MessageKind,
    recipient: Recipient,
    role: str,
    facts: Facts,
    dedupe_key: str,
    due_at: dt.datetime,
    recipient_name: str = "",
    stage: int = 0,
    assignment_id: int | None = None,
    period_id: int | None = None,
) -> bool:
    """Queue one notice unless its dedupe key exists. Returns True if it was new. A notice
    about a task is frozen with the task's title and section (as the planner's are)."""
    if facts.title is None and facts.task is not None:
        facts = facts.replace(**_title_of(session, facts.task))
    conn = session.connection()  # Core only: the caller's pending ORM rows need no flush
    digest_id = conn.execute(
        _open_or_join_digest(conn.dialect.name), _new_digest(recipient, due_at)
    ).scalar_one()
    payload = {"recipient_name": recipient_name, "item": facts.as_item()}
    item = NewItem(
        dedupe_key, kind, recipient, role, due_at, payload, stage, 0, assignment_id, period_id
    )
    result = conn.execute(_insert_items(conn.dialect.name), _values(item, digest_id))
    # A digest opened just for a notice that existed already stays empty; the deliverer
    # drops empty digests when it claims them.
    return bool(result.rowcount)


_TITLE = (
    select(Task.text, Task.section)
    .where(Task.number == bindparam("number"))
    .order_by(Task.id.desc())
)


def _title_of(session: Session, number: int) -> dict[str, str]:
    """The task's title and short section, as facts (none when the task is unknown)."""
    row = session.connection().execute(_TITLE, {"number": number}).first()
    if row is None:
        return {}
    found = {"title": short_title(row.text)}
    if row.section:
        found["section"] = short_section(row.section)
    return found


def enqueue_many(
    session: Session, items: Sequence[NewItem], *, fast: bool = True
) -> list[tuple[int, str]]:
    """Insert many outbox rows, skipping existing dedupe keys; each joins its recipient's open
    digest. Returns (id, dedupe key) of the rows actually inserted (INSERT … ON CONFLICT DO
    NOTHING RETURNING: a key that existed already is not among them), so the tick can hand
    exactly its new items to the deliverer. fast=False takes the portable path on SQLite too
    (tests compare the two)."""
    if not items:
        return []
    earliest: dict[Recipient, dt.datetime] = {}
    for item in items:
        if item.recipient not in earliest or item.due_at < earliest[item.recipient]:
            earliest[item.recipient] = item.due_at
    digests = open_digests(session, earliest)
    conn = session.connection()
    if conn.dialect.name == "sqlite" and fast:
        return _sqlite_insert(session, items, digests)
    # SQLAlchemy's "insertmanyvalues": batched multi-row INSERTs that return their rows.
    inserted = conn.execute(
        _insert_items_returning(conn.dialect.name),
        [_values(item, digests[item.recipient]) for item in items],
    )
    return [(rid, key) for rid, key in inserted]


def open_digests(
    session: Session, first_due: dict[Recipient, dt.datetime]
) -> dict[Recipient, int]:
    """recipient → id of its open digest (pending or failed), created where there is none.
    first_due: recipient → the earliest due time of the items about to join.

    PostgreSQL: the open digests found are locked (FOR UPDATE) until commit, so a deliverer's
    claim waits for the items this transaction adds to them; SQLite's writers are serialised
    anyway (BEGIN IMMEDIATE)."""
    conn = session.connection()
    dialect = conn.dialect.name
    found: dict[Recipient, int] = {}
    earlier = []
    recipients = list(first_due)
    for start in range(0, len(recipients), CHUNK):
        chunk = recipients[start : start + CHUNK]
        for recipient, did, state, next_at in conn.execute(
            _open_of(dialect), {"recipients": chunk}
        ):
            found[recipient] = did
            # A pending digest goes out at the earliest due time of its items (a failed one
            # keeps its backoff: new items wait for the retry with the others).
            if state == PENDING and next_at > first_due[recipient]:
                earlier.append({"digest_id": did, "due": first_due[recipient]})
    if earlier:
        conn.execute(_EARLIER, earlier)
    missing = [r for r in recipients if r not in found]
    if missing:
        conn.execute(_insert_digest(dialect), [_new_digest(r, first_due[r]) for r in missing])
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            found.update(
                (r, did) for r, did, _, _ in conn.execute(_open_of(dialect), {"recipients": chunk})
            )
    return found


def _new_digest(recipient: Recipient, due: dt.datetime) -> dict[str, Any]:
    return {
        "recipient": recipient,
        "state": PENDING,
        "attempts": 0,
        "created_at": due,
        "next_attempt_at": due,
        "message_ids": [],
        "last_error": "",
    }


_EARLIER = (
    Digest.__table__.update()
    .where(Digest.__table__.c.id == bindparam("digest_id"))
    .values(next_attempt_at=bindparam("due"))
)


@functools.cache
def _open_of(dialect: str) -> Any:
    """Built once: the bot enqueues one notice at a time, a simulated year 7 000 of them."""
    d = Digest.__table__.c
    q = select(d.recipient, d.id, d.state, d.next_attempt_at).where(
        d.state.in_(OPEN_STATES), d.recipient.in_(bindparam("recipients", expanding=True))
    )
    return q.with_for_update() if dialect == "postgresql" else q


@functools.cache
def _insert_items(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(OutboxItem.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])


@functools.cache
def _insert_items_returning(dialect: str) -> Any:
    table = OutboxItem.__table__
    return _insert_items(dialect).returning(table.c.id, table.c.dedupe_key)


@functools.cache
def _insert_digest(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: a digest opened meanwhile by another writer wins (the
    partial unique index on open digests), and _find_open picks it up."""
    table = Digest.__table__
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


@functools.cache
def _open_or_join_digest(dialect: str) -> Any:
    """One statement per notice: open a digest for the recipient or, if it has an open one
    (the partial unique index), join that: as in open_digests, a pending digest then goes
    out at the earlier of its time and the notice's, a failed one keeps its backoff. Returns
    the digest's id either way. On PostgreSQL the joined digest stays locked until commit
    (ON CONFLICT DO UPDATE), as open_digests' FOR UPDATE does."""
    table = Digest.__table__
    c = table.c
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    due = insert.excluded.next_attempt_at
    earlier = case(
        (and_(c.state == PENDING, c.next_attempt_at > due), due), else_=c.next_attempt_at
    )
    return insert.on_conflict_do_update(
        index_elements=[c.recipient],
        index_where=c.state.in_(OPEN_STATES),
        set_={"next_attempt_at": earlier},
    ).returning(c.id)


def _values(item: NewItem, digest_id: int) -> dict[str, Any]:
    return {
        "dedupe_key": item.dedupe_key,
        "kind": item.kind,
        "stage": item.stage,
        "overdue_days": item.overdue_days,
        "role": item.role,
        "assignment_id": item.assignment_id,
        "period_id": item.period_id,
        "recipient": item.recipient,
        "payload": item.payload,
        "digest_id": digest_id,
        "due_at": item.due_at,
    }


_COLUMNS = (
    "dedupe_key", "kind", "stage", "overdue_days", "role", "assignment_id", "period_id",
    "recipient", "payload", "digest_id", "due_at",
)  # fmt: skip


def _processor(dialect: Any, name: str) -> Any:
    column = OutboxItem.__table__.c[name]
    if isinstance(column.type, JSON):  # SQLAlchemy's processor is the serializer plus a wrapper
        return dialect._json_serializer or json.dumps
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _sqlite_insert(
    session: Session, items: Iterable[NewItem], digests: dict[Recipient, int]
) -> list[tuple[int, str]]:
    """SQLite: each row straight to a driver tuple through SQLAlchemy's own column processors
    (UTC datetimes once per distinct value, JSON only where there is a payload), then
    multi-row INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key. Same
    stored values as the generic path; several times faster on a busy tick (and as fast as
    executemany, which cannot return rows)."""
    dialect = session.get_bind().dialect
    dumps = _processor(dialect, "payload")
    ts_fn = _processor(dialect, "due_at")
    stamps: dict[Any, Any] = {}
    driver = session.connection().connection.driver_connection
    assert driver is not None
    # SQLite compiles each VALUES row into the statement's program: 500 rows a statement keep
    # it a few MB (3 000 rows, the variable limit, cost 50 MB) and are as fast.
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(_COLUMNS)
    per = max(min(limit, ROWS_PER_INSERT), 1)
    rows = list(items)
    inserted: list[tuple[int, str]] = []
    cursor = driver.cursor()
    try:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            flat: list[Any] = []  # one statement's parameters (not the whole tick's at once)
            extend = flat.extend
            for key, kind, recipient, role, due, payload, stage, days, aid, pid in chunk:
                ts = stamps.get(due)
                if ts is None:
                    ts = stamps[due] = ts_fn(due) if ts_fn is not None else due
                extend(
                    (key, kind, stage, days, role, aid, pid, recipient.key, dumps(payload),
                     digests[recipient], ts)
                )  # fmt: skip
            cursor.execute(_multi_insert_sql(len(chunk)), flat)
            inserted += cursor.fetchall()
    finally:
        cursor.close()
    return inserted


@functools.lru_cache(maxsize=8)
def _multi_insert_sql(rows: int) -> str:
    """INSERT of `rows` rows (a full chunk's text is built once and reused)."""
    one = f"({', '.join('?' for _ in _COLUMNS)})"
    return (
        f"INSERT INTO {OutboxItem.__tablename__} ({', '.join(_COLUMNS)}) "
        f"VALUES {', '.join([one] * rows)} "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
    )


def to_office(
    session: Session,
    *,
    office_name: str,
    kind: MessageKind,
    facts: Facts,
    dedupe_key: str,
    now: dt.datetime,
    assignment_id: int | None = None,
    period_id: int | None = None,
) -> bool:
    """A notice for the district office's next digest (about an assignment's period, or not)."""
    return enqueue(
        session,
        kind=kind,
        recipient=OFFICE,
        role="office",
        facts=facts,
        recipient_name=office_name,
        dedupe_key=dedupe_key,
        due_at=now,
        assignment_id=assignment_id,
        period_id=period_id,
    )
