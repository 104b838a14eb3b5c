"""The console channel: prints each digest (HTML as is) to a stream or appends it to a file.
`duban tick` without a bot token, and the demo, deliver through it."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import TextIO

from jobs.delivery.contracts import Outgoing, SendResult


class ConsoleChannel:
    name = "console"
    needs_addresses = False  # prints by name, whether or not the recipient has a chat
    supports_buttons = False
    delivers = False  # prints; nobody receives it (see contracts.Channel)

    def __init__(self, stream: TextIO | None = None, path: Path | None = None) -> None:
        self.stream = stream
        self.path = path
        self._ids = itertools.count(1)

    async def send(self, message: Outgoing) -> SendResult:
        lines = [
            f"=== to {message.name} ({message.role}, {message.recipient.key}) · "
            f"{message.kind} ==="
        ]
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
        for address in message.addresses:
            for _ in message.parts:
                result.sent.append((address, str(next(self._ids))))
        return result
