"""A unit's tasks: /tasks (the list, with due dates and state) and 查看任务 under a reminder
(one task's full text, due date, state and targets)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import queries
from bot.common import button, caller_of, reply_long
from bot.deps import deps
from bot.keyboards import pattern
from bot.texts import render
from db.engine import transaction
from services.figures import current_targets

T = "bot_report.j2"


async def tasks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tasks: my unit's tasks with due dates and state."""
    d = deps(context)
    caller = caller_of(update, context)
    with transaction(d.sessions) as session:
        items = queries.current_items(session, caller.unit_id or 0)
    await reply_long(update, render(d.locale, T, "tasks", unit=caller.unit_name, items=items))


async def view_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """查看任务: the task's full text, due date and state."""
    got = await button(update, context)
    if got is None:
        return
    _caller, resolved = got
    d = deps(context)
    with transaction(d.sessions) as session:
        it = queries.item(session, int(resolved.payload["period_id"]))
        tgts = [t.raw for t in current_targets(session, it.task_id)] if it else []
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        render(d.locale, T, "view", item=it, targets=tgts)
        if it
        else render(d.locale, "bot_common.j2", "stale")
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("tasks", tasks_command),
        CallbackQueryHandler(view_item, pattern=pattern("view")),
    ]
