"""The shell's wiring of the Telegram bot: the config's values into bot/'s plain arguments.

bot/ never reads the config: here the office's chats, the time zone, the locale, the reporting
plan's end and the office's files (ledger + chart) become a BotDeps, and [telegram]'s server
and proxy become the Application's, the tick's Bot's and the channel's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from telegram.ext import Application, ApplicationBuilder, ExtBot
from telegram.request import HTTPXRequest

from bot.app import build_application, builder_for
from bot.deps import BotDeps
from bot.rate_limit import PacedRateLimiter
from bot.redaction import install_redaction
from bot.telegram_channel import TelegramChannel
from duban.config import Config
from duban.context import AppContext
from duban.office_files import office_files
from duban.wiring import config_plan_window, lights_for

Clock = Callable[[], dt.datetime]


def _clock(cfg: Config, now: Clock | None) -> Clock:
    return now or (lambda: dt.datetime.now(cfg.tz))


def bot_deps(ctx: AppContext, now: Clock | None = None) -> BotDeps:
    cfg = ctx.config

    def plan_end(session: Session, day: dt.date) -> dt.date:
        return config_plan_window(session, cfg, day)[1]

    return BotDeps(
        sessions=ctx.sessions,
        now=_clock(cfg, now),
        tz=cfg.tz,
        locale=cfg.duban.locale,
        office_name=cfg.office.name,
        office_chat_ids=frozenset(cfg.office.chat_ids),
        plan_end=plan_end,
        export_files=office_files(ctx.sessions, cfg),
        lights=lights_for(cfg),
        figure_rules=cfg.figures.figure_rules(),
    )


def application(
    ctx: AppContext, token: str, *, now: Clock | None = None, set_commands: bool = True
) -> Application:  # type: ignore[type-arg]
    """The bot's Application on the configured Bot API server ([telegram] base_url, proxy)."""
    tg = ctx.config.telegram
    return build_application(
        bot_deps(ctx, now),
        token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        proxy=tg.proxy,
        set_commands=set_commands,
    )


def application_builder(cfg: Config, token: str) -> ApplicationBuilder:
    """For a command that only asks the server something (getMe): no handlers, no deps; the
    token redacted in logs from now on."""
    install_redaction(token)
    tg = cfg.telegram
    return builder_for(
        token, tz=cfg.tz, base_url=tg.base_url, base_file_url=tg.base_file_url, proxy=tg.proxy
    )


def telegram_bot(cfg: Config, token: str) -> ExtBot[None]:
    """A Bot for one tick's sends (no updates received), paced under Telegram's limits like
    the Application's (bot/rate_limit.py), token redacted in logs."""
    install_redaction(token)
    tg = cfg.telegram
    return ExtBot(
        token,
        base_url=tg.base_url or "https://api.telegram.org/bot",
        base_file_url=tg.base_file_url or "https://api.telegram.org/file/bot",
        request=HTTPXRequest(proxy=tg.proxy or None),
        rate_limiter=PacedRateLimiter(),
    )


def telegram_channel(ctx: AppContext, bot: ExtBot[Any]) -> TelegramChannel:
    """The delivery's channel through `bot` (transport only: the weekly digest's files come
    from duban.wiring.runtime(…, with_files=True))."""
    return TelegramChannel(bot)
