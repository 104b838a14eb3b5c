"""TelegramChannel: the engine's Channel on Telegram.

Sends every part of a digest as HTML to every chat of the recipient; the last part carries
inline buttons per item (报送进展 / 申请延期 / 查看任务 for a unit's own items; 通过 / 退回 for a
review request; 批准 / 驳回 for an extension request; 确认办结 / 退回 for a completion claim),
each an opaque CallbackToken. Telegram errors are sorted for the deliverer:
blocked / chat not found → unreachable; 429 → temporary, retry_after; network → temporary;
HTML rejected → the same text is resent as plain text.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.deps import ExportFiles
from bot.keyboards import MAX_ITEM_BUTTONS, markup, new_token
from bot.texts import plain, render
from db.engine import transaction
from db.models import Report
from jobs.channel import ItemRef, Outgoing, SendResult

log = logging.getLogger(__name__)

OWN_ITEM_KINDS = {"reminder", "due", "overdue", "returned", "extension_result", "review_result"}
T = "bot_buttons.j2"


def files_button(
    session: Session, report_id: int, label: str, tok: Callable[[str, dict[str, int]], str]
) -> list[tuple[str, str]]:
    """查看附件 under a report that has evidence: whoever reviews it can see the files."""
    report = session.get(Report, report_id)
    if report is None or not report.evidence:
        return []
    return [(label, tok("files", {"report_id": report_id}))]


class TelegramChannel:
    def __init__(
        self,
        bot: Bot,
        sessions: sessionmaker[Session],
        now: Callable[[], dt.datetime],
        locale: str = "zh_CN",
        export_files: ExportFiles | None = None,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.now = now
        self.locale = locale
        self.export_files = export_files  # the weekly ledger attached to the office's digest

    # ------------------------------------------------------------------ buttons
    def _buttons(self, message: Outgoing) -> tuple[InlineKeyboardMarkup | None, bool]:
        """The keyboard for a message, and whether some items were left without buttons."""
        if not message.items:
            return None, False
        rec = message.recipient
        unit_id = int(rec.key.split(":", 1)[1]) if rec.key.startswith("unit:") else None
        office = rec.key == "office"
        if unit_id is None and not office:
            return None, False
        loc = rec.locale or self.locale
        items = list(message.items)
        many = len(items) > 1
        rows: list[list[tuple[str, str]]] = []
        shown = 0
        now = self.now()
        with transaction(self.sessions) as session:

            def tok(action: str, payload: dict[str, int]) -> str:
                return new_token(session, action, payload, now=now, unit_id=unit_id)

            for item in items:
                if shown >= MAX_ITEM_BUTTONS:
                    break
                kind = item.kind or message.kind

                def label(key: str, item: ItemRef = item) -> str:
                    return render(loc, T, key, item=item, many=many)

                row: list[tuple[str, str]] = []
                # A unit's own items get buttons when the deliverer says they are actionable;
                # decisions (review, extension, completion) always do, for units and office.
                if kind in OWN_ITEM_KINDS and unit_id and item.period_id and message.actionable:
                    p = {"period_id": item.period_id}
                    row = [
                        (label("report"), tok("report", p)),
                        (label("extend"), tok("extend", p)),
                        (label("view"), tok("view", p)),
                    ]
                elif kind == "review_request" and unit_id and item.ref_id:
                    p = {"report_id": item.ref_id}
                    row = [
                        (label("accept"), tok("review_ok", p)),
                        (label("return"), tok("review_ret", p)),
                        *files_button(session, item.ref_id, label("files"), tok),
                    ]
                elif kind == "lead_report" and office and item.ref_id:
                    row = [*files_button(session, item.ref_id, label("files"), tok)]
                elif kind == "extension_request" and item.ref_id:
                    p = {"extension_id": item.ref_id}
                    row = [
                        (label("approve"), tok("ext_ok", p)),
                        (label("reject"), tok("ext_no", p)),
                    ]
                elif kind == "completion_claim" and office and item.ref_id:
                    p = {"completion_id": item.ref_id}
                    row = [
                        (label("confirm_done"), tok("done_ok", p)),
                        (label("return"), tok("done_no", p)),
                    ]
                if row:
                    rows.append(row)
                    shown += 1
        left_out = shown < sum(1 for _ in items) and shown >= MAX_ITEM_BUTTONS
        return markup(rows), left_out

    # ------------------------------------------------------------------ sending
    async def send(self, message: Outgoing) -> SendResult:
        result = SendResult()
        try:
            keyboard, left_out = self._buttons(message)
        except Exception as exc:  # the database hiccuped: nothing went out, try again later
            log.warning("could not prepare buttons: %s", type(exc).__name__)
            result.temporary_error = f"buttons: {type(exc).__name__}"
            return result
        parts = list(message.parts)
        if left_out and parts:
            note = render(message.recipient.locale or self.locale, T, "more", item=None, many=False)
            if len(parts[-1]) + len(note) + 2 <= 4096:
                parts[-1] = parts[-1] + "\n\n" + note
        period_ids = tuple(i.period_id for i in message.items if i.period_id is not None)
        for chat_id in message.recipient.chat_ids:
            for index, part in enumerate(parts):
                reply_markup = keyboard if index == len(parts) - 1 else None
                try:
                    msg_id = await self._send_one(chat_id, part, reply_markup)
                except Forbidden as exc:
                    result.unreachable[chat_id] = f"blocked: {exc.message}"
                    break
                except BadRequest as exc:
                    if (
                        "chat not found" in exc.message.lower()
                        or "user not found" in exc.message.lower()
                    ):
                        result.unreachable[chat_id] = f"not found: {exc.message}"
                        break
                    result.temporary_error = f"bad request: {exc.message}"
                    return result
                except RetryAfter as exc:
                    result.temporary_error = "rate limited (429)"
                    with warnings.catch_warnings():  # PTB 22.2+: int now, timedelta later
                        warnings.simplefilter("ignore")
                        ra = exc.retry_after
                    result.retry_after = float(
                        ra.total_seconds() if isinstance(ra, dt.timedelta) else ra
                    )
                    return result
                except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError
                    result.temporary_error = f"{type(exc).__name__}: {exc.message}"
                    return result
                result.sent.append((chat_id, msg_id, period_ids))
        weekly = [i for i in message.items if i.kind == "weekly_export"]
        if weekly:
            await self._attach_ledger(message, result, dt.date.fromisoformat(weekly[0].due))
        return result

    async def _attach_ledger(self, message: Outgoing, result: SendResult, today: dt.date) -> None:
        """The weekly digest's files. The digest text already went out, so a failure here is
        logged, not retried (the office can always ask with /export)."""
        if self.export_files is None:
            log.warning("weekly ledger not attached: the channel was given no export_files")
            return
        loc = message.recipient.locale or self.locale
        try:
            xlsx, filename, png = await self.export_files(today)
            for chat_id in message.recipient.chat_ids:
                if chat_id in result.unreachable:
                    continue
                await self.bot.send_document(
                    chat_id,
                    xlsx,
                    filename=filename,
                    caption=render(loc, "bot_office.j2", "export_caption", today=today),
                )
                await self.bot.send_photo(
                    chat_id, png, caption=render(loc, "bot_office.j2", "chart_caption")
                )
        except (TelegramError, OSError) as exc:
            log.warning("weekly ledger not attached: %s", type(exc).__name__)

    async def _send_one(
        self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None
    ) -> int:
        try:
            sent = await self.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=reply_markup
            )
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.warning(
                "Telegram rejected the HTML of a message to %s; resending as plain text", chat_id
            )
            sent = await self.bot.send_message(
                chat_id, plain(text), parse_mode=None, reply_markup=reply_markup
            )
        return sent.message_id
