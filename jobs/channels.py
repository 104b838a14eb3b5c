"""Channels that need no network: the console/file channel (demo, `duban tick` without a
token) and the in-memory channel (tests, `duban simulate`). Telegram lives in bot/.

A channel may carry `needs_chats = False`: it can deliver to a recipient that has no chat ids
(it prints or records by name). The deliverer then sends even when a unit has no contact or the
office has no chat configured. A real chat channel leaves it True (the default).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from jobs.channel import Outgoing, SendResult


def _period_ids(message: Outgoing) -> tuple[int, ...]:
    return tuple(sorted({i.period_id for i in message.items if i.period_id is not None}))


class ConsoleChannel:
    """Prints each digest (HTML as is) to a stream or appends it to a file."""

    needs_chats = False

    def __init__(self, stream: TextIO | None = None, path: Path | None = None) -> None:
        self.stream = stream
        self.path = path
        self._ids = itertools.count(1)

    async def send(self, message: Outgoing) -> SendResult:
        rcpt = message.recipient
        lines = [f"=== to {rcpt.name} ({rcpt.role}, {rcpt.key}) · {message.kind} ==="]
        for n, part in enumerate(message.parts, 1):
            if len(message.parts) > 1:
                lines.append(f"--- part {n}/{len(message.parts)} ---")
            lines.append(part)
        text = "\n".join(lines) + "\n\n"
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(text)
        else:
            (self.stream or sys.stdout).write(text)
        result = SendResult()
        periods = _period_ids(message)
        for chat in rcpt.chat_ids:
            for _ in message.parts:
                result.sent.append((chat, next(self._ids), periods))
        return result


@dataclass
class Failure:
    """A scripted failure for the MemoryChannel: temporary (retry_after optional) or
    permanent for some chats (unreachable)."""

    temporary: str = ""
    retry_after: float | None = None
    unreachable: dict[int, str] = field(default_factory=dict)
    # With `temporary`: only these chats fail; the chats before the first of them get the
    # message, the rest are not tried (as the Telegram channel stops at a temporary error).
    only_chats: frozenset[int] = frozenset()


class MemoryChannel:
    """Records every delivered Outgoing in `.sent`; failures can be scripted.

    - `fail_next(Failure(...), times=n)`: the next n sends fail that way.
    - `blocked`: chat ids that are permanently unreachable (as if the bot were blocked).
    - `on_send`: a hook called with each delivered message (simulate uses it for its log).
    - `received`: (chat id, message) for every chat that got a message in full.
    """

    def __init__(self, *, needs_chats: bool = False, keep: bool = True) -> None:
        self.needs_chats = needs_chats
        self.keep = keep  # False: count only (simulate and the benchmark read the report)
        self.sent: list[Outgoing] = []
        self.attempts = 0
        self.delivered = 0
        self.blocked: dict[int, str] = {}
        self._failures: list[Failure] = []
        self._ids = itertools.count(1)
        self.on_send: Callable[[Outgoing], None] | None = None
        self.received: list[tuple[int, Outgoing]] = []

    def fail_next(self, failure: Failure, times: int = 1) -> None:
        self._failures.extend([failure] * times)

    async def send(self, message: Outgoing) -> SendResult:
        self.attempts += 1
        failing: frozenset[int] = frozenset()
        if self._failures:
            failure = self._failures.pop(0)
            if failure.temporary and failure.only_chats:
                failing = failure.only_chats
            elif failure.temporary:
                return SendResult(
                    temporary_error=failure.temporary, retry_after=failure.retry_after
                )
            else:
                return SendResult(unreachable=dict(failure.unreachable))
        result = SendResult()
        periods = _period_ids(message)
        delivered = False
        for chat in message.recipient.chat_ids:
            if chat in failing:
                result.temporary_error = failure.temporary
                return result
            if chat in self.blocked:
                result.unreachable[chat] = self.blocked[chat]
                continue
            delivered = True
            for _ in message.parts:
                result.sent.append((chat, next(self._ids), periods))
            if self.keep:
                self.received.append((chat, message))
        if delivered or not message.recipient.chat_ids:
            self.delivered += 1
            if self.keep:
                self.sent.append(message)
            if self.on_send is not None:
                self.on_send(message)
        return result


class FileLogChannel:
    """Appends one line per delivered digest to a file and fsyncs before returning: the
    restart-safety test compares this log with the database after SIGKILLs."""

    needs_chats = False

    def __init__(self, path: Path, format_line: Callable[[Outgoing], str]) -> None:
        self.path = path
        self.format_line = format_line

    async def send(self, message: Outgoing) -> SendResult:
        line = self.format_line(message).rstrip("\n") + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return SendResult()
