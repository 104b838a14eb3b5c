"""Restart safety with a real process: SIGKILL at random (seeded) moments of a simulated
month, restart until done; then every due message went out, and a message went out twice
only if its send had completed right before a kill (it is the killed run's last log line:
written, but the 'sent' mark never committed)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from db.models import OutboxItem
from duban.config import parse_config
from duban.importer import import_file
from duban.registry import sync_units

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).with_name("restart_worker.py")
SEED_TABLE = REPO / "examples" / "shenhe-2024-tasks.txt"
KILLS = 4

CONFIG_TAIL = """
[reporting]
start = 2024-03-15
end = 2024-05-31
default = { every = "month", day = 25 }
"""


def make_config(directory: Path) -> Path:
    """The example config with a fixed reporting window (replacing its [reporting] table)."""
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    head, _, rest = text.partition("[reporting]")
    _, _, rest = rest.partition("[escalation]")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(head + CONFIG_TAIL + "\n[escalation]" + rest, encoding="utf-8")
    return path


def prepare(directory: Path) -> Path:
    path = make_config(directory)
    cfg = parse_config(path.read_text(encoding="utf-8"), str(path), directory)
    engine = make_engine(cfg.database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        sync_units(session, cfg)
    with transaction(sessions) as session:
        import_file(session, cfg, SEED_TABLE)
    engine.dispose()
    return path


def start_worker(config: Path, log: Path, incarnation: int) -> subprocess.Popen:
    progress = config.parent / "progress"
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(config), str(log), str(progress), str(incarnation)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def read_log(log: Path) -> list[dict]:
    entries = []
    for raw in log.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(raw))
        except json.JSONDecodeError:  # a line cut by the kill: that send never completed
            continue
    return entries


def outbox(config: Path) -> dict[int, tuple[str, str]]:
    """outbox id → (dedupe key, state)."""
    cfg = parse_config(config.read_text(encoding="utf-8"), str(config), config.parent)
    engine = make_engine(cfg.database_url)
    with make_sessionmaker(engine)() as session:
        rows = {r.id: (r.dedupe_key, r.state) for r in session.scalars(select(OutboxItem))}
    engine.dispose()
    return rows


def first_delivery(entries: list[dict], keys: dict[int, tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in entries:
        for item_id in entry["ids"]:
            out.setdefault(keys[item_id][0], entry["at"])
    return out


def test_sigkill_at_random_points_loses_nothing(tmp_path: Path):
    template = prepare(tmp_path / "template")
    killed_dir = tmp_path / "killed"
    ref_dir = tmp_path / "reference"
    shutil.copytree(template.parent, killed_dir)
    shutil.copytree(template.parent, ref_dir)

    # The reference: one uninterrupted run.
    ref_log = ref_dir / "sent.log"
    proc = start_worker(ref_dir / "config.toml", ref_log, 1)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()

    # The same month, killed KILLS times at seeded random moments.
    rng = random.Random(20240325)
    log = killed_dir / "sent.log"
    killed: set[int] = set()
    incarnation = 0
    while True:
        incarnation += 1
        proc = start_worker(killed_dir / "config.toml", log, incarnation)
        if len(killed) < KILLS:
            try:
                proc.wait(timeout=rng.uniform(0.8, 1.6))
            except subprocess.TimeoutExpired:
                proc.kill()  # SIGKILL
                proc.wait()
                killed.add(incarnation)
                continue
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        break
    assert len(killed) == KILLS, "the worker finished before it could be killed: raise delays"

    ref_rows, rows = outbox(ref_dir / "config.toml"), outbox(killed_dir / "config.toml")
    ref_entries, entries = read_log(ref_log), read_log(log)

    # Nothing lost: the same messages were planned, all were marked sent, all reached the log.
    assert {k for k, _ in rows.values()} == {k for k, _ in ref_rows.values()}
    assert {state for _, state in rows.values()} == {"sent"}
    logged = {i for e in entries for i in e["ids"]}
    assert set(rows) <= logged
    # …and each at the same (virtual) time as in the uninterrupted run.
    assert first_delivery(entries, rows) == first_delivery(ref_entries, ref_rows)

    # The uninterrupted run sent everything exactly once.
    ref_count = defaultdict(int)
    for e in ref_entries:
        for i in e["ids"]:
            ref_count[i] += 1
    assert set(ref_count.values()) == {1}

    # Duplicates only for a send completed right before a kill.
    last_line_of: dict[int, int] = {}
    for n, e in enumerate(entries):
        last_line_of[e["inc"]] = n
    seen: dict[int, int] = {}
    duplicates = 0
    for n, e in enumerate(entries):
        for i in e["ids"]:
            if i in seen:
                duplicates += 1
                earlier = seen[i]
                inc = entries[earlier]["inc"]
                assert inc in killed, f"item {i} sent twice, first by a run that was not killed"
                assert last_line_of[inc] == earlier, (
                    f"item {i}: its first send was not the last act of killed run {inc}"
                )
            seen[i] = n
    assert duplicates <= KILLS * 200  # at most the digest in flight at each kill
    per_run = defaultdict(int)
    for e in entries:
        per_run[e["inc"]] += 1
    print(f"log lines per run {dict(per_run)}, killed {sorted(killed)}, duplicates {duplicates}")
