"""Helpers shared by the tick/simulate/restart tests: a small task table written directly
as rows (no importer), and a config whose reporting window is fixed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Assignment, Contact, Task, Unit
from db.models.tasks import LEAD, RESPONSIBLE
from duban.config import Config, ReportingConfig
from duban.wiring import runtime
from jobs.runtime import Runtime

SH = dt.timezone(dt.timedelta(hours=8))


def at(m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    """A moment of 2024 in Shanghai time."""
    return dt.datetime(2024, m, d, hh, mm, tzinfo=SH)


def office_ticks(start: dt.datetime, end: dt.datetime, hours=(9, 11, 15)):
    """Ticks at these hours of each day: 09:00 is when every ladder stage comes."""
    t = start
    while t < end:
        if t.hour in hours:
            yield t
        t += dt.timedelta(hours=1)


# task number → (lead units, responsible units)
TABLE: dict[int, tuple[list[str], list[str]]] = {
    1: (["区发改局"], ["区工信局", "区商务局"]),
    2: (["区工信局"], []),
    3: (["区商务局"], ["区发改局", "区文旅局"]),
}


def with_window(cfg: Config, start: dt.date, end: dt.date) -> Config:
    return cfg.model_copy(
        update={"reporting": ReportingConfig(start=start, end=end, default=cfg.reporting.default)}
    )


def add_table(sessions: sessionmaker[Session], table=TABLE, contacts: bool = True) -> None:
    with transaction(sessions) as s:
        units = {u.name: u.id for u in s.scalars(select(Unit))}
        for number, (leads, responsible) in table.items():
            task = Task(number=number, section="一、测试", text=f"测试任务{number}")
            s.add(task)
            s.flush()
            pos = 0
            for role, names in ((LEAD, leads), (RESPONSIBLE, responsible)):
                for name in names:
                    s.add(Assignment(task_id=task.id, unit_id=units[name], role=role, position=pos))
                    pos += 1
        if contacts:
            used = {n for leads, resp in table.values() for n in leads + resp}
            for name in sorted(used):
                chat = 1000 + units[name]
                s.add(Contact(unit_id=units[name], user_address=str(chat), address=str(chat)))


def App(config: Config, sessions: sessionmaker[Session]) -> Runtime:
    """What the clock runs on, for this config and database (as `duban run` builds it)."""
    return runtime(config, sessions)
