"""`duban run`: the long-running process — the clock, and the chat channels the config
enables: Telegram (its Application on the same asyncio loop, see `serve()`) and DingTalk (the
Stream client in a thread of its own; its sends go through the clock's loop). Each contact
gets its digests on its own channel.

`duban run` serves the clock and the chat channels the config enables in one process:
Telegram (the bot, on the same asyncio loop, see `serve()`; it needs the bot token) and
DingTalk (the Stream client in a thread of its own; its sends go through the clock's loop).
Each contact gets its digests on its own channel. `duban run --console` runs the clock alone
and prints the digests: they reach nobody and stay 'printed' in the outbox until a run or tick
through a chat channel sends them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
from typing import Any
from urllib.parse import urlparse

from db.engine import transaction
from duban import context
from duban.argtypes import whole_number
from duban.commands import add_command
from duban.commands.tick import bot_token, make_channel, refuse_backwards, sole_deliverer
from duban.errors import UserError
from duban.importer.deadline import sync_deadlines
from duban.telegram_token import telegram_errors
from duban.wiring import runtime
from jobs.clock import start_clock
from jobs.delivery.contracts import AttachmentMaker

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = add_command(
        sub,
        "run",
        "run the bot and the clock: reminders go out on time, replies come in",
        "Needs the bot token; stop with Ctrl-C (SIGINT) or SIGTERM.",
    )
    p.add_argument(
        "--console",
        action="store_true",
        help="only the clock, printing the digests instead of sending them: nobody receives "
        "them, so they stay in the outbox ('printed') for a later run through Telegram",
    )
    p.add_argument(
        "--interval",
        type=whole_number(1),
        default=60,
        metavar="SECONDS",
        help="tick interval (default 60)",
    )
    p.set_defaults(func=run)


async def serve(  # type: ignore[no-untyped-def]
    ctx: context.AppContext,
    channel,
    interval: int = 60,
    app=None,
    *,
    stop: asyncio.Event | None = None,
    clock: bool = True,
    attachments: AttachmentMaker | None = None,
) -> None:
    """Start the bot (when given) and the clock in this loop; wait for SIGINT/SIGTERM; stop in
    reverse order. PTB: `async with app` → updater.start_polling (or start_webhook) →
    app.start(); the clock sends through the same Bot (one HTTP client, one rate limiter)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows; not main thread
            loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        if app is not None:
            await stack.enter_async_context(app)
            if app.post_init:  # run_polling would call it; we start the parts ourselves
                await app.post_init(app)
            await _start_updates(ctx, app)
            await app.start()
            stack.push_async_callback(_stop_bot, app)
            log.info("duban: bot @%s receiving updates", app.bot.username)
        scheduler = None
        if clock:
            with transaction(ctx.sessions) as session:  # an edited [[deadlines]] counts from now
                sync_deadlines(session, ctx.config)
            rt = runtime(ctx.config, ctx.sessions, attachments=attachments)
            scheduler = start_clock(rt, channel, interval=dt.timedelta(seconds=interval))
            log.info(
                "duban: clock running every %d s (time zone %s)",
                interval,
                ctx.config.duban.timezone,
            )
        try:
            await stop.wait()
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)


async def _start_updates(ctx: context.AppContext, app) -> None:  # type: ignore[no-untyped-def]
    tg = ctx.config.telegram
    if tg.mode == "webhook" and tg.webhook is not None:
        secret = os.environ.get(tg.webhook.secret_token_env, "")
        if not secret:
            raise UserError(
                f"webhook mode needs a secret: set the environment variable "
                f"{tg.webhook.secret_token_env} (letters, digits, _ and -)"
            )
        try:
            await app.updater.start_webhook(
                listen=tg.webhook.listen,
                port=tg.webhook.port,
                url_path=urlparse(tg.webhook.url).path.lstrip("/"),
                webhook_url=tg.webhook.url,
                secret_token=secret,
            )
        except RuntimeError as exc:  # PTB says so when the [webhooks] extra is missing
            raise UserError(f"webhook mode: {exc} (pip install 'duban[webhooks]')") from exc
    else:
        await app.updater.start_polling(drop_pending_updates=False)


async def _stop_bot(app) -> None:  # type: ignore[no-untyped-def]
    if app.updater and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line a minute otherwise
    if args.console:
        with sole_deliverer(ctx, console=True):
            refuse_backwards(ctx, dt.datetime.now(ctx.config.tz), given=False)
            asyncio.run(serve(ctx, make_channel(ctx, True), args.interval))
        return 0
    cfg = ctx.config
    if not cfg.telegram.enabled and not cfg.dingtalk.enabled:
        raise UserError(
            "no chat channel enabled: set [telegram] enabled = true or [dingtalk] enabled = true "
            "(or run `duban run --console`)"
        )
    channels: list[Any] = []
    app = None
    files = None
    with contextlib.ExitStack() as stack:
        if cfg.telegram.enabled:
            # Lazy: python-telegram-bot (and the ledger's openpyxl/matplotlib) load only for
            # the commands that talk to Telegram, not for every `duban` command.
            from duban.bot_wiring import application, telegram_channel
            from duban.office_files import weekly_files

            token = bot_token(ctx)  # without one: says exactly which variable to set
            app = application(ctx, token)
            channels.append(telegram_channel(ctx, app.bot))
            stack.enter_context(telegram_errors(cfg, token))  # for the process's life
            files = weekly_files(ctx.sessions, cfg)  # the office's weekly digest's
        secret = ""
        if cfg.dingtalk.enabled:
            # Lazy: the DingTalk SDK (and requests) load only when DingTalk is on.
            from duban.dingtalk_wiring import (
                dingtalk_api,
                dingtalk_channel,
                load_secret,
                stream_thread,
            )

            secret = load_secret(cfg)  # without one: says exactly what to set
            channels.append(dingtalk_channel(cfg, dingtalk_api(cfg, secret)))
        stack.enter_context(sole_deliverer(ctx, console=False))
        refuse_backwards(ctx, dt.datetime.now(cfg.tz), given=False)
        if secret:
            receiver = stream_thread(ctx, secret)
            receiver.start()
            stack.callback(receiver.stop)
            log.info("duban: DingTalk robot %s receiving (Stream mode)", cfg.dingtalk.robot)
        asyncio.run(serve(ctx, channels, args.interval, app=app, attachments=files))
    return 0
