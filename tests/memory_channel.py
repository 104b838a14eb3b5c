"""Channels for tests: MemoryChannel records what it is given and fails as scripted;
FileLogChannel appends one fsynced line per digest (the restart-safety test)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jobs.delivery import Outgoing, SendResult


@dataclass
class Failure:
    """A scripted failure: temporary (retry_after optional) or permanent for some addresses."""

    temporary: str = ""
    retry_after: float | None = None
    unreachable: dict[str, str] = field(default_factory=dict)
    # With `temporary`: only these addresses fail; those before the first of them get the
    # message, the rest are not tried (as the Telegram channel stops at a temporary error).
    only: frozenset[str] = frozenset()


class MemoryChannel:
    """Records every delivered Outgoing in `.sent`; failures can be scripted.

    - `fail_next(Failure(...), times=n)`: the next n sends fail that way.
    - `blocked`: addresses that are permanently unreachable (as if the bot were blocked).
    - `received`: (address, message) for every address that got a message in full.
    """

    name = "telegram"
    supports_buttons = False
    delivers = True

    def __init__(self, *, needs_addresses: bool = False) -> None:
        self.needs_addresses = needs_addresses
        self.sent: list[Outgoing] = []
        self.attempts = 0
        self.blocked: dict[str, str] = {}
        self._failures: list[Failure] = []
        self._ids = itertools.count(1)
        self.received: list[tuple[str, Outgoing]] = []

    def fail_next(self, failure: Failure, times: int = 1) -> None:
        self._failures.extend([failure] * times)

    async def send(self, message: Outgoing) -> SendResult:
        self.attempts += 1
        failing: frozenset[str] = frozenset()
        failure = Failure()
        if self._failures:
            failure = self._failures.pop(0)
            if failure.temporary and failure.only:
                failing = failure.only
            elif failure.temporary:
                return SendResult(
                    temporary_error=failure.temporary, retry_after=failure.retry_after
                )
            else:
                return SendResult(unreachable=dict(failure.unreachable))
        result = SendResult()
        delivered = False
        for address in message.addresses:
            if address in failing:
                result.temporary_error = failure.temporary
                return result
            if address in self.blocked:
                result.unreachable[address] = self.blocked[address]
                continue
            delivered = True
            for _ in message.parts:
                result.sent.append((address, str(next(self._ids))))
            self.received.append((address, message))
        if delivered or not message.addresses:
            self.sent.append(message)
        return result


class FileLogChannel:
    """Appends one line per delivered digest to a file and fsyncs before returning: the
    restart-safety test compares this log with the database after SIGKILLs."""

    name = "telegram"
    needs_addresses = False
    supports_buttons = False
    delivers = True

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
