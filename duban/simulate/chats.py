"""The simulated contacts' side of the chat: every message arrives."""

from __future__ import annotations

import itertools

from db.models.contacts import TELEGRAM
from jobs.delivery import Outgoing, SendResult


class SimulatedChats:
    """The simulated contacts' Telegram: every message arrives, by name too (the office may
    have no chat configured, and a simulated year still shows what it would get)."""

    name = TELEGRAM
    needs_addresses = False
    supports_buttons = False
    delivers = True

    def __init__(self) -> None:
        self.ids = itertools.count(1)

    async def send(self, message: Outgoing) -> SendResult:
        return SendResult(
            sent=[(a, str(next(self.ids))) for a in message.addresses for _ in message.parts]
        )
