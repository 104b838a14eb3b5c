"""Small helpers the dialogue modules share: resolve a button, refuse politely, run a service."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot.auth import Caller, identify, refuse
from bot.deps import BotDeps, deps
from bot.keyboards import FAMILIES, Resolved, resolve, siblings
from bot.texts import refusal, render, split_lines
from db.engine import transaction
from services import ServiceError
from services.audit import record_refusal

T = TypeVar("T")
Step = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[int]]


async def reply_long(update: Update, text: str) -> None:
    """Reply with a text that may exceed Telegram's limit: several messages, split at lines."""
    msg = update.effective_message
    assert msg is not None
    for part in split_lines(text):
        await msg.reply_text(part)


def caller_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Caller:
    d = deps(context)
    with transaction(d.sessions) as session:
        return identify(session, update, d.office_chat_ids)


async def button(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Caller, Resolved] | None:
    """Resolve the pressed button for this caller, or refuse (alert + audit) and return None.
    The query is answered either way."""
    d = deps(context)
    query = update.callback_query
    assert query is not None
    now = d.now()
    with transaction(d.sessions) as session:
        caller = identify(session, update, d.office_chat_ids)
        resolved = resolve(session, query.data, caller, now)
        if resolved is None:
            refuse(
                session,
                caller,
                "callback.refused",
                "callback",
                now=now,
                data=query.data[:64] if query.data else "",
            )
    if resolved is None:
        await query.answer(render(d.locale, "bot_common.j2", "stale"), show_alert=True)
        return None
    await query.answer()
    return caller, resolved


def run_service(d: BotDeps, caller: Caller, fn: Callable[[Session], T]) -> tuple[T | None, str]:
    """Run fn in one transaction. On a ServiceError the refusal is audited (in a fresh
    transaction) and a user-facing message comes back instead of a result."""
    result, text, _code = attempt(d, caller, fn)
    return result, text


def attempt(d: BotDeps, caller: Caller, fn: Callable[[Session], T]) -> tuple[T | None, str, str]:
    """run_service, and the refusal's code too (a dialogue may ask again for some)."""
    try:
        with transaction(d.sessions) as session:
            return fn(session), "", ""
    except ServiceError as exc:
        record_refusal(d.sessions, exc, now=d.now(), actor=caller.actor)
        return None, refusal(d.locale, exc), exc.code


def mark_used(
    session: Session, resolved: Resolved, now: Any, *, with_siblings: tuple[str, ...] = ()
) -> None:
    """The pressed button is spent; with `with_siblings` (a payload key), so are the other
    buttons answering the same question (siblings of the same actions family)."""
    token = session.merge(resolved.token)
    token.used_at = now
    for key in with_siblings:
        retire(session, resolved.action, key, resolved.payload.get(key), now)


def retire(session: Session, action: str, key: str, value: Any, now: Any) -> None:
    """Spend every unused button of `action`'s family whose payload has `key` = `value`."""
    for token in siblings(session, FAMILIES.get(action, (action,)), key, value):
        token.used_at = now


def needs_draft(key: str) -> Callable[[Step], Step]:
    """For a dialogue step: if the dialogue's draft is gone (/cancel in another dialogue
    dropped it), say the dialogue is over instead of failing, and end it."""

    def wrap(step: Step) -> Step:
        @functools.wraps(step)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            if key in (context.user_data or {}):
                return await step(update, context)
            if update.callback_query is not None:
                await update.callback_query.answer()
            if update.effective_message is not None:
                text = render(deps(context).locale, "bot_common.j2", "dialogue_over")
                await update.effective_message.reply_text(text)
            return ConversationHandler.END

        return guarded

    return wrap


def conversation(
    *,
    states: dict[object, list[BaseHandler]],  # type: ignore[type-arg]
    **kwargs: Any,
) -> ConversationHandler:  # type: ignore[type-arg]
    """A ConversationHandler keyed by chat and user. Dialogues start from buttons on purpose,
    so PTB's per_message advice does not apply: its warning is silenced here only. In every
    state, a message the step cannot use (a sticker where text is asked, text where a button
    is) is answered with a reminder of what the step waits for; the step stays."""
    waiting = MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, still_waiting)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            states={state: [*steps, waiting] for state, steps in states.items()}, **kwargs
        )


async def still_waiting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Returns None: the conversation stays in its state."""
    if update.effective_message is not None:
        text = render(deps(context).locale, "bot_common.j2", "dialogue_waiting")
        await update.effective_message.reply_text(text)
