"""Registration (/start <token>) and the gate that turns away anyone not bound."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, CommandHandler, ContextTypes

from bot.auth import identify, refuse
from bot.deps import deps
from bot.texts import render
from db.engine import transaction
from services.registration import RegistrationError, redeem_invite

TEMPLATE = "bot_registration.j2"


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: /start passes; office chats pass; everyone else must be a bound contact.
    An unbound caller gets one short explanation (button presses: an alert) and nothing else."""
    msg = update.effective_message
    if msg is not None and msg.text and msg.text.split()[0].split("@")[0] == "/start":
        return
    d = deps(context)
    with transaction(d.sessions) as session:
        caller = identify(session, update, d.office_chat_ids)
        if caller.bound or caller.is_office:
            return
        if update.callback_query is None and (msg is None or msg.chat.type != "private"):
            raise ApplicationHandlerStop  # silent in groups that are not the office's
        refuse(session, caller, "unbound", "", now=d.now())
    text = render(d.locale, TEMPLATE, "unbound")
    if update.callback_query is not None:
        await update.callback_query.answer(
            render(d.locale, TEMPLATE, "unbound_short"), show_alert=True
        )
    elif msg is not None:
        await msg.reply_text(text)
    raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start <token>: bind this account to the invite's unit (single use, expiring)."""
    d = deps(context)
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return
    if msg.chat.type != "private":
        # An invite opened in a group would bind whoever typed it there: never redeemed here.
        await msg.reply_text(render(d.locale, TEMPLATE, "group_start"))
        return
    with transaction(d.sessions) as session:
        caller = identify(session, update, d.office_chat_ids)
    if not context.args:
        m = "welcome_back" if caller.bound else "unbound"
        await msg.reply_text(render(d.locale, TEMPLATE, m, unit=caller.unit_name))
        return
    try:
        with transaction(d.sessions) as session:
            contact = redeem_invite(
                session,
                context.args[0][:64],
                user_address=str(user.id),
                address=str(msg.chat_id),
                display_name=user.full_name,
                now=d.now(),
            )
            unit = contact.unit.name
    except RegistrationError as exc:
        # The refusal's audit row was rolled back with the transaction: write it again.
        with transaction(d.sessions) as session:
            refuse(session, caller, "invite.redeem", "invite", now=d.now(), reason=exc.reason)
        await msg.reply_text(render(d.locale, TEMPLATE, "refused", reason=exc.reason))
        return
    # Binding moves an account: say so when it was a contact of another unit until now.
    previous = caller.unit_name if caller.bound and caller.unit_name != unit else ""
    await msg.reply_text(render(d.locale, TEMPLATE, "bound", unit=unit, previous=previous))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what this caller can do."""
    d = deps(context)
    with transaction(d.sessions) as session:
        caller = identify(session, update, d.office_chat_ids)
    if update.effective_message:
        await update.effective_message.reply_text(
            render(d.locale, TEMPLATE, "help", unit=caller.unit_name, office=caller.is_office)
        )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [CommandHandler("start", start), CommandHandler("help", help_command)]
