"""All wiring of the Telegram bot in one place: `build_application(deps, token, …)`, from plain
values (the shell, duban/bot_wiring.py, reads them from the config).

One ConversationHandler per dialogue, plain CallbackQueryHandlers for reminder buttons, a gate
in group -1 that turns away anyone not bound (the same short explanation for every command),
and one error handler. `post_init` asks getMe for the bot's username (works against any Bot API
server: `base_url`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import traceback

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    TypeHandler,
)

from bot import extension, fallback, office, registration, replies, report, review, status, tasks
from bot.deps import DEPS_KEY, BotDeps, deps
from bot.rate_limit import PacedRateLimiter
from bot.redaction import install_redaction
from bot.texts import render

log = logging.getLogger(__name__)

COMMANDS = {
    "zh_CN": [
        ("tasks", "我单位的任务"),
        ("report", "报送进展"),
        ("status", "我牵头的任务（逐单位）"),
        ("designate", "指定“各相关”单位"),
        ("done", "申请办结（牵头单位）"),
        ("overview", "总体情况（督查室）"),
        ("overdue", "逾期事项（督查室）"),
        ("export", "导出台账（督查室）"),
        ("cancel", "取消当前操作"),
    ],
    "en": [
        ("tasks", "my unit's tasks"),
        ("report", "report progress"),
        ("status", "tasks I lead, unit by unit"),
        ("designate", "designate units for a placeholder"),
        ("done", "mark a task I lead as done"),
        ("overview", "counts (office)"),
        ("overdue", "overdue items (office)"),
        ("export", "ledger export (office)"),
        ("cancel", "cancel the current dialogue"),
    ],
}


def builder_for(
    token: str,
    *,
    tz: dt.tzinfo,
    base_url: str = "",
    base_file_url: str = "",
    proxy: str = "",
) -> ApplicationBuilder:
    """ApplicationBuilder with the token, server URLs, proxy, rate limiter and defaults.
    Empty URLs and proxy: Telegram's own servers, directly."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(PacedRateLimiter())
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=tz))
    )
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    if proxy:
        builder = builder.proxy(proxy).get_updates_proxy(proxy)
    return builder


def build_application(
    bot_deps: BotDeps,
    token: str,
    *,
    base_url: str = "",
    base_file_url: str = "",
    proxy: str = "",
    set_commands: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The bot's Application; run it with `duban run` (bot + clock) or in tests. Who starts
    the parts by hand (not run_polling) must await `app.post_init(app)` after initialize."""
    install_redaction(token)

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        try:
            me = app.bot.bot  # initialize() already asked getMe
        except RuntimeError:
            me = await app.bot.get_me()
        deps(app).username = me.username or ""
        if set_commands:
            await app.bot.set_my_commands(
                [BotCommand(c, d) for c, d in COMMANDS.get(bot_deps.locale, COMMANDS["en"])]
            )
        log.info("bot @%s ready", me.username)

    builder = builder_for(
        token, tz=bot_deps.tz, base_url=base_url, base_file_url=base_file_url, proxy=proxy
    )
    app = builder.post_init(post_init).build()
    app.bot_data[DEPS_KEY] = bot_deps

    app.add_handler(TypeHandler(Update, registration.gate), group=-1)
    for handler in (
        *replies.edit_handlers(),
        *registration.handlers(),
        *report.handlers(),
        *tasks.handlers(),
        *replies.handlers(),
        *review.handlers(),
        *extension.handlers(),
        *status.handlers(),
        *office.handlers(),
        *fallback.handlers(),
        *replies.late_handlers(),
    ):
        app.add_handler(handler)
    app.add_error_handler(error_handler)
    return app


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error without personal data (exception types and code locations, never the
    messages: they can quote what a user sent) and tell the user briefly, in escaped HTML."""
    err = context.error
    log.error("error while handling an update: %s", _without_messages(err))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    with contextlib.suppress(Exception):  # stop the button's spinner, if nobody has
        if update.callback_query is not None:
            await update.callback_query.answer()
    try:
        d = deps(context)
        text = render(d.locale, "bot_common.j2", "error", detail=type(err).__name__)
        await context.bot.send_message(update.effective_chat.id, text[:4096])
    except Exception as exc:  # the error handler must never raise
        log.warning("could not tell the user about the error: %s", type(exc).__name__)


def _without_messages(err: BaseException | None) -> str:
    """'RuntimeError' and the traceback's frames (file, line, code) for err and its causes.
    Only Telegram's own error descriptions ('Bad Request: message is too long') are kept."""
    lines: list[str] = []
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        said = f": {err.message}" if isinstance(err, TelegramError) else ""
        lines.append(type(err).__name__ + said)
        lines.extend(traceback.format_tb(err.__traceback__))
        err = err.__cause__ or err.__context__
    return "\n".join(lines)
