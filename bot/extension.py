"""Extensions (延期申请) and completion (办结).

申请延期 → reason → new date (2024-04-30, 4月30日, 4/30) → the lead (or the office, for a lead's
own item) gets 批准 / 驳回 buttons → services.extensions.decide_extension.
/done (a lead) → services.completion.claim_completion → the office gets 确认办结 / 退回.
"""

from __future__ import annotations

import datetime as dt
import re

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

from bot import queries
from bot.auth import led_task_ids
from bot.common import attempt, button, caller_of, mark_used, needs_draft, run_service
from bot.common import conversation as common_conversation
from bot.deps import deps
from bot.fallback import cancel
from bot.keyboards import choice_rows, markup, pattern
from bot.texts import render
from db.engine import transaction
from db.models import Task
from services.completion import claim_completion, decide_completion
from services.extensions import decide_extension, request_extension

T = "bot_extension.j2"
REASON, DATE = range(2)
DRAFT = "extension_draft"
DATE_REFUSALS = {"date_not_later", "date_past", "date_after_plan"}  # codes of request_extension

_ISO = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_MD = re.compile(r"^\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """2024-04-30, 2024/4/30, 2024年4月30日, 4月30日, 4/30 (the next such date from today)."""
    text = text.strip().translate(str.maketrans("０１２３４５６７８９／－", "0123456789/-"))
    try:
        if m := _ISO.match(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _MD.match(text):
            month, day = int(m.group(1)), int(m.group(2))
            candidate = dt.date(today.year, month, day)
            return candidate if candidate >= today else dt.date(today.year + 1, month, day)
    except ValueError:
        return None
    return None


async def start_extension(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """申请延期 under a reminder: ask the reason."""
    got = await button(update, context)
    if got is None:
        return ConversationHandler.END
    _caller, resolved = got
    d = deps(context)
    with transaction(d.sessions) as session:
        it = queries.item(session, int(resolved.payload["period_id"]))
        pending = it is not None and queries.extension_pending(session, it.period_id)
    if it is None or it.state not in queries.OPEN_STATES or pending:
        # Said now, not after the reason and the date were typed (the service refuses too).
        m = "already_pending" if pending else "not_open"
        await update.effective_message.reply_text(render(d.locale, T, m))  # type: ignore[union-attr]
        return ConversationHandler.END
    context.user_data[DRAFT] = {"period_id": it.period_id}  # type: ignore[index]
    await update.effective_message.reply_text(render(d.locale, T, "ask_reason", item=it))  # type: ignore[union-attr]
    return REASON


@needs_draft(DRAFT)
async def got_reason(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    msg = update.effective_message
    assert msg is not None
    context.user_data[DRAFT]["reason"] = (msg.text or "").strip()[:2000]  # type: ignore[index]
    await msg.reply_text(render(d.locale, T, "ask_date"))
    return DATE


@needs_draft(DRAFT)
async def got_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    d = deps(context)
    msg = update.effective_message
    assert msg is not None
    new_due = parse_date(msg.text or "", d.local_now().date())
    if new_due is None:
        await msg.reply_text(render(d.locale, T, "bad_date", text=msg.text or ""))
        return DATE
    draft = context.user_data[DRAFT]  # type: ignore[index]
    caller = caller_of(update, context)

    def call(session):  # type: ignore[no-untyped-def]
        ext = request_extension(
            session,
            period_id=draft["period_id"],
            contact_id=caller.contact_id,
            reason=draft["reason"],
            new_due=new_due,
            now=d.now(),
            office_name=d.office_name,
            tz=d.tz,
            latest=d.plan_end(session, d.local_now().date()),
        )
        return {"item": queries.item(session, ext.period_id), "new_due": new_due}

    result, error, code = attempt(d, caller, call)
    if code in DATE_REFUSALS:  # the dialogue stays: another date may do
        await msg.reply_text(error + "\n" + render(d.locale, T, "ask_date"))
        return DATE
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await msg.reply_text(error or render(d.locale, T, "requested", **result))  # type: ignore[arg-type]
    return ConversationHandler.END


async def decide(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """批准 / 驳回 an extension request (lead, or the office for a lead's own item)."""
    got = await button(update, context)
    if got is None:
        return
    caller, resolved = got
    d = deps(context)
    approve = resolved.action == "ext_ok"
    as_office = resolved.token.unit_id is None and resolved.token.contact_id is None

    def call(session):  # type: ignore[no-untyped-def]
        ext = decide_extension(
            session,
            extension_id=int(resolved.payload["extension_id"]),
            approve=approve,
            now=d.now(),
            decider_contact_id=None if as_office else caller.contact_id,
            as_office=as_office,
        )
        mark_used(session, resolved, d.now(), with_siblings=("extension_id",))
        return {
            "item": queries.item(session, ext.period_id),
            "new_due": ext.new_due,
            "approve": approve,
        }

    result, error = run_service(d, caller, call)
    if result:
        await update.effective_message.edit_reply_markup(None)  # type: ignore[union-attr]
    await update.effective_message.reply_text(error or render(d.locale, T, "decided", **result))  # type: ignore[union-attr, arg-type]


# ---------------------------------------------------------------- completion (办结)
async def done_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/done: a lead picks one of its tasks to mark 办结; the office confirms."""
    d = deps(context)
    caller = caller_of(update, context)
    with transaction(d.sessions) as session:
        ids = sorted(led_task_ids(session, caller.unit_id))
        tasks = [session.get(Task, i) for i in ids]
        rows = choice_rows(
            session,
            [
                (render(d.locale, T, "task_button", task=t.number), {"task_id": t.id})
                for t in tasks
                if t is not None
            ],
            "done_claim",
            now=d.now(),
            unit_id=caller.unit_id,
        )
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        render(d.locale, T, "choose_task" if rows else "no_led_tasks"), reply_markup=markup(rows)
    )


async def claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    got = await button(update, context)
    if got is None:
        return
    caller, resolved = got
    d = deps(context)

    def call(session):  # type: ignore[no-untyped-def]
        c = claim_completion(
            session,
            task_id=int(resolved.payload["task_id"]),
            contact_id=caller.contact_id,
            now=d.now(),
            office_name=d.office_name,
        )
        mark_used(session, resolved, d.now())
        return {"task": c.task.number}

    result, error = run_service(d, caller, call)
    await update.effective_message.reply_text(error or render(d.locale, T, "claimed", **result))  # type: ignore[union-attr, arg-type]


async def confirm_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认办结 / 退回 (office)."""
    got = await button(update, context)
    if got is None:
        return
    caller, resolved = got
    d = deps(context)
    ok = resolved.action == "done_ok"

    def call(session):  # type: ignore[no-untyped-def]
        c = decide_completion(
            session,
            completion_id=int(resolved.payload["completion_id"]),
            confirm=ok,
            now=d.now(),
            decided_by=caller.actor,
        )
        mark_used(session, resolved, d.now(), with_siblings=("completion_id",))
        return {"task": c.task.number, "ok": ok}

    result, error = run_service(d, caller, call)
    if result:
        await update.effective_message.edit_reply_markup(None)  # type: ignore[union-attr]
    await update.effective_message.reply_text(
        error or render(d.locale, T, "completion_decided", **result)
    )  # type: ignore[union-attr, arg-type]


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    return [
        common_conversation(
            name="extension",
            entry_points=[CallbackQueryHandler(start_extension, pattern=pattern("extend"))],
            states={
                REASON: [MessageHandler(text, got_reason)],
                DATE: [MessageHandler(text, got_date)],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            allow_reentry=True,
        ),
        CallbackQueryHandler(decide, pattern=pattern("ext_ok", "ext_no")),
        CommandHandler("done", done_command),
        CallbackQueryHandler(claim, pattern=pattern("done_claim")),
        CallbackQueryHandler(confirm_done, pattern=pattern("done_ok", "done_no")),
    ]
