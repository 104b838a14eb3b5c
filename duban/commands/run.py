"""`duban run`: the long-running process — the clock (and, with the bot, Telegram).

For now `duban run --console` runs the clock with the console channel (digests printed).
The bot helper adds the Telegram application to the same asyncio loop: see `serve()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from duban import context

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run the clock (and the bot): reminders go out on time")
    p.add_argument(
        "--console", action="store_true", help="print digests instead of sending to Telegram"
    )
    p.add_argument(
        "--interval", type=int, default=60, metavar="SECONDS", help="tick interval (default 60)"
    )
    p.set_defaults(func=run)


async def serve(ctx: context.AppContext, channel, interval: int = 60) -> None:  # type: ignore[no-untyped-def]
    """Start the clock in this loop and wait for SIGINT/SIGTERM. Integration point for the bot:
    start the Telegram application here too (`async with app:` …) and pass its channel."""
    import datetime as dt

    from jobs.clock import start_clock

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, stop.set)
    scheduler = start_clock(ctx, channel, interval=dt.timedelta(seconds=interval))
    log.info("duban: clock running every %d s (time zone %s)", interval, ctx.config.duban.timezone)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)


def run(args: argparse.Namespace) -> int:
    from duban.commands.tick import make_channel

    ctx = context.load(args)
    channel = make_channel(ctx, args.console)
    asyncio.run(serve(ctx, channel, args.interval))
    return 0
