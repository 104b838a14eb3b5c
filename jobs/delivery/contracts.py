"""The values that travel through the delivery stages, and the Channel interface.

claim → re-check → route → render → send → record: each stage takes and returns these, so a
stage can be read (and tested) alone. A Channel is transport only: it gets rendered parts,
buttons whose callback codes are already stored, and files already made; it reports per
address what went out, what is gone for good and what to retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from db.contracts import Facts, MessageKind, Recipient


class QueuedItem(NamedTuple):
    """One outbox row of a claimed digest, as the planner or a service froze it. A NamedTuple:
    a busy tick claims 100 000."""

    id: int
    kind: MessageKind
    role: str  # the recipient's role for this notice: unit | lead | office | leader
    facts: Facts
    period_id: int | None = None
    assignment_id: int | None = None


@dataclass(slots=True)
class ClaimedDigest:
    """A digest this deliverer claimed ('sending'), and its items."""

    id: int
    recipient: Recipient
    attempts: int
    # Addresses that got it already (a partial send) and their message ids: a retry skips them.
    delivered_to: frozenset[str] = frozenset()
    message_ids: tuple[tuple[str, str], ...] = ()
    items: list[QueuedItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Target:
    """Where one recipient's digest goes: its addresses grouped by locale, and its name."""

    name: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (locale, addresses)
    unit_id: int | None = None
    reason: str = ""  # why nobody can receive it (empty: fine)

    def without(self, addresses: frozenset[str]) -> Target:
        """The same target minus these addresses (groups left empty are dropped)."""
        groups = ((loc, tuple(a for a in ids if a not in addresses)) for loc, ids in self.groups)
        return Target(self.name, tuple((loc, ids) for loc, ids in groups if ids), self.unit_id)


class Button(NamedTuple):
    label: str
    data: str  # the opaque callback code of a stored token (db/tokens.py)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    caption: str = ""
    photo: bool = False  # shown as a picture (a chart) rather than a file


# (the day of the data, locale) → the weekly export's files (ledger XLSX, chart PNG): made by
# the shell, which knows the ledger; delivery only calls it.
AttachmentMaker = Callable[[dt.date, str], Awaitable[tuple[Attachment, ...]]]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One rendered digest for the addresses of one recipient that share a locale."""

    recipient: Recipient
    name: str  # 区发改局 / 区政府督查室 / the leader's name
    role: str  # unit | lead | office | leader
    locale: str
    addresses: tuple[str, ...]  # where it goes on this channel; may be empty (console)
    kind: MessageKind  # the most severe item's kind
    parts: tuple[str, ...]  # HTML, each ≤ 4096 characters, split between items
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows under the last part
    attachments: tuple[Attachment, ...] = ()  # sent after the text (the weekly ledger)
    period_ids: tuple[int, ...] = ()  # the periods it covers: a reply to it is about them
    items: tuple[QueuedItem, ...] = ()


@dataclass
class SendResult:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (address, message id) per part
    unreachable: dict[str, str] = field(default_factory=dict)  # address → why (blocked, gone)
    temporary_error: str = ""  # non-empty: nothing (more) went out; try again later
    retry_after: float | None = None  # seconds, when the server said so (429)

    @property
    def ok(self) -> bool:
        return not self.temporary_error


class Channel(Protocol):
    """A chat transport. `name` is the channel of the contacts it can reach ("telegram");
    `needs_addresses` False means it delivers by name (console, simulation): a recipient with
    no address is still delivered to; `supports_buttons` whether it shows inline buttons
    (their callback codes are only stored for a channel that does); `delivers` False means it
    only shows digests to whoever runs duban (the console): they are recorded as 'printed',
    not 'sent', and a real channel sends them later."""

    name: str
    needs_addresses: bool
    supports_buttons: bool
    delivers: bool

    async def send(self, message: Outgoing) -> SendResult:
        """Deliver every part (then the attachments) to every address of the message."""
        ...


@dataclass(frozen=True)
class DeliveredMessage:
    """One digest that went out (to all addresses of one recipient and locale)."""

    at: dt.datetime
    recipient: Recipient
    recipient_name: str
    role: str
    kind: MessageKind
    items: tuple[QueuedItem, ...]
    parts: int  # how many chat messages (the digest split above 4096 characters)


@dataclass
class DeliveryReport:
    delivered: list[DeliveredMessage] = field(default_factory=list)
    items_sent: int = 0
    items_printed: int = 0  # shown on a console only: still to be delivered
    items_failed: int = 0
    items_dead: int = 0
    items_dropped: int = 0  # no longer held at claim time (reported, extended, closed…)
    undeliverable: int = 0
    unreachable_contacts: int = 0

    def merge(self, other: DeliveryReport) -> None:
        self.delivered.extend(other.delivered)
        self.items_sent += other.items_sent
        self.items_printed += other.items_printed
        self.items_failed += other.items_failed
        self.items_dead += other.items_dead
        self.items_dropped += other.items_dropped
        self.undeliverable += other.undeliverable
        self.unreachable_contacts += other.unreachable_contacts
