"""The clock: one interval job in the config's zone, coalescing, first run at once (catch-up)."""

from __future__ import annotations

import datetime as dt

from engine_fixtures import App
from memory_channel import MemoryChannel

from jobs.clock import JOB_ID, start_clock


async def test_one_coalescing_job_that_runs_at_once(config, sessions):
    scheduler = start_clock(App(config, sessions), MemoryChannel())
    try:
        jobs = scheduler.get_jobs()
        assert [j.id for j in jobs] == [JOB_ID]
        job = jobs[0]
        assert job.coalesce is True and job.max_instances == 1
        assert job.trigger.interval == dt.timedelta(minutes=1)
        assert str(scheduler.timezone) == config.duban.timezone
        # The catch-up tick is due immediately, not one interval after start.
        assert job.next_run_time < job.trigger.start_date
    finally:
        scheduler.shutdown(wait=False)
