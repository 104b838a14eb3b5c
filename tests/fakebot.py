"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests (no network).

The real python-telegram-bot Application talks to it through `base_url`. It records every
request, answers getUpdates from a queue the test fills (messages, replies with photos or
documents, button presses), numbers the bot's messages per chat so a test can reply to them,
and can be told to fail: 403 blocked, 400 chat not found, 429 with retry_after, 400 can't
parse entities. Like Telegram it refuses a text over 4096 characters (1024 for a caption)
after entity parsing, and HTML that is not well formed or uses a tag Telegram does not know.
With `limits=FloodLimits(clock)` it also enforces Telegram's flood limits as strict sliding
windows and answers 429 with retry_after when a send breaks them.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import html.parser
import itertools
import json
import math
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "督办",
    "username": "duban_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
TELEGRAM_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "tg-emoji", "blockquote",
}  # fmt: skip


class _TelegramHTML(html.parser.HTMLParser):
    """Telegram's HTML: only its tags, every tag closed in order; counts the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.visible = 0
        self.error = ""

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in TELEGRAM_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.visible += len(data)


def telegram_rejects(params: dict[str, Any]) -> str:
    """Why Telegram would refuse this text or caption (empty: it would accept it)."""
    key, limit = ("text", TEXT_LIMIT) if "text" in params else ("caption", CAPTION_LIMIT)
    text = str(params.get(key) or "")
    if params.get("parse_mode") == "HTML":
        parser = _TelegramHTML()
        parser.feed(text)
        parser.close()
        if parser.error or parser.open:
            return f"Bad Request: can't parse entities: {parser.error or 'unclosed tag'}"
        length = parser.visible
    else:
        length = len(text)
    if length > limit:
        return f"Bad Request: message {'caption ' if key == 'caption' else ''}is too long"
    if key == "text" and not text.strip():
        return "Bad Request: message text is empty"
    return ""


@dataclass
class Call:
    """One request the bot made: the Bot API method and its decoded parameters."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, label: str) -> str:
        for text, data in self.buttons:
            if text == label:
                return data
        raise AssertionError(f"no button {label!r} in {self.buttons}")


@dataclass
class Failure:
    method: str
    chat_id: int | None
    code: int
    description: str
    retry_after: int | None = None
    times: int = 1


SEND_METHODS = {"sendMessage", "sendDocument", "sendPhoto"}


class FloodLimits:
    """Telegram's flood limits as a strict server counts them, on arrival: at most 30 sends in
    any second per bot, 1 per second per private chat, 20 in any minute per group (negative
    chat id). A send that would break one is refused with retry_after (whole seconds, rounded
    up, as Telegram gives them) and not counted."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._bot: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self.refused = 0

    def refuse(self, chat_id: int) -> int | None:
        """None if the send may go; else the seconds to wait."""
        now = self.clock()
        per_chat = (20, 60.0) if chat_id < 0 else (1, 1.0)
        chat = self._chats.setdefault(chat_id, deque())
        for arrivals, (limit, seconds) in ((self._bot, (30, 1.0)), (chat, per_chat)):
            while arrivals and arrivals[0] <= now - seconds:
                arrivals.popleft()
            if len(arrivals) >= limit:
                self.refused += 1
                return max(1, math.ceil(arrivals[0] + seconds - now))
        self._bot.append(now)
        chat.append(now)
        return None


class FakeBotAPI:
    def __init__(self, token: str, *, limits: FloodLimits | None = None) -> None:
        self.token = token
        self.limits = limits
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.failures: list[Failure] = []
        self.raw_paths: list[str] = []
        self._update_ids = itertools.count(1)
        self.webhook: tuple[str, str] | None = None  # (url, secret) once setWebhook was called
        self.webhook_status: list[int] = []  # HTTP status of each POST to the webhook
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            # A client that gave up (a rejected token) may leave its keep-alive connection open.
            for task in self._connections:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ test controls
    def fail(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self.failures.append(Failure(method, chat_id, code, description, retry_after, times))

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1000))
        return next(counter)

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        if self.webhook is not None:  # as the real Bot API: POST it to the bot's webhook
            await self._post_to_webhook(update)
            return update
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update

    async def send_text(
        self,
        user: dict[str, Any],
        text: str = "",
        *,
        chat: dict[str, Any] | None = None,
        reply_to: dict[str, Any] | None = None,
        photo: str | None = None,
        document: tuple[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user writes (or replies to `reply_to`, a message the bot sent). `extra` adds
        Message fields as Telegram sends them: sticker, voice, location, media_group_id…"""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": 1700000000,
            "chat": chat,
            "from": user,
        }
        if photo or document or extra:
            if text:
                msg["caption"] = text
        else:
            msg["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0])
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if photo:
            msg["photo"] = [
                {
                    "file_id": photo + "-s",
                    "file_unique_id": photo + "u1",
                    "width": 90,
                    "height": 90,
                },
                {"file_id": photo, "file_unique_id": photo + "u2", "width": 800, "height": 600},
            ]
        if document:
            msg["document"] = {
                "file_id": document[0],
                "file_unique_id": document[0] + "u",
                "file_name": document[1],
                "mime_type": "application/pdf",
            }
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        msg.update(extra or {})
        await self.push({"message": msg})
        return msg

    async def edit(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits a message they sent earlier (an `edited_message` update)."""
        edited = {**message, "edit_date": 1700000100}
        edited["caption" if "caption" in message else "text"] = text
        await self.push({"edited_message": edited})
        return edited

    async def press(self, user: dict[str, Any], data: str, message: dict[str, Any]) -> None:
        """A user presses an inline button with callback data `data` under `message`."""
        await self.push(
            {
                "callback_query": {
                    "id": str(next(self._callback_ids)),
                    "from": user,
                    "chat_instance": "ci",
                    "data": data,
                    "message": message,
                }
            }
        )

    def message_of(self, call: Call) -> dict[str, Any]:
        """The message object the bot got back for a send call (to reply to or press under)."""
        return self.messages[(call.chat_id, call.params["_message_id"])]  # type: ignore[index]

    async def wait_for(
        self, pred: Callable[[Call], bool], *, after: int = 0, timeout: float = 5.0
    ) -> Call:
        """The first call at index ≥ after matching pred; waits for it (bounded)."""

        async def _wait() -> Call:
            async with self._changed:
                while True:
                    for call in self.calls[after:]:
                        if pred(call):
                            return call
                    await self._changed.wait()

        return await asyncio.wait_for(_wait(), timeout)

    async def wait_sent(
        self, chat_id: int, *, after: int = 0, contains: str = "", timeout: float = 5.0
    ) -> Call:
        return await self.wait_for(
            lambda c: (
                c.method in {"sendMessage", "editMessageText", "sendDocument", "sendPhoto"}
                and c.chat_id == chat_id
                and contains in c.text
            ),
            after=after,
            timeout=timeout,
        )

    def mark(self) -> int:
        return len(self.calls)

    def sent_to(self, chat_id: int) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.chat_id == chat_id and c.method in {"sendMessage", "editMessageText"}
        ]

    # ------------------------------------------------------------------ HTTP
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                _verb, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, v = h.decode("latin-1").split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload = await self._handle(path, headers.get("content-type", ""), body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _decode(ctype: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser().parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
            )
            for part in msg.get_payload():  # type: ignore[union-attr]
                name = part.get_param("name", header="content-disposition")
                raw = part.get_payload(decode=True) or b""
                if part.get_filename():
                    files[name] = raw
                else:
                    params[name] = raw.decode()
        elif body:
            params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        for key, value in list(params.items()):
            if isinstance(value, str) and value[:1] in "{[":
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params, files

    async def _handle(self, path: str, ctype: str, body: bytes) -> tuple[int, dict[str, Any]]:
        self.raw_paths.append(path)
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :]
        params, files = self._decode(ctype, body)
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        call = Call(method, params, files)
        failure = self._failure_for(call)
        if failure is None and self.limits is not None and method in SEND_METHODS:
            wait = self.limits.refuse(int(params["chat_id"]))
            if wait is not None:
                failure = Failure(method, call.chat_id, 429, "Too Many Requests: retry later", wait)
        if failure is not None:
            # A failed call is recorded too (tests check what was attempted).
            call.params["_failed"] = failure.code
            await self._record(call)
            response: dict[str, Any] = {
                "ok": False,
                "error_code": failure.code,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                response["parameters"] = {"retry_after": failure.retry_after}
            return failure.code, response
        rejected = (
            telegram_rejects(params)
            if method in {"sendMessage", "editMessageText", "sendDocument", "sendPhoto"}
            else ""
        )
        if rejected:
            call.params["_failed"] = 400
            await self._record(call)
            return 400, {"ok": False, "error_code": 400, "description": rejected}
        result = self._result(call)
        await self._record(call)
        return 200, {"ok": True, "result": result}

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _failure_for(self, call: Call) -> Failure | None:
        for failure in self.failures:
            if failure.times <= 0 or failure.method != call.method:
                continue
            if failure.chat_id is not None and failure.chat_id != call.chat_id:
                continue
            if "parse entities" in failure.description and "parse_mode" not in call.params:
                continue
            failure.times -= 1
            return failure
        return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 0.5)

        def pending() -> list[dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= offset]

        async with self._changed:
            if not pending() and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(pending())), timeout)
            return pending()

    async def _post_to_webhook(self, update: dict[str, Any]) -> None:
        import httpx

        url, secret = self.webhook  # type: ignore[misc]
        async with httpx.AsyncClient() as client:
            response = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            )
        self.webhook_status.append(response.status_code)

    def _result(self, call: Call) -> Any:
        p = call.params
        if call.method == "setWebhook":
            self.webhook = (str(p["url"]), str(p.get("secret_token", "")))
            self.webhook_status = []
        if call.method == "deleteWebhook":
            self.webhook = None
        if call.method == "getMe":
            return BOT_USER
        if call.method in {
            "deleteWebhook",
            "setMyCommands",
            "answerCallbackQuery",
            "deleteMyCommands",
            "setWebhook",
        }:
            return True
        if call.method == "getMyCommands":
            return []
        if call.method == "getFile":
            return {"file_id": p["file_id"], "file_unique_id": "u", "file_path": "docs/f.pdf"}
        if call.method in {"sendMessage", "sendDocument", "sendPhoto"}:
            chat_id = int(p["chat_id"])
            message_id = self._next_message_id(chat_id)
            p["_message_id"] = message_id
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": BOT_USER,
            }
            if call.method == "sendMessage":
                message["text"] = p.get("text", "")
            elif call.method == "sendDocument":
                message["document"] = {"file_id": "DOC", "file_unique_id": "DOCU"}
                message["caption"] = p.get("caption", "")
            else:
                message["photo"] = [
                    {"file_id": "PH", "file_unique_id": "PHU", "width": 1, "height": 1}
                ]
            if "reply_markup" in p:
                message["reply_markup"] = p["reply_markup"]
            self.messages[(chat_id, message_id)] = message
            return message
        if call.method in {"editMessageText", "editMessageReplyMarkup"}:
            chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
            p["_message_id"] = message_id
            message = dict(
                self.messages.get((chat_id, message_id))
                or {
                    "message_id": message_id,
                    "date": 1700000000,
                    "chat": {"id": chat_id, "type": "private"},
                    "from": BOT_USER,
                }
            )
            if "text" in p:
                message["text"] = p["text"]
            message.pop("reply_markup", None)
            if "reply_markup" in p:
                message["reply_markup"] = p["reply_markup"]
            self.messages[(chat_id, message_id)] = message
            return message
        return True
