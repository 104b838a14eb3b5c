"""A worker for tests/test_restart.py: ticks a simulated month, hour by hour, against a file
SQLite database, delivering through a channel that appends each digest to a log file and
fsyncs. The test kills it with SIGKILL at random moments and starts it again.

    python tests/restart_worker.py CONFIG LOG PROGRESS INCARNATION

PROGRESS holds the virtual time of the next tick (written atomically after each tick); a
restarted worker resumes there, so the tick that was cut short runs again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from pathlib import Path

from duban.config import Config, load_config
from duban.context import AppContext, open_context
from duban.wiring import runtime
from jobs.delivery import Outgoing, recover_stale
from jobs.delivery.lock import delivery_lock
from jobs.tick import tick

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory_channel import FileLogChannel

START = (2024, 3, 18, 8)
END = (2024, 5, 18, 0)


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def main() -> int:
    config_path, log_path, progress_path, incarnation = sys.argv[1:5]
    cfg = load_config(config_path)
    ctx = open_context(cfg)
    # As `duban run` does. The lock of a killed incarnation must not outlive it: a restart
    # that found it held would fail here.
    with delivery_lock(ctx.engine):
        return work(ctx, cfg, log_path, progress_path, incarnation)


def work(ctx: AppContext, cfg: Config, log_path: str, progress_path: str, incarnation: str) -> int:
    recover_stale(ctx.sessions)
    rt = runtime(cfg, ctx.sessions)
    progress = Path(progress_path)
    start = dt.datetime(*START, tzinfo=cfg.tz)
    end = dt.datetime(*END, tzinfo=cfg.tz)
    now = dt.datetime.fromisoformat(progress.read_text()) if progress.exists() else start
    current: dict[str, str] = {}

    def line(message: Outgoing) -> str:
        return json.dumps(
            {
                "inc": int(incarnation),
                "at": current["at"],
                "recipient": message.recipient.key,
                "ids": [item.id for item in message.items],
            }
        )

    channel = FileLogChannel(Path(log_path), line)

    async def run(now: dt.datetime) -> None:
        while now < end:
            current["at"] = now.isoformat()
            await tick(rt, channel, now)
            now += dt.timedelta(hours=1)
            write_atomically(progress, now.isoformat())

    asyncio.run(run(now))
    ctx.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
