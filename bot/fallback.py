"""/cancel, and what no dialogue or handler took: a private message that is no reply, an
unknown command, a button nobody claims. Registered after every other handler."""

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

from bot.common import button
from bot.deps import deps
from bot.texts import render


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/cancel: drop whatever dialogue is under way."""
    drafts = [key for key in context.user_data or {} if key.endswith("_draft")]
    for key in drafts:
        context.user_data.pop(key, None)  # type: ignore[union-attr]
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        render(
            deps(context).locale, "bot_common.j2", "cancelled" if drafts else "nothing_to_cancel"
        )
    )
    return ConversationHandler.END


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered after every dialogue: /cancel when no dialogue is under way; a private
    message nothing else took (not a reply, an unknown command) gets a hint, not silence."""
    return [
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(unknown_button),
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.REPLY & ~filters.StatusUpdate.ALL, not_understood
        ),
    ]


async def not_understood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A bound contact wrote to the bot without replying to a reminder (their progress would
    otherwise vanish without a word), or sent a command the bot does not have."""
    msg = update.effective_message
    if msg is not None:
        await msg.reply_text(render(deps(context).locale, "bot_common.j2", "not_understood"))


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any button no handler claims (forged or from an old version): refuse and audit."""
    await button(update, context)  # resolves nothing → polite alert + AuditLog(refused)
