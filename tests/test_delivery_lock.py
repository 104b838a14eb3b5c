"""One deliverer per database: a second `duban tick` (or `duban run`) beside a running one is
refused with a clear message instead of resetting digests the first one is sending."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from duban.cli import main
from duban.config import example_config_path
from jobs.delivery.lock import DeliveryBusy, delivery_lock

REPO = Path(__file__).resolve().parent.parent


def test_a_second_holder_is_refused_and_told_who_holds_it(engine: Engine) -> None:
    with delivery_lock(engine):
        other = make_engine(str(engine.url))
        with pytest.raises(DeliveryBusy, match=f"pid {os.getpid()}"), delivery_lock(other):
            pass
        other.dispose()
    with delivery_lock(engine):  # released on exit: the next run takes it
        pass


def test_the_lock_dies_with_a_killed_holder(engine: Engine, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(engine.url)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(DeliveryBusy), delivery_lock(engine):
            pass
    finally:
        holder.kill()  # SIGKILL: no cleanup code runs in the holder
        holder.wait()
    with delivery_lock(engine):
        pass


_HOLD = """
import sys, time
from db.engine import make_engine
from jobs.delivery.lock import delivery_lock
with delivery_lock(make_engine(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_duban_tick_beside_a_running_deliverer_says_so(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"
    config.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--config", str(config), "init"]) == 0
    database = tmp_path / "data" / "duban.db"
    assert database.exists()
    capsys.readouterr()
    engine = make_engine(f"sqlite:///{database}")
    with delivery_lock(engine):
        code = main(["--config", str(config), "tick", "--console", "--at", "2024-03-20T09:00"])
    engine.dispose()
    err = capsys.readouterr().err
    assert code == 2
    assert "another duban process is already delivering from this database" in err
    assert f"pid {os.getpid()}" in err
    assert main(["--config", str(config), "tick", "--console", "--at", "2024-03-20T09:00"]) == 0
