"""Replies to reminders: a contact's plain *reply* is the report for the reminder's item (if
the reminder covered several of its items, the bot asks which). An album (several photos sent
together arrive as one message each) makes one report. Also here: what the bot says to an edit,
and to a reply it cannot take (stickers, voice, polls…, a command it does not have). A message
that is no reply is answered in bot/fallback.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import queries
from bot.auth import Caller
from bot.common import button, caller_of, mark_used, run_service
from bot.deps import deps
from bot.keyboards import choice_rows, markup, pattern, siblings, token_code
from bot.reply_figures import settle_figure
from bot.report_content import clip_text, files_of
from bot.report_submit import done_text, submit
from bot.texts import render
from db.engine import transaction
from db.models import Period, SentMessage
from db.models.contacts import TELEGRAM
from services.reports import EvidenceFile, attach_evidence

T = "bot_report.j2"
ALBUMS = "albums"  # chat_data: media_group_id → where the album's first photo went
ALBUMS_KEPT = 16


def _sent(session: Session, msg: Message) -> SentMessage | None:
    assert msg.reply_to_message is not None
    return (
        session.query(SentMessage)
        .filter_by(
            channel=TELEGRAM,
            address=str(msg.chat_id),
            message_id=str(msg.reply_to_message.message_id),
        )
        .one_or_none()
    )


def _sort(session: Session, sent: SentMessage, caller: Caller) -> tuple[list[queries.Item], bool]:
    """The reminder's items this caller may report on, and whether some were its own but
    are closed (办结/cancelled) — so that an empty list can be explained."""
    mine, closed = [], False
    for pid in sent.period_ids:
        period = session.get(Period, int(pid))
        it = queries.item(session, int(pid))
        if period is None or it is None or period.assignment.unit_id != caller.unit_id:
            continue
        # A later report supersedes an earlier one: reported items still take replies.
        if it.state in queries.REPORTABLE_STATES:
            mine.append(it)
        else:
            closed = True
    return mine, closed


def _albums(context: ContextTypes.DEFAULT_TYPE) -> dict[str, dict[str, Any]]:
    albums: dict[str, dict[str, Any]] = context.chat_data.setdefault(ALBUMS, {})  # type: ignore[union-attr]
    while len(albums) > ALBUMS_KEPT:
        albums.pop(next(iter(albums)))
    return albums


def _remember(context: ContextTypes.DEFAULT_TYPE, album: str | None, **entry: Any) -> None:
    if album:
        _albums(context)[album] = entry


async def reply_to_reminder(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A contact replied to a reminder: record it as the report for the item."""
    d = deps(context)
    msg = update.effective_message
    if msg is None or msg.reply_to_message is None:
        return
    caller = caller_of(update, context)
    if not caller.bound:
        return
    album = msg.media_group_id
    if album and album in _albums(context):
        await _album_part(msg, context, caller, _albums(context)[album])
        return
    text, cut = clip_text(msg.text or msg.caption)
    draft_base = {"status": "on_track", "text": text, "cut": cut, "files": files_of(msg)}
    with transaction(d.sessions) as session:
        sent = _sent(session, msg)
        items, closed = _sort(session, sent, caller) if sent is not None else ([], False)
        ask = token_code()  # ties the 'which item?' buttons together
        choices = [
            (
                render(d.locale, T, "item_button", item=i),
                {**draft_base, "period_id": i.period_id, "ask": ask, "album": album},
            )
            for i in items
        ]
        many = len(items) > 1
        rows = choice_rows(
            session, choices if many else [], "pick", now=d.now(), contact_id=caller.contact_id
        )
    if sent is None or not items:
        m = "reply_unknown" if sent is None else "reply_closed" if closed else "reply_not_yours"
        await msg.reply_text(render(d.locale, T, m))
        return
    if many:
        await msg.reply_text(render(d.locale, T, "which_item"), reply_markup=markup(rows))
        _remember(context, album, ask=ask)
        return
    await _submit_and_confirm(msg, context, caller, {**draft_base, "period_id": items[0].period_id})


async def _submit_and_confirm(
    msg: Message, context: ContextTypes.DEFAULT_TYPE, caller: Caller, draft: dict[str, Any]
) -> None:
    d = deps(context)
    with transaction(d.sessions) as session:
        draft, rows = settle_figure(session, draft, caller, d.now(), d.locale)
    if rows:  # several figures could be meant: the report waits for the contact's choice
        await msg.reply_text(render(d.locale, T, "which_figure"), reply_markup=markup(rows))
        _remember(context, draft.get("album") or msg.media_group_id, ask=draft["ask"])
        return
    result, error = submit(context, caller, draft, "reply")
    files, cut = len(draft["files"]), draft.get("cut", 0)
    answer = await msg.reply_text(error or done_text(context, result, files, cut, draft))  # type: ignore[arg-type]
    if result:
        album = draft.get("album") or msg.media_group_id
        entry = {"report_id": result["report_id"], "result": result, "files": files, "cut": cut}
        entry["draft"] = {k: v for k, v in draft.items() if k != "files"}  # its figure, for edits
        _remember(context, album, **entry, answer=answer.message_id)


async def _album_part(
    msg: Message, context: ContextTypes.DEFAULT_TYPE, caller: Caller, entry: dict[str, Any]
) -> None:
    """A further photo of an album whose first photo was a reply: it joins that report (or
    the pending 'which item?' question), and the one confirmation is updated."""
    d = deps(context)
    files = files_of(msg)
    if "ask" in entry:
        with transaction(d.sessions) as session:
            for token in siblings(session, ("pick", "figure"), "ask", entry["ask"]):
                token.payload = {**token.payload, "files": [*token.payload["files"], *files]}
        return

    def call(session: Session) -> None:
        attach_evidence(
            session,
            report_id=entry["report_id"],
            contact_id=caller.contact_id,
            files=[EvidenceFile(**f) for f in files],
            now=d.now(),
        )

    _, error = run_service(d, caller, call)
    if error:
        await msg.reply_text(error)
        return
    entry["files"] += len(files)
    await context.bot.edit_message_text(
        done_text(context, entry["result"], entry["files"], entry["cut"], entry.get("draft")),
        chat_id=msg.chat_id,
        message_id=entry["answer"],
    )


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The contact chose which item their reply was about, or which figure in it to record;
    the question's other buttons die."""
    got = await button(update, context)
    if got is None:
        return
    caller, resolved = got
    d = deps(context)
    with transaction(d.sessions) as session:
        mark_used(session, resolved, d.now(), with_siblings=("ask",))
    msg = update.effective_message
    assert msg is not None
    await msg.edit_reply_markup(None)
    await _submit_and_confirm(msg, context, caller, resolved.payload)


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edit changes nothing that was filed: say so (in private chats; groups stay quiet)."""
    msg = update.edited_message
    if msg is not None and msg.chat.type == "private":
        await msg.reply_text(render(deps(context).locale, T, "edit_ignored"))


async def unhandled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Whatever no dialogue or reply took, in a private chat: say what the bot can use. Only
    replies get here (fallback.not_understood answers the rest first), and a reply with text,
    a photo or a file is a report (reply_to_reminder): what is left is a command the bot does
    not have, or content it cannot take."""
    msg = update.effective_message
    assert msg is not None
    m = "unknown_command" if msg.text and msg.text.startswith("/") else "unsupported"
    await msg.reply_text(render(deps(context).locale, T, m))


def edit_handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered before every dialogue, so an edit never counts as a new message."""
    return [MessageHandler(filters.UpdateType.EDITED, edited)]


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    content = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
    return [
        CallbackQueryHandler(pick, pattern=pattern("pick", "figure")),
        MessageHandler(filters.REPLY & content & filters.ChatType.PRIVATE, reply_to_reminder),
    ]


def late_handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered after every other handler."""
    return [MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, unhandled)]
