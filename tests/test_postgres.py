"""duban on PostgreSQL (the scaled-out setup): migrations, import, ticks and reports behave
exactly as on SQLite — the same outbox, the same messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_fixtures import App, with_window
from migration_0002 import upgrade_release_database
from pg_server import postgres_server
from sqlalchemy import func, select
from test_tick import every, outbox_keys, run_ticks

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from db.models import Assignment, Period, Report, Task, Unit
from db.models.tasks import RESPONSIBLE
from duban.config import Config
from duban.importer import import_file
from duban.registry import sync_units
from services.reports import submit_report

SH = dt.timezone(dt.timedelta(hours=8))
IMPORTED = dt.datetime(2024, 3, 15, 9, 0, tzinfo=SH)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


async def run_month(url: str, cfg: Config, seed_path: Path) -> tuple[list, list, dict]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as s:
        sync_units(s, cfg)
        first = import_file(s, cfg, seed_path, now=IMPORTED)
    with transaction(sessions) as s:
        again = import_file(s, cfg, seed_path, now=IMPORTED)
    app = App(cfg, sessions)
    start = dt.datetime(2024, 3, 18, tzinfo=SH)
    delivered = await run_ticks(
        app, every(start, dt.datetime(2024, 3, 22, 10, tzinfo=SH), dt.timedelta(hours=1))
    )
    # 区工信局 reports on task 7 (responsible): the lead gets a review request.
    with transaction(sessions) as s:
        period_id = s.scalar(
            select(Period.id)
            .join(Assignment, Assignment.id == Period.assignment_id)
            .join(Task, Task.id == Assignment.task_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Task.number == 7, Unit.name == "区工信局", Assignment.role == RESPONSIBLE)
        )
        submit_report(
            s,
            period_id=period_id,
            contact_id=None,
            status="on_track",
            text="已完成一季度目标",
            now=dt.datetime(2024, 3, 22, 10, tzinfo=SH),
        )
    delivered += await run_ticks(
        app,
        every(
            dt.datetime(2024, 3, 22, 10, tzinfo=SH),
            dt.datetime(2024, 4, 6, tzinfo=SH),
            dt.timedelta(hours=1),
        ),
    )
    with sessions() as s:
        facts = {
            "first_import_changed": first.diff.changed,
            "reimport_changed": again.diff.changed,
            "tasks": s.scalar(select(func.count(Task.id))),
            "reports": s.scalar(select(func.count(Report.id))),
        }
    keys = outbox_keys(sessions)
    engine.dispose()
    return keys, delivered, facts


async def test_postgres_gives_the_same_outbox_as_sqlite(
    pg_url: str, config: Config, seed_path: Path, tmp_path: Path
) -> None:
    cfg = with_window(config, dt.date(2024, 3, 15), dt.date(2024, 12, 31))
    pg_keys, pg_messages, pg_facts = await run_month(pg_url, cfg, seed_path)
    lite_keys, lite_messages, lite_facts = await run_month(
        f"sqlite:///{tmp_path / 'same.db'}", cfg, seed_path
    )
    assert (
        pg_facts
        == lite_facts
        == {
            "first_import_changed": True,
            "reimport_changed": False,
            "tasks": 91,
            "reports": 1,
        }
    )
    kinds = {kind for _, _, kind, _ in pg_messages}
    assert {"reminder", "due", "overdue", "escalation_lead", "review_request"} <= kinds
    # Row ids may be handed out in another order; what was sent, to whom and when is the same.
    assert len(pg_keys) == len(lite_keys) == len(set(pg_keys))
    assert pg_messages == lite_messages


def test_0002_keeps_release_data_on_postgres(pg_url: str) -> None:
    """A database the 0001 release filled, upgraded to head on PostgreSQL (its own database:
    the other tests' schema is already at head)."""
    admin = make_engine(pg_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CREATE DATABASE release_0001")
    admin.dispose()
    upgrade_release_database(make_engine(pg_url.replace("/duban?", "/release_0001?")))


def test_one_deliverer_per_postgres_database(pg_url: str) -> None:
    """Scaled out, two hosts share the database: the advisory lock lets one deliver."""
    from jobs.delivery.lock import DeliveryBusy, delivery_lock

    first, second = make_engine(pg_url), make_engine(pg_url)
    try:
        with (
            delivery_lock(first),
            pytest.raises(DeliveryBusy, match="advisory lock"),
            delivery_lock(second),
        ):
            pass
        with delivery_lock(second):  # released: the other host may take over
            pass
    finally:
        first.dispose()
        second.dispose()
