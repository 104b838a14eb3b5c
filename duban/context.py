"""What a command needs: the validated config and a session factory on its database."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.engine import DatabaseError, check_connection, make_engine, make_sessionmaker
from db.migrate import current_revision
from duban.config import Config, ConfigError, load_config
from duban.errors import UserError


@dataclass
class AppContext:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]


def load(args: argparse.Namespace, require_schema: bool = True) -> AppContext:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    return open_context(cfg, require_schema)


def open_context(cfg: Config, require_schema: bool = True) -> AppContext:
    try:
        engine = make_engine(cfg.database_url)
        check_connection(engine)
    except DatabaseError as exc:
        raise UserError(str(exc)) from exc
    if require_schema and current_revision(engine) is None:
        raise UserError(f"database {engine.url!r} is not initialised: run `duban init` first")
    return AppContext(cfg, engine, make_sessionmaker(engine))
