"""`duban tick [--at ISO-TIME] [--console]`: one tick of the clock — plan what is due, deliver it.

Delivery goes through Telegram; without a bot token the tick refuses (nothing silently goes
nowhere) unless --console asks to print the digests instead. Printed digests are delivered
to nobody: they are marked 'printed', and the next tick or run through Telegram re-checks and
sends them. --at runs the tick as if it were that moment (to replay a past year); a moment
earlier than the last tick is refused, since the plan has already moved past it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator

from db.engine import transaction
from duban import context
from duban.commands import add_command
from duban.errors import UserError
from duban.importer.deadline import sync_deadlines
from duban.telegram_token import load_token, telegram_errors
from duban.wiring import config_plan_window, runtime
from jobs.delivery import recover_stale
from jobs.delivery.claim import reopen_printed
from jobs.delivery.console import ConsoleChannel
from jobs.delivery.lock import DeliveryBusy, delivery_lock
from jobs.tick import last_tick, tick
from messages.render import render_text


def _moment(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time like 2024-03-22T09:00 or 2024-03-22T09:00+08:00"
        ) from exc


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(
        sub,
        "tick",
        "run one tick now (or --at a given time): plan what is due and deliver it",
        "Sends through Telegram: without a bot token it refuses, unless --console.",
    )
    p.add_argument(
        "--at",
        type=_moment,
        metavar="ISO-TIME",
        help="the moment to tick at (default: now); without an offset, the config's time "
        "zone; not earlier than the last tick",
    )
    p.add_argument(
        "--console",
        action="store_true",
        help="print the digests instead of sending them: nobody receives them, so they stay "
        "in the outbox ('printed') for the next tick through Telegram",
    )
    p.set_defaults(func=run)


def make_channel(ctx: context.AppContext, console: bool):  # type: ignore[no-untyped-def]
    """The console with --console; else Telegram (the configured Bot API server), and without
    a bot token a UserError: a tick never falls back to printing by itself."""
    if console:
        return ConsoleChannel()
    token = bot_token(ctx)
    # Lazy: python-telegram-bot (and the ledger's openpyxl/matplotlib) load only for the
    # commands that talk to Telegram, not for every `duban` command.
    from duban.bot_wiring import telegram_bot, telegram_channel

    return telegram_channel(ctx, telegram_bot(ctx.config, token))


def bot_token(ctx: context.AppContext) -> str:
    """The bot token, or a UserError saying what to set — or to pass --console."""
    try:
        return load_token(ctx.config)
    except UserError as exc:
        reason = str(exc).rstrip(".")
        raise UserError(_text(ctx, "no_channel", reason=reason)) from None


@contextlib.contextmanager
def sole_deliverer(ctx: context.AppContext, *, console: bool) -> Iterator[None]:
    """Hold the database's delivery lock (jobs/delivery/lock.py) and put back what a killed
    run left in flight; a real channel also takes up what a console only printed. Refuse
    clearly if another process is delivering."""
    try:
        with delivery_lock(ctx.engine):
            recover_stale(ctx.sessions)
            if not console:
                reopen_printed(ctx.sessions)
            yield
    except DeliveryBusy as exc:
        raise UserError(str(exc)) from None


def _text(ctx: context.AppContext, m: str, **values: object) -> str:
    return render_text(ctx.config.duban.locale, "cli_tick.j2", m, **values)


def _shown(moment: dt.datetime, ctx: context.AppContext) -> str:
    return moment.astimezone(ctx.config.tz).isoformat(timespec="minutes")


def refuse_backwards(ctx: context.AppContext, now: dt.datetime, given: bool) -> None:
    """A tick earlier than the last one would replay time the plan has moved past."""
    with ctx.sessions() as session:
        last = last_tick(session)
    if last is not None and now < last:
        what = _text(ctx, "what_at" if given else "what_now")
        raise UserError(
            _text(ctx, "earlier", what=what, at=_shown(now, ctx), last=_shown(last, ctx))
        )


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    now = args.at or dt.datetime.now(ctx.config.tz)
    if now.tzinfo is None:
        now = now.replace(tzinfo=ctx.config.tz)
    cfg = ctx.config
    channels = []
    dingtalk = None
    if args.console or cfg.telegram.enabled or not cfg.dingtalk.enabled:
        channels.append(make_channel(ctx, args.console))  # Telegram refuses without a token
    if cfg.dingtalk.enabled and not args.console:
        # Lazy: the DingTalk client loads only when DingTalk is on.
        from duban.dingtalk_wiring import dingtalk_api, dingtalk_channel, load_secret

        dingtalk = dingtalk_channel(cfg, dingtalk_api(cfg, load_secret(cfg)))
        channels.append(dingtalk)
    channel = channels[0]

    done: list = []
    bot = getattr(channel, "bot", None)

    attachments = None
    if bot is not None:  # the office's weekly digest carries the ledger and chart
        from duban.office_files import weekly_files  # lazy, as in make_channel

        attachments = weekly_files(ctx.sessions, ctx.config)
    with transaction(ctx.sessions) as session:  # an edited [[deadlines]] counts from now
        sync_deadlines(session, ctx.config)
    rt = runtime(ctx.config, ctx.sessions, attachments=attachments)

    async def one_tick() -> None:
        # The report is handed back through `done`, not returned: Python 3.11's asyncio.run
        # formats repr() of the main task's result (≈ 0.3 s for a busy tick's report).
        try:
            if bot is None:
                done.append(await tick(rt, channels, now))
                return
            async with bot:  # initialise/close the Bot's HTTP client around the tick
                done.append(await tick(rt, channels, now))
        finally:
            if dingtalk is not None:
                await dingtalk.api.aclose()

    token = bot.token if bot is not None else ""
    with sole_deliverer(ctx, console=args.console), telegram_errors(ctx.config, token):
        refuse_backwards(ctx, now, given=args.at is not None)
        asyncio.run(one_tick())
    report = done[0]
    d = report.delivery
    printed = d.items_printed > 0
    print(
        _text(
            ctx,
            "summary",
            at=_shown(now, ctx),
            created=report.periods_created,
            checked=report.periods_planned,
            planned=report.intents,
            sent=0 if printed else len(d.delivered),
            failed=d.items_failed,
            dead=d.items_dead,
        )
    )
    if printed:
        print(_text(ctx, "printed", messages=len(d.delivered), items=d.items_printed))
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
        return _text(ctx, "before_plan", day=day, start=start)
    if day > end:
        return _text(ctx, "after_plan", day=day, end=end)
    return ""
