"""The clock: APScheduler 3.x only says "now"; the database says what is due.

One interval job (every minute by default; coalesce, max_instances=1, in the config's time
zone) calls `tick(now)`. The first run happens at once on start: that one tick catches up
everything that fell due while duban was down (the planner reads next_check_at from the
database), so no persistent job store is needed and nothing is replayed twice.

Wiring for `duban run` (the bot helper adds the Telegram application to the same loop):

    async def main():
        scheduler = start_clock(runtime, channel)   # inside the running loop
        try:
            await stop_event.wait()
        finally:
            scheduler.shutdown(wait=False)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs.delivery import Channel
from jobs.runtime import Runtime
from jobs.tick import tick

log = logging.getLogger(__name__)

JOB_ID = "duban-tick"
DEFAULT_INTERVAL = dt.timedelta(minutes=1)


def start_clock(
    rt: Runtime, channel: Channel | Sequence[Channel], *, interval: dt.timedelta = DEFAULT_INTERVAL
) -> AsyncIOScheduler:
    """Start the scheduler inside the running asyncio loop and return it (shut it down with
    `scheduler.shutdown(wait=False)`). The caller holds the delivery lock and has put back
    what a killed run left in flight (duban.commands.tick.sole_deliverer)."""
    tz = rt.settings.tz
    channels = tuple(channel) if isinstance(channel, Sequence) else (channel,)
    delivers = all(c.delivers for c in channels)

    async def run_tick() -> None:
        now = dt.datetime.now(tz)
        try:
            report = await tick(rt, channel, now)
        except Exception:  # keep the clock alive; the next tick retries from the database
            log.exception("tick at %s failed", now.isoformat(timespec="seconds"))
            return
        d = report.delivery
        if report.intents or d.delivered or d.items_failed or d.items_dead or d.items_dropped:
            log.info(
                "tick %s: %d period(s) checked, %d intent(s), %d message(s) %s, "
                "%d failed, %d dead, %d dropped (no longer held)",
                now.isoformat(timespec="seconds"),
                report.periods_planned,
                report.intents,
                len(d.delivered),
                "sent" if delivers else "printed (delivered to nobody)",
                d.items_failed,
                d.items_dead,
                d.items_dropped,
            )

    scheduler = AsyncIOScheduler(timezone=tz)
    scheduler.add_job(
        run_tick,
        "interval",
        seconds=interval.total_seconds(),
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(interval.total_seconds()),
        next_run_time=dt.datetime.now(tz),  # the catch-up tick, at once
    )
    scheduler.start()
    return scheduler
