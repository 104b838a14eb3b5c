"""What a command needs: the validated config and a session factory on its database."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.engine import DatabaseError, check_connection, make_engine, make_sessionmaker
from db.migrate import current_revision
from duban.config import Config, ConfigError, load_config
from duban.errors import UserError
from duban.wiring import calendar_for, engine_settings
from jobs.settings import Settings
from jobs.workdays import WorkCalendar


@dataclass
class AppContext:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]

    @cached_property
    def settings(self) -> Settings:
        """What the engine takes instead of the config (jobs/settings.py)."""
        return engine_settings(self.config)

    @cached_property
    def calendar(self) -> WorkCalendar:
        return calendar_for(self.config)


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
