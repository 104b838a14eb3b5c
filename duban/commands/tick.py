"""`duban tick [--at ISO-TIME]`: one tick of the clock — plan what is due, deliver it.

Without a Telegram token the console channel prints each digest. --at runs the tick as if it
were that moment (e.g. to look at what 2024-03-22T09:00 would send); the messages really go
out through the channel and are recorded as sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator

from duban import context
from duban.errors import UserError
from duban.telegram_token import load_token, telegram_errors
from duban.wiring import config_plan_window, runtime
from jobs.delivery import recover_stale
from jobs.delivery.console import ConsoleChannel
from jobs.delivery.lock import DeliveryBusy, delivery_lock
from jobs.tick import tick


def _moment(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time like 2024-03-22T09:00 or 2024-03-22T09:00+08:00"
        ) from exc


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tick", help="run one tick now (or --at a given time) and deliver")
    p.add_argument(
        "--at",
        type=_moment,
        metavar="ISO-TIME",
        help="the moment to tick at; without an offset, the config's time zone",
    )
    p.add_argument(
        "--console", action="store_true", help="print digests instead of sending (default now)"
    )
    p.set_defaults(func=run)


def make_channel(ctx: context.AppContext, console: bool):  # type: ignore[no-untyped-def]
    """The configured channel: with --console, or without a bot token, digests are printed;
    with a token, they go through Telegram (the configured Bot API server)."""
    if console or not has_token(ctx):
        return ConsoleChannel()
    # Lazy: python-telegram-bot (and the ledger's openpyxl/matplotlib) load only for the
    # commands that talk to Telegram, not for every `duban` command.
    from duban.bot_wiring import telegram_bot, telegram_channel

    return telegram_channel(ctx, telegram_bot(ctx.config, load_token(ctx.config)))


def has_token(ctx: context.AppContext) -> bool:
    try:
        load_token(ctx.config)
    except UserError:
        return False
    return True


@contextlib.contextmanager
def sole_deliverer(ctx: context.AppContext) -> Iterator[None]:
    """Hold the database's delivery lock (jobs/delivery/lock.py) and put back what a killed
    run left in flight; refuse clearly if another process is delivering."""
    try:
        with delivery_lock(ctx.engine):
            recover_stale(ctx.sessions)
            yield
    except DeliveryBusy as exc:
        raise UserError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    now = args.at or dt.datetime.now(ctx.config.tz)
    if now.tzinfo is None:
        now = now.replace(tzinfo=ctx.config.tz)
    channel = make_channel(ctx, args.console)

    done: list = []
    bot = getattr(channel, "bot", None)

    attachments = None
    if bot is not None:  # the office's weekly digest carries the ledger and chart
        from duban.office_files import weekly_files  # lazy, as in make_channel

        attachments = weekly_files(ctx.sessions, ctx.config)
    rt = runtime(ctx.config, ctx.sessions, attachments=attachments)

    async def one_tick() -> None:
        # The report is handed back through `done`, not returned: Python 3.11's asyncio.run
        # formats repr() of the main task's result (≈ 0.3 s for a busy tick's report).
        if bot is None:
            done.append(await tick(rt, channel, now))
            return
        async with bot:  # initialise/close the Bot's HTTP client around the tick
            done.append(await tick(rt, channel, now))

    with sole_deliverer(ctx), telegram_errors(ctx.config, bot.token if bot is not None else ""):
        asyncio.run(one_tick())
    report = done[0]
    d = report.delivery
    print(
        f"tick at {now.isoformat(timespec='minutes')}: {report.periods_created} period(s) "
        f"created, {report.periods_planned} checked, {report.intents} notice(s) planned; "
        f"{len(d.delivered)} message(s) sent, {d.items_failed} item(s) to retry, "
        f"{d.items_dead} dead"
    )
    if not (report.periods_created or report.periods_planned or report.intents):
        note = outside_plan_note(ctx, now)
        if note:
            print(f"duban: note: {note}", file=sys.stderr)
    return 0


def outside_plan_note(ctx: context.AppContext, now: dt.datetime) -> str:
    """Why a tick found nothing at all, when `now` lies outside the reporting plan: a newcomer's
    `tick --at 2024-03-20T09:00` on a database first imported today is the usual case."""
    day = now.astimezone(ctx.config.tz).date()
    with ctx.sessions() as session:
        start, end = config_plan_window(session, ctx.config, day)
    if day < start:
        return (
            f"{day} is before the reporting plan starts ({start}: [reporting] start, else the "
            "day of the first import), so nothing is due then; set [reporting] start to replay "
            "an earlier date"
        )
    if day > end:
        return (
            f"{day} is after the reporting plan ends ({end}: [reporting] end, else 31 December "
            "of the start year)"
        )
    return ""
