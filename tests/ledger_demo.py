"""Manual check of the ledger and charts on the seed with random reporting (not a test).

    .venv/bin/python -m tests.ledger_demo OUTDIR [--at 2024-09-10] [--seed 7]

Builds a throw-away database from the example config, reads the seed table with a tiny parser of
its own (first unit line = lead, the rest responsible; no dependence on the importer), makes
monthly periods due on the 25th with random reports, then writes OUTDIR/台账.xlsx and the charts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
from pathlib import Path

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from db.models.periods import ACCEPTED, OPEN, RETURNED, SUBMITTED
from db.models.reports import REVIEW_ACCEPTED, REVIEW_PENDING, REVIEW_RETURNED
from duban.charts import write_charts
from duban.config import example_config_path, parse_config
from duban.ledger import build_ledger
from duban.registry import sync_units
from duban.targets import sync_task_targets
from tests.factories import add_period, add_report, add_task

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_8f7669790fd4255f.txt"
SECTION = re.compile(r"^[一二三四五六七八九十]+、")
TASK = re.compile(r"^(\d+)\.(.+)$")


def read_seed(path: Path) -> list[tuple[int, str, str, list[list[str]]]]:
    tasks: list[tuple[int, str, str, list[list[str]]]] = []
    section = ""
    started = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "责任单位":
            started = True
            continue
        if not started:
            continue
        if line.startswith("注"):
            break
        if SECTION.match(line):
            section = line
        elif m := TASK.match(line):
            tasks.append((int(m.group(1)), section, m.group(2), []))
        elif tasks:
            tasks[-1][3].append([u for u in line.split("、") if u])
    return tasks


def due_25(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 25)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC) - dt.timedelta(hours=8)


def build(outdir: Path, as_of: dt.date, seed: int) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    cfg = parse_config(
        example_config_path().read_text("utf-8"), source="config.example.toml", base_dir=outdir
    )
    (cfg.data_path / "duban.db").unlink(missing_ok=True)
    engine = make_engine(cfg.database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    rng = random.Random(seed)
    names = cfg.name_index()
    with transaction(sessions) as s:
        sync_units(s, cfg)
        for number, section, text, lines in read_seed(SEED):
            units = [names.get(u, u) for line in lines for u in line]
            units = list(dict.fromkeys(units))
            task = add_task(s, number, text, units=units, leads=len(lines[0]), section=section)
            sync_task_targets(s, task)
            for i, unit in enumerate(units):
                lead = i < len(lines[0])
                for month in range(3, 13):
                    due = due_25(2024, month)
                    start = dt.date(2024, 3, 15) if month == 3 else dt.date(2024, month, 1)
                    if start > as_of:
                        break
                    label = f"2024-{month:02d}"
                    if due >= as_of:
                        ext = due_25(2024, month - 1) + dt.timedelta(days=20)
                        extended = ext if rng.random() < 0.05 and ext > as_of else None
                        add_period(s, task, unit, due, OPEN, label, extended, start)
                        continue
                    roll = rng.random()
                    if roll < 0.05:
                        add_period(s, task, unit, due, OPEN, label, starts_on=start)
                        continue
                    state = RETURNED if roll < 0.08 else SUBMITTED if roll < 0.15 else ACCEPTED
                    period = add_period(s, task, unit, due, state, label, starts_on=start)
                    late = rng.random() < 0.12
                    day = due + dt.timedelta(days=rng.randint(1, 6) if late else -rng.randint(0, 5))
                    review = {RETURNED: REVIEW_RETURNED, SUBMITTED: REVIEW_PENDING}.get(
                        state, REVIEW_ACCEPTED
                    )
                    for t in task.targets if lead else []:
                        share = (month - 2) / 10 * rng.uniform(0.7, 1.25)
                        add_report(
                            s,
                            period,
                            at(day, 10),
                            f"{label}进展：{t.label}",
                            round(t.value * share, 2),
                            t,
                            review,
                        )
                    if not (lead and task.targets):
                        add_report(s, period, at(day, 11), f"{label}按计划推进", None, None, review)
    with sessions() as s:
        xlsx = outdir / "台账.xlsx"
        build_ledger(s, cfg, as_of, dest=xlsx)
        pngs = write_charts(s, cfg, as_of, outdir / "charts")
    engine.dispose()
    return [xlsx, *pngs]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("outdir", type=Path)
    p.add_argument("--at", type=dt.date.fromisoformat, default=dt.date(2024, 9, 10))
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    for path in build(args.outdir, args.at, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
