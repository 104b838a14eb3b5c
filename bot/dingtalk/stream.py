"""Receiving: the official `dingtalk-stream` SDK's client in a thread of its own.

The SDK makes blocking `requests` calls (connection open) inside its async client and loops
forever, reconnecting on its own; so it gets its own thread and event loop, apart from the
loop that runs the clock and Telegram. Each robot message is handled on that thread: turned
into an `Incoming`, handed to `Commands` (the database work is synchronous SQLAlchemy, safe
from any thread), the answer sent back, and only then acknowledged — a message is stored
before its ack. The SDK may hand one frame over twice; `Commands` is idempotent on msgId.

The SDK builds its connection URL from DINGTALK_OPENAPI_ENDPOINT when its class is defined;
`StreamThread` sets the class attribute from the configured base URL instead. The SDK's
default logger prints the connection ticket at INFO: the client gets ours, at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import dingtalk_stream
from dingtalk_stream import AckMessage, ChatbotMessage, Credential, DingTalkStreamClient

from bot.dingtalk.commands import Incoming

log = logging.getLogger(__name__)
SDK_LOG = logging.getLogger("bot.dingtalk.sdk")
SDK_LOG.setLevel(logging.WARNING)
OPEN_PATH = "/v1.0/gateway/connections/open"
FILE_KINDS = {"picture": "photo", "file": "document", "video": "document", "audio": "document"}

OnMessage = Callable[[Incoming], Awaitable[None]]


def incoming(data: dict[str, Any]) -> Incoming:
    """The parts of a robot message duban uses (text, sender, conversation, files)."""
    msg = ChatbotMessage.from_dict(data)
    text = ""
    files: list[tuple[str, str, str]] = []
    kind = msg.message_type or ""
    if kind == "text" and msg.text is not None:
        text = msg.text.content or ""
    elif kind == "richText":
        text = " ".join(t for t in (msg.get_text_list() or ()) if t)
        files = [(code, "photo", "") for code in msg.get_image_list() or ()]
    elif kind in FILE_KINDS:
        content = data.get("content") or {}
        code = str(content.get("downloadCode", ""))
        if code:
            files = [(code, FILE_KINDS[kind], str(content.get("fileName", "")))]
    return Incoming(
        msg_id=str(msg.message_id or ""),
        staff_id=str(msg.sender_staff_id or ""),
        nick=str(msg.sender_nick or ""),
        conversation_id=str(msg.conversation_id or ""),
        group=str(msg.conversation_type) == "2",
        title=str(msg.conversation_title or ""),
        text=text.strip(),
        files=tuple(files),
    )


class _RobotHandler(dingtalk_stream.ChatbotHandler):
    def __init__(self, on_message: OnMessage) -> None:
        super().__init__()
        self.on_message = on_message

    async def process(self, callback: Any) -> tuple[int, str]:
        try:
            msg = incoming(callback.data or {})
            if msg.msg_id:
                await self.on_message(msg)
        except Exception as exc:  # never the message itself in the log: it is personal
            log.error("DingTalk message not handled: %s", type(exc).__name__, exc_info=True)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "error"
        return AckMessage.STATUS_OK, "OK"


class StreamThread(threading.Thread):
    """Runs the SDK client until `stop()`. `make_handler` is called inside the thread's loop
    (so an httpx client it makes belongs to that loop) and returns the per-message
    coroutine, plus a coroutine that closes what it opened."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        base_url: str,
        make_handler: Callable[[], tuple[OnMessage, Callable[[], Awaitable[None]]]],
    ) -> None:
        super().__init__(name="dingtalk-stream", daemon=True)
        self._credential = Credential(client_id, client_secret)
        self._base_url = base_url.rstrip("/")
        self._make_handler = make_handler
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self.started = threading.Event()

    def run(self) -> None:
        DingTalkStreamClient.OPEN_CONNECTION_API = self._base_url + OPEN_PATH
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        on_message, close = self._make_handler()
        # Our logger, not the SDK's default one (which it sets to INFO, where it prints the
        # connection ticket).
        client = DingTalkStreamClient(self._credential, logger=SDK_LOG)
        client.register_callback_handler(ChatbotMessage.TOPIC, _RobotHandler(on_message))
        self._task = loop.create_task(client.start())
        self.started.set()
        try:
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._task)
        finally:
            rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in rest:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(close())
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel the client (the SDK swallows one cancel to reconnect: keep cancelling until
        it is done) and wait for the thread."""
        self.started.wait(timeout)
        loop, task = self._loop, self._task
        if loop is None or task is None:
            return
        # The SDK reports its own cancellation as "[start] network exception": not an error.
        SDK_LOG.setLevel(logging.CRITICAL)

        async def cancel_until_done() -> None:
            while not task.done():
                task.cancel()
                await asyncio.sleep(0.05)

        with contextlib.suppress(RuntimeError):  # the loop already closed
            asyncio.run_coroutine_threadsafe(cancel_until_done(), loop)
        self.join(timeout)
