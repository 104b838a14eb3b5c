"""Lead department's review of a responsible unit's report: 通过 / 退回 (退回 asks a comment,
which reaches the unit and reopens its item — services.review_report does the state change)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.common import button, caller_of, mark_used, needs_draft, retire, run_service
from bot.common import conversation as common_conversation
from bot.deps import deps
from bot.fallback import cancel
from bot.keyboards import pattern
from bot.texts import render
from db.engine import transaction
from db.models import Report
from db.models.tasks import LEAD
from services.completion import unfinished_units
from services.reports import review_report

T = "bot_review.j2"
COMMENT = 0
DRAFT = "review_draft"


def _review(context: ContextTypes.DEFAULT_TYPE, caller, report_id: int, accept: bool, comment: str):  # type: ignore[no-untyped-def]
    d = deps(context)

    def call(session):  # type: ignore[no-untyped-def]
        report = review_report(
            session,
            report_id=report_id,
            reviewer_contact_id=caller.contact_id,
            accept=accept,
            comment=comment,
            now=d.now(),
            tz=d.tz,
        )
        about = _about(report)
        if accept and report.period.assignment.done_at is not None:
            # Its 已完成 was accepted: say it is chased no more, and whether the lead may
            # now claim 办结 (every responsible unit done).
            unfinished = unfinished_units(session, report.period.assignment.task_id)
            about["unit_done"] = True
            about["all_done"] = not [u for u in unfinished if u[1] != LEAD]
        return about

    return run_service(d, caller, call)


def _about(report: Report) -> dict[str, object]:
    """What a review message names: the task's number and the reporting unit."""
    assignment = report.period.assignment
    return {"task": assignment.task.number, "unit": assignment.unit.name}


async def accept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """通过."""
    got = await button(update, context)
    if got is None:
        return
    caller, resolved = got
    d = deps(context)
    result, error = _review(context, caller, int(resolved.payload["report_id"]), True, "")
    if result:
        with transaction(d.sessions) as session:
            mark_used(session, resolved, d.now(), with_siblings=("report_id",))
        await update.effective_message.edit_reply_markup(None)  # type: ignore[union-attr]
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        error or render(d.locale, T, "accepted", **result)  # type: ignore[arg-type]
    )


async def start_return(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """退回: ask for the comment the unit will see."""
    got = await button(update, context)
    if got is None:
        return ConversationHandler.END
    _caller, resolved = got
    d = deps(context)
    report_id = int(resolved.payload["report_id"])
    with transaction(d.sessions) as session:
        report = session.get(Report, report_id)
        info = _about(report) if report else None
    if info is None:
        return ConversationHandler.END
    context.user_data[DRAFT] = {"report_id": report_id}  # type: ignore[index]
    await update.effective_message.reply_text(render(d.locale, T, "ask_comment", **info))  # type: ignore[union-attr]
    return COMMENT


@needs_draft(DRAFT)
async def got_comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    msg = update.effective_message
    assert msg is not None
    draft = context.user_data.pop(DRAFT)  # type: ignore[union-attr]
    caller = caller_of(update, context)
    result, error = _review(context, caller, draft["report_id"], False, (msg.text or "")[:2000])
    if result:  # 通过 and 退回 of this report are spent
        with transaction(d.sessions) as session:
            retire(session, "review_ret", "report_id", draft["report_id"], d.now())
    await msg.reply_text(error or render(d.locale, T, "returned", **result))  # type: ignore[arg-type]
    return ConversationHandler.END


async def show_files(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """查看附件: the report's photos and files, resent by their Telegram file ids."""
    got = await button(update, context)
    if got is None:
        return
    _caller, resolved = got
    d = deps(context)
    chat = update.effective_chat.id  # type: ignore[union-attr]
    with transaction(d.sessions) as session:
        report = session.get(Report, int(resolved.payload["report_id"]))
        info = _about(report) if report else None
        files = [(e.kind, e.file_id) for e in report.evidence] if report else []
    if info is None:
        await context.bot.send_message(chat, render(d.locale, "bot_common.j2", "stale"))
    for kind, file_id in files:
        send = context.bot.send_photo if kind == "photo" else context.bot.send_document
        await send(chat, file_id)
    if info is not None and not files:
        await context.bot.send_message(chat, render(d.locale, T, "no_files", **info))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        common_conversation(
            name="review_return",
            entry_points=[CallbackQueryHandler(start_return, pattern=pattern("review_ret"))],
            states={COMMENT: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_comment)]},
            fallbacks=[CommandHandler("cancel", cancel)],
            allow_reentry=True,
        ),
        CallbackQueryHandler(accept, pattern=pattern("review_ok")),
        CallbackQueryHandler(show_files, pattern=pattern("files")),
    ]
