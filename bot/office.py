"""District office (督查室) chats: /overview, /overdue, /export. Only chats listed in
[office] chat_ids may use them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import queries
from bot.auth import refuse
from bot.common import caller_of, reply_long
from bot.deps import deps
from bot.texts import render
from db.engine import transaction

T = "bot_office.j2"


async def _office_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    caller = caller_of(update, context)
    if caller.is_office:
        return True
    d = deps(context)
    with transaction(d.sessions) as session:
        refuse(session, caller, "office.command", "office", now=d.now())
    await update.effective_message.reply_text(render(d.locale, "bot_common.j2", "office_only"))  # type: ignore[union-attr]
    return False


async def overview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overview: tasks by light and status, overall and by section."""
    if not await _office_only(update, context):
        return
    d = deps(context)
    today = d.local_now().date()
    with transaction(d.sessions) as session:
        summary = queries.overview(session, d.lights, today)
    await reply_long(update, render(d.locale, T, "overview", overview=summary, today=today))


async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue: open items past due, grouped by lead department, oldest first, each with
    its age in working days (as the 催办 and the ledger count it)."""
    if not await _office_only(update, context):
        return
    d = deps(context)
    today = d.local_now().date()
    with transaction(d.sessions) as session:
        grouped = queries.overdue(session, today)
    for items in grouped.values():
        items.sort(key=lambda i: (i.due, i.task_number, i.unit))
    ages = d.overdue_ages((i for items in grouped.values() for i in items), today)
    text = render(d.locale, T, "overdue", grouped=grouped, today=today, ages=ages)
    await reply_long(update, text)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: the 台账 workbook and the overdue-by-lead chart (the shell makes them:
    BotDeps.export_files)."""
    if not await _office_only(update, context):
        return
    d = deps(context)
    today = d.local_now().date()
    xlsx, filename, png = await d.export_files(today)
    chat = update.effective_chat.id  # type: ignore[union-attr]
    await context.bot.send_document(
        chat,
        xlsx,
        filename=filename,
        caption=render(d.locale, T, "export_caption", today=today),
    )
    await context.bot.send_photo(chat, png, caption=render(d.locale, T, "chart_caption"))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("overview", overview),
        CommandHandler("overdue", overdue),
        CommandHandler("export", export),
    ]
