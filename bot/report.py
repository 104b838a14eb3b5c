"""Reports (进展报送): the /report dialogue and the 报送进展 button.

/report (or the button) → status (序时推进 / 滞后 / 已完成) → progress text → a figure when
the task has a numeric target → optional files → confirm. /cancel anywhere (bot/fallback.py).
Replies to reminders (the other way to report) are in bot/replies.py; what a message holds
(text, files, figure) in bot/report_content.py; filing it in bot/report_submit.py; /tasks and
查看任务 in bot/tasks.py.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import queries
from bot.common import button, caller_of, needs_draft
from bot.common import conversation as common_conversation
from bot.deps import deps
from bot.fallback import cancel
from bot.keyboards import (
    MAX_ITEM_BUTTONS,
    STATUS_BUTTONS,
    STATUS_VALUES,
    choice_rows,
    markup,
    pattern,
)
from bot.report_content import clip_text, files_of, read_figure
from bot.report_submit import done_text, submit
from bot.texts import render
from db.engine import transaction
from services.figures import current_targets

T = "bot_report.j2"
STATUS, TEXT, FIGURE, FILES, CONFIRM = range(5)
DRAFT = "report_draft"


# ---------------------------------------------------------------- /report dialogue
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/report: pick one of my unit's open items (or go straight on if there is one)."""
    d = deps(context)
    caller = caller_of(update, context)
    msg = update.effective_message
    assert msg is not None
    with transaction(d.sessions) as session:
        items = queries.open_items(session, caller.unit_id or 0)
        if len(items) == 1:
            context.user_data[DRAFT] = _new_draft(session, items[0])  # type: ignore[index]
            label = items[0]
        else:
            rows = choice_rows(
                session,
                [
                    (render(d.locale, T, "item_button", item=i), {"period_id": i.period_id})
                    for i in items
                ],
                "report",
                now=d.now(),
                unit_id=caller.unit_id,
            )
    if not items:
        await msg.reply_text(render(d.locale, T, "nothing_open"))
        return ConversationHandler.END
    if len(items) > 1:
        await msg.reply_text(
            render(d.locale, T, "choose_item", items=items, more=len(items) > MAX_ITEM_BUTTONS),
            reply_markup=markup(rows),
        )
        return ConversationHandler.END
    await _ask_status(msg, context, label)
    return STATUS


def _new_draft(session, item: queries.Item) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    tgts = current_targets(session, item.task_id)  # not one the text no longer states
    target = tgts[0] if tgts else None
    return {
        "period_id": item.period_id,
        "files": [],
        "target_id": target.id if target else None,
        "target": f"{target.comparator}{target.value:g}{target.unit_label}" if target else "",
        "target_label": target.label if target else "",
        "target_unit": target.unit_label if target else "",
    }


async def _ask_status(msg: Message, context: ContextTypes.DEFAULT_TYPE, item: queries.Item) -> None:
    d = deps(context)
    labels = STATUS_BUTTONS.get(d.locale, STATUS_BUTTONS["zh_CN"])
    rows = [[(label, f"st:{value}") for label, value in zip(labels, STATUS_VALUES, strict=True)]]
    await msg.reply_text(render(d.locale, T, "ask_status", item=item), reply_markup=markup(rows))


async def report_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """报送进展 under a reminder, or an item chosen from /report."""
    got = await button(update, context)
    if got is None:
        return ConversationHandler.END
    _caller, resolved = got
    d = deps(context)
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]  # a new report starts afresh
    with transaction(d.sessions) as session:
        it = queries.item(session, int(resolved.payload["period_id"]))
        if it is not None and it.state in queries.REPORTABLE_STATES:
            context.user_data[DRAFT] = _new_draft(session, it)  # type: ignore[index]
    if it is None or DRAFT not in context.user_data:  # type: ignore[operator]
        m = "reply_closed" if it is not None else "stale"
        await update.effective_message.reply_text(render(d.locale, T if it else "bot_common.j2", m))  # type: ignore[union-attr]
        return ConversationHandler.END
    await _ask_status(update.effective_message, context, it)  # type: ignore[arg-type]
    return STATUS


@needs_draft(DRAFT)
async def got_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None
    d = deps(context)
    value = (query.data or "").removeprefix("st:")
    await query.answer()
    if value not in STATUS_VALUES:
        return STATUS
    context.user_data[DRAFT]["status"] = value  # type: ignore[index]
    labels = STATUS_BUTTONS.get(d.locale, STATUS_BUTTONS["zh_CN"])
    chosen = labels[STATUS_VALUES.index(value)]
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(render(d.locale, T, "ask_text", status=chosen))  # type: ignore[union-attr]
    return TEXT


@needs_draft(DRAFT)
async def got_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    msg = update.effective_message
    assert msg is not None
    draft = context.user_data[DRAFT]  # type: ignore[index]
    draft["files"].extend(files_of(msg))  # a photo with a caption: the text and a file
    draft["text"], draft["cut"] = clip_text(msg.text or msg.caption)
    if not draft["text"]:
        await msg.reply_text(render(d.locale, T, "file_then_text", n=len(draft["files"])))
        return TEXT
    if draft.get("target_id"):
        rows = [[(render(d.locale, T, "skip_button"), "rf:skip")]]
        await msg.reply_text(
            render(d.locale, T, "ask_figure", target=draft["target"], label=draft["target_label"]),
            reply_markup=markup(rows),
        )
        return FIGURE
    return await _ask_files(msg, context)


@needs_draft(DRAFT)
async def got_figure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    msg = update.effective_message
    assert msg is not None
    draft = context.user_data[DRAFT]  # type: ignore[index]
    numbers, figure, unfit = read_figure(msg.text or "", draft.get("target_unit", ""))
    if figure is None:
        if unfit:
            unit = draft.get("target_unit", "")
            await msg.reply_text(render(d.locale, T, "figure_unfit", unfit=unfit, unit=unit))
        elif len(numbers) > 1:
            await msg.reply_text(render(d.locale, T, "many_figures", numbers=numbers))
        else:
            await msg.reply_text(render(d.locale, T, "bad_figure"))
        return FIGURE
    draft["figure"] = figure
    return await _ask_files(msg, context)


@needs_draft(DRAFT)
async def skip_figure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    context.user_data[DRAFT]["target_id"] = None  # type: ignore[index]
    return await _ask_files(query.message, context)  # type: ignore[arg-type]


async def _ask_files(msg: Message, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    rows = [[(render(d.locale, T, "files_done_button"), "rf:done")]]
    await msg.reply_text(render(d.locale, T, "ask_files"), reply_markup=markup(rows))
    return FILES


@needs_draft(DRAFT)
async def got_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    msg = update.effective_message
    assert msg is not None
    draft = context.user_data[DRAFT]  # type: ignore[index]
    draft["files"].extend(files_of(msg))
    rows = [[(render(d.locale, T, "files_done_button"), "rf:done")]]
    text = render(d.locale, T, "file_received", n=len(draft["files"]))
    album, answer = draft.get("album") or (None, 0)
    if msg.media_group_id and msg.media_group_id == album:  # the album's one answer, updated
        await context.bot.edit_message_text(
            text, chat_id=msg.chat_id, message_id=answer, reply_markup=markup(rows)
        )
        return FILES
    sent = await msg.reply_text(text, reply_markup=markup(rows))
    draft["album"] = (msg.media_group_id, sent.message_id)
    return FILES


@needs_draft(DRAFT)
async def files_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    query = update.callback_query
    assert query is not None
    await query.answer()
    draft = context.user_data[DRAFT]  # type: ignore[index]
    with transaction(d.sessions) as session:
        it = queries.item(session, draft["period_id"])
    labels = STATUS_BUTTONS.get(d.locale, STATUS_BUTTONS["zh_CN"])
    rows = [
        [
            (render(d.locale, T, "confirm_button"), "rc:yes"),
            (render(d.locale, T, "cancel_button"), "rc:no"),
        ]
    ]
    await query.message.reply_text(  # type: ignore[union-attr]
        render(
            d.locale,
            T,
            "confirm",
            item=it,
            status=labels[STATUS_VALUES.index(draft.get("status", "on_track"))],
            text=draft.get("text", ""),
            cut=draft.get("cut", 0),
            figure=draft.get("figure"),
            files=len(draft["files"]),
        ),
        reply_markup=markup(rows),
    )
    return CONFIRM


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    draft = context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    if query.data != "rc:yes" or draft is None:
        await query.message.reply_text(render(d.locale, "bot_common.j2", "cancelled"))  # type: ignore[union-attr]
        return ConversationHandler.END
    caller = caller_of(update, context)
    result, error = submit(context, caller, draft, "chat")
    text = error or done_text(context, result, len(draft["files"]), draft.get("cut", 0))  # type: ignore[arg-type]
    await query.message.reply_text(text)  # type: ignore[union-attr]
    return ConversationHandler.END


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    files = filters.PHOTO | filters.Document.ALL
    text = filters.TEXT & ~filters.COMMAND
    conversation = common_conversation(
        name="report",
        entry_points=[
            CommandHandler("report", report_command),
            CallbackQueryHandler(report_button, pattern=pattern("report")),
        ],
        states={
            STATUS: [CallbackQueryHandler(got_status, pattern="^st:")],
            TEXT: [MessageHandler(text | files, got_text)],
            FIGURE: [
                MessageHandler(text, got_figure),
                CallbackQueryHandler(skip_figure, pattern="^rf:skip$"),
            ],
            FILES: [
                MessageHandler(files, got_file),
                CallbackQueryHandler(files_done, pattern="^rf:done$"),
            ],
            CONFIRM: [CallbackQueryHandler(confirm, pattern="^rc:")],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        allow_reentry=True,
    )
    return [conversation]
