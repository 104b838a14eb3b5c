"""Shared fixtures: the example config on a throw-away SQLite database, migrated to head."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from duban.config import Config, example_config_path, parse_config
from duban.registry import sync_units

REPO = Path(__file__).resolve().parent.parent
# The published seed table, bundled in examples/ (identical to ../shared/seeds/000_….txt).
SEED = REPO / "examples" / "shenhe-2024-tasks.txt"


@pytest.fixture
def seed_path() -> Path:
    return SEED


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The bundled example config, with its data directory in tmp_path."""
    text = example_config_path().read_text(encoding="utf-8")
    return parse_config(text, source="config.example.toml", base_dir=tmp_path)


@pytest.fixture
def engine(config: Config) -> Engine:
    eng = make_engine(config.database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine, config: Config) -> sessionmaker[Session]:
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        sync_units(session, config)
    return factory


@pytest.fixture
async def env(config, engine, sessions, caplog, capsys):  # type: ignore[no-untyped-def]
    """The real bot Application against the fake Bot API server (tests/bot_harness.py)."""
    from tests.bot_harness import running_env

    async with running_env(config, engine, sessions, caplog, capsys) as e:
        yield e
