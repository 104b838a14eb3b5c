"""The Channel interface: how a rendered digest leaves duban.

The deliverer knows nothing of Telegram. It hands a channel one `Outgoing` per recipient per
tick and gets back a `SendResult` that sorts failures into permanent (the chat is gone: mark
the contact unreachable) and temporary (retry later, after `retry_after` if given).
Implementations: console/file (demo), memory (tests), Telegram (bot/telegram_channel.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol


class ItemRef(NamedTuple):
    """One item of a digest, so a channel can attach buttons (报送进展 / 申请延期 / 查看任务).
    A NamedTuple: a busy tick makes 100 000 of them."""

    period_id: int | None
    task_number: int
    unit: str
    due: str  # ISO date
    kind: str = ""  # the item's own kind (a digest may mix kinds)
    ref_id: int | None = None  # report / extension / completion id, for review-style buttons
    outbox_id: int | None = None  # the outbox row this item came from (logs, crash tests)


@dataclass(frozen=True)
class Recipient:
    key: str  # "unit:5", "office", "leader:0"
    name: str  # 区发改局 / 区政府督查室 / the leader's name
    role: str  # unit | lead | office | leader
    chat_ids: tuple[int, ...] = ()  # where it goes in chat; may be empty (console)
    locale: str = "zh_CN"


@dataclass(frozen=True)
class Outgoing:
    recipient: Recipient
    kind: str  # reminder | due | overdue | escalation_lead | escalation_office | …
    parts: tuple[str, ...]  # HTML, each ≤ 4096 characters, split at item boundaries
    items: tuple[ItemRef, ...] = ()
    actionable: bool = True  # whether item buttons make sense for this recipient


@dataclass
class SendResult:
    # (chat_id, message_id, period_ids covered) for every message that went out
    sent: list[tuple[int, int, tuple[int, ...]]] = field(default_factory=list)
    # chats that are gone for good (blocked, not found): reason per chat
    unreachable: dict[int, str] = field(default_factory=dict)
    temporary_error: str = ""  # non-empty: nothing (more) went out; try again later
    retry_after: float | None = None  # seconds, when the server said so (429)

    @property
    def ok(self) -> bool:
        return not self.temporary_error


class Channel(Protocol):
    async def send(self, message: Outgoing) -> SendResult:
        """Deliver every part to every chat of the recipient (or print/record it)."""
        ...
