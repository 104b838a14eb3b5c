"""One deliverer per database at a time.

On start, `recover_stale()` puts digests left in 'sending' back to 'pending': right after a
crash, but a double send if another process is in the middle of sending them. So `duban run`
holds this lock for its whole life and `duban tick` for its one tick; a second deliverer stops
at once with a message saying who holds it, instead of sending anything twice.

The lock dies with its holder, even under SIGKILL, so there is never a stale lock to clean up:
- SQLite (one machine): flock() on `<database>.deliver.lock` beside the database file, which
  holds the holder's pid for the message;
- PostgreSQL (possibly several machines): a session-level advisory lock on a connection held
  open for as long as the lock.
An in-memory SQLite database is private to its process and needs none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

# pg_advisory_lock key: any constant the application owns ("duban" in ASCII).
ADVISORY_KEY = 0x647562616E


class DeliveryBusy(Exception):
    """Another process is delivering from this database."""


@contextlib.contextmanager
def delivery_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's delivery lock, or raise DeliveryBusy at once (never waits)."""
    backend = engine.dialect.name
    if backend == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with _file_lock(Path(database + ".deliver.lock")):
            yield
    elif backend == "postgresql":
        with _advisory_lock(engine):
            yield
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        yield


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    # "a+": never truncate what the holder wrote before we know we hold the lock. The file is
    # left in place afterwards: unlinking it could let two processes lock different files.
    with path.open("a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise DeliveryBusy(
                f"another duban process is already delivering from this database ({holder}; "
                f"lock file {path}): stop it first — `duban run` already sends everything due"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, since {dt.datetime.now().astimezone():%Y-%m-%d %H:%M}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        if not got.scalar():
            raise DeliveryBusy(
                "another duban process is already delivering from this database (PostgreSQL "
                f"advisory lock {ADVISORY_KEY} is held): stop it first — `duban run` already "
                "sends everything due"
            )
        conn.commit()  # the lock is the session's, not the transaction's
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            conn.commit()
