"""TelegramChannel: the delivery's Channel on Telegram — transport only.

Sends every part of a digest as HTML to every chat of the recipient, the buttons (their
callback codes already stored upstream) under the last part, then the files. Telegram errors
are sorted for the deliverer: blocked / chat not found → unreachable; 429 → temporary,
retry_after; network → temporary; HTML rejected → the same text is resent as plain text.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.rate_limit import DIGEST, retry_after_seconds
from bot.texts import plain
from db.models.contacts import TELEGRAM
from jobs.delivery import Attachment, Outgoing, SendResult

log = logging.getLogger(__name__)


class TelegramChannel:
    name = TELEGRAM
    needs_addresses = True
    supports_buttons = True
    delivers = True

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def send(self, message: Outgoing) -> SendResult:
        result = SendResult()
        keyboard = (
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                 for row in message.buttons]
            )
            if message.buttons
            else None
        )  # fmt: skip
        parts = message.parts
        for address in message.addresses:
            chat_id = int(address)
            for index, part in enumerate(parts):
                reply_markup = keyboard if index == len(parts) - 1 else None
                try:
                    msg_id = await self._send_one(chat_id, part, reply_markup)
                except Forbidden as exc:
                    result.unreachable[address] = f"blocked: {exc.message}"
                    break
                except BadRequest as exc:
                    lowered = exc.message.lower()
                    if "chat not found" in lowered or "user not found" in lowered:
                        result.unreachable[address] = f"not found: {exc.message}"
                        break
                    result.temporary_error = f"bad request: {exc.message}"
                    return result
                except RetryAfter as exc:
                    result.temporary_error = "rate limited (429)"
                    result.retry_after = retry_after_seconds(exc)
                    return result
                except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError
                    result.temporary_error = f"{type(exc).__name__}: {exc.message}"
                    return result
                result.sent.append((address, str(msg_id)))
        if message.attachments:
            await self._send_files(message, result)
        return result

    async def _send_files(self, message: Outgoing, result: SendResult) -> None:
        """The digest's files (the weekly ledger and chart). The text already went out, so a
        failure here is logged, not retried (the office can always ask with /export)."""
        try:
            for address in message.addresses:
                if address in result.unreachable:
                    continue
                for file in message.attachments:
                    await self._send_file(int(address), file)
        except (TelegramError, OSError) as exc:
            log.warning("weekly ledger not attached: %s", type(exc).__name__)

    async def _send_file(self, chat_id: int, file: Attachment) -> None:
        if file.photo:
            await self.bot.send_photo(
                chat_id, file.content, caption=file.caption or None, rate_limit_args=DIGEST
            )
        else:
            await self.bot.send_document(
                chat_id, file.content, filename=file.filename, caption=file.caption or None,
                rate_limit_args=DIGEST,
            )  # fmt: skip

    async def _send_one(
        self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None
    ) -> int:
        try:
            sent = await self.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=reply_markup,
                rate_limit_args=DIGEST,
            )  # fmt: skip
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.warning(
                "Telegram rejected the HTML of a message to %s; resending as plain text", chat_id
            )
            sent = await self.bot.send_message(
                chat_id, plain(text), parse_mode=None, reply_markup=reply_markup,
                rate_limit_args=DIGEST,
            )  # fmt: skip
        return sent.message_id

