"""Engine and session setup: SQLite in WAL mode with a busy timeout, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000


class DatabaseError(Exception):
    """The database cannot be used as configured; the message is meant for the admin."""


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for `url`; a URL that does not parse, names no installed driver or a SQLite
    file whose directory cannot be made is a DatabaseError (password hidden)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            "duban.database_url is not a database URL (leave it empty for SQLite in data_dir, "
            "or e.g. postgresql+psycopg://user:pw@host/db)"
        ) from None
    if parsed.get_backend_name() != "sqlite":
        return _create(parsed, url, echo=echo, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"{shown(parsed)}: cannot create the directory {folder}: {exc.strerror} "
                "(check duban.data_dir or duban.database_url)"
            ) from None
    engine = _create(parsed, url, echo=echo, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, emit BEGIN, so that writes can BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if parsed.database and parsed.database != ":memory:":
            mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DatabaseError(f"{parsed.database}: cannot switch SQLite to WAL (got {mode})")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
        # A read-then-write transaction would otherwise fail with SQLITE_BUSY at once.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def shown(url: URL | Engine) -> str:
    """The URL as it may be shown to a person: without the password."""
    return (url.url if isinstance(url, Engine) else url).render_as_string(hide_password=True)


def json_text(value: object) -> str:
    """JSON columns as compact UTF-8 text, through orjson: every outbox item carries its
    frozen facts as JSON, and a busy tick writes (and delivery reads) 100 000 of them; the
    standard library's json takes ≈ 10 µs a payload each way, orjson ≈ 1."""
    return orjson.dumps(value).decode()


def _create(parsed: URL, url: str, **options: object) -> Engine:
    try:
        return create_engine(  # type: ignore[call-overload,no-any-return]
            url, json_serializer=json_text, json_deserializer=orjson.loads, **options
        )
    except (NoSuchModuleError, ImportError) as exc:
        hint = " (pip install '.[postgres]')" if parsed.get_backend_name() == "postgresql" else ""
        raise DatabaseError(f"{shown(parsed)}: no database driver for it: {exc}{hint}") from None


def check_connection(engine: Engine) -> None:
    """Connect once, so that a database that cannot be opened (no such server, a file that
    cannot be written) is one DatabaseError naming it rather than a failure mid-command."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        reason = " ".join(str(exc.orig).split())
        raise DatabaseError(f"cannot open the database {shown(engine)}: {reason}") from None


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
