"""District office (督查室) chats: /overview, /overdue, /export. Only chats listed in
[office] chat_ids may use them."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot import queries
from bot.common import caller_of, reply_long
from bot.deps import deps
from bot.texts import render
from db.engine import transaction
from duban.config import Config

T = "bot_office.j2"
CHART = "overdue_by_lead"  # a key of duban.charts.CHARTS


async def _office_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    caller = caller_of(update, context)
    if caller.is_office:
        return True
    d = deps(context)
    from bot.auth import refuse

    with transaction(d.sessions) as session:
        refuse(session, caller, "office.command", "office", now=d.now())
    await update.effective_message.reply_text(render(d.locale, "bot_common.j2", "office_only"))  # type: ignore[union-attr]
    return False


async def overview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overview: counts by state, overall and by section."""
    if not await _office_only(update, context):
        return
    d = deps(context)
    today = d.local_now().date()
    with transaction(d.sessions) as session:
        total, sections = queries.overview(session, today)
    await reply_long(
        update, render(d.locale, T, "overview", total=total, sections=sections, today=today)
    )


async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue: open items past due, grouped by lead department."""
    if not await _office_only(update, context):
        return
    d = deps(context)
    today = d.local_now().date()
    with transaction(d.sessions) as session:
        grouped = queries.overdue(session, today)
    await reply_long(update, render(d.locale, T, "overdue", grouped=grouped, today=today))


async def export_files(
    sessions: sessionmaker[Session], cfg: Config, today: dt.date
) -> tuple[bytes, str, bytes]:
    """The 台账 workbook and the overdue-by-lead chart as of `today`: (xlsx, filename, png).
    Used by /export and by the weekly digest to the office."""
    from duban.charts import render_ledger_chart
    from duban.ledger import collect_ledger, write_ledger

    with transaction(sessions) as session:
        ledger = collect_ledger(session, cfg, today)
    xlsx = io.BytesIO()
    write_ledger(ledger, xlsx)
    # Drawing takes a moment: off the event loop, so other chats are not kept waiting.
    png = await asyncio.to_thread(render_ledger_chart, CHART, ledger)
    return xlsx.getvalue(), f"duban-{today.isoformat()}.xlsx", png


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: the 台账 workbook (duban.ledger) and the overdue-by-lead chart (duban.charts)."""
    if not await _office_only(update, context):
        return
    d = deps(context)
    today = d.local_now().date()
    xlsx, filename, png = await export_files(d.sessions, d.config, today)
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
