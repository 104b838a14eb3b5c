"""The typed values an outbox row stores: what kind of notice (MessageKind), for whom
(Recipient), under which dedupe key (dedupe_key), and the frozen facts to render it (Facts).

They sit in db/ because the rows hold them: every layer above (jobs, services, bot, the shell)
builds and reads them through these types, never by spelling "unit:5" or a key format itself.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class MessageKind(StrEnum):
    """Every kind of notice duban sends, most severe first: the order of a digest's headings,
    and a digest's own kind is its most severe item's."""

    ESCALATION_LEADER = "escalation_leader"  # 督办 → the leader in charge (分管区领导)
    ESCALATION_OFFICE = "escalation_office"  # 督办 → the district office
    ESCALATION_LEAD = "escalation_lead"  # 督办 → the lead department
    REVIEW_OVERDUE = "review_overdue"  # a report left unreviewed: to its lead, then the office
    OVERDUE = "overdue"  # 催办 to the unit
    DUE = "due"  # due today
    REMINDER = "reminder"  # 提醒 before the due date
    DESIGNATE = "designate"  # name the units of a 各相关X placeholder
    UNREACHABLE = "unreachable"  # a unit nobody can receive for (to the office)
    RETURNED = "returned"  # a report was sent back
    REVIEW_REQUEST = "review_request"
    REVIEW_RESULT = "review_result"
    LEAD_REPORT = "lead_report"  # a lead's own report, for the office
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_RESULT = "extension_result"
    COMPLETION_CLAIM = "completion_claim"
    COMPLETION_RESULT = "completion_result"
    WEEKLY_EXPORT = "weekly_export"  # the office's weekly ledger and chart

    @property
    def severity(self) -> int:
        """Smaller is more severe."""
        return _SEVERITY[self]


_SEVERITY = {kind: rank for rank, kind in enumerate(MessageKind)}

# A period's escalation ladder (jobs/planner.py plans these).
LADDER_KINDS = frozenset(
    {
        MessageKind.REMINDER,
        MessageKind.DUE,
        MessageKind.OVERDUE,
        MessageKind.ESCALATION_LEAD,
        MessageKind.ESCALATION_OFFICE,
        MessageKind.ESCALATION_LEADER,
    }
)
# Items about a period past its due date: they carry its age (Facts.overdue_days).
AGED_KINDS = frozenset(
    {
        MessageKind.OVERDUE,
        MessageKind.ESCALATION_LEAD,
        MessageKind.ESCALATION_OFFICE,
        MessageKind.ESCALATION_LEADER,
    }
)
# A unit's own items: they get 报送进展 / 申请延期 / 查看任务 buttons.
OWN_ITEM_KINDS = frozenset(
    {
        MessageKind.REMINDER,
        MessageKind.DUE,
        MessageKind.OVERDUE,
        MessageKind.RETURNED,
        MessageKind.EXTENSION_RESULT,
        MessageKind.REVIEW_RESULT,
    }
)
# Read by lead department in the office's and leaders' digests.
BY_LEAD_KINDS = frozenset({MessageKind.ESCALATION_OFFICE, MessageKind.ESCALATION_LEADER})


def severity(kind: str) -> int:
    """A kind's rank (smaller is more severe); an unknown kind sorts last."""
    return _SEVERITY.get(kind, len(_SEVERITY))  # type: ignore[call-overload]


class RecipientKind(StrEnum):
    UNIT = "unit"  # a unit's contacts (as a responsible unit or as a lead)
    LEADER = "leader"  # a leader in charge, by position in the config's [[leaders]]
    OFFICE = "office"  # the district office (督查室)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a notice is for. Stored as a short key ("unit:5", "leader:0", "office") by
    RecipientColumn; nothing else builds or parses that key. Make them with unit(), leader()
    and office() (the same recipient is then the same object)."""

    kind: RecipientKind
    ref: int = 0  # the unit's id or the leader's index; 0 for the office
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = "office" if self.kind is RecipientKind.OFFICE else f"{self.kind}:{self.ref}"
        object.__setattr__(self, "key", key)

    @classmethod
    def unit(cls, unit_id: int) -> Recipient:
        return _recipient(RecipientKind.UNIT, unit_id)

    @classmethod
    def leader(cls, index: int) -> Recipient:
        return _recipient(RecipientKind.LEADER, index)

    @classmethod
    def office(cls) -> Recipient:
        return OFFICE

    @classmethod
    def from_key(cls, key: str) -> Recipient:
        return _from_key(key)

    @property
    def delivery_rank(self) -> tuple[int, int]:
        """Units first, then leaders, the office last (its digest may name unreachable units
        found while delivering the others)."""
        return (_RANK[self.kind], self.ref)

    def __str__(self) -> str:
        return self.key


_RANK = {RecipientKind.UNIT: 0, RecipientKind.LEADER: 1, RecipientKind.OFFICE: 2}


@functools.lru_cache(maxsize=65536)
def _recipient(kind: RecipientKind, ref: int) -> Recipient:
    return Recipient(kind, ref)


OFFICE = _recipient(RecipientKind.OFFICE, 0)


@functools.lru_cache(maxsize=65536)
def _from_key(key: str) -> Recipient:
    kind, _, ref = key.partition(":")
    if kind == "office" and not ref:
        return OFFICE
    if kind in ("unit", "leader") and ref.isdigit():
        return _recipient(RecipientKind(kind), int(ref))
    raise ValueError(f"not a recipient key: {key!r}")


class RecipientColumn(TypeDecorator[Recipient]):
    """A Recipient in one short string column (the same text the first release stored)."""

    impl = String(60)
    cache_ok = True

    def process_bind_param(self, value: Recipient | str | None, dialect: Dialect) -> Any:
        if value is None or isinstance(value, str):
            return value  # a key in a hand-written filter
        return value.key

    def process_result_value(self, value: Any, dialect: Dialect) -> Recipient | None:
        return None if value is None else Recipient.from_key(value)


def dedupe_key(
    kind: MessageKind,
    recipient: Recipient,
    *,
    scope: tuple[int | str, int | str] = (0, 0),
    stage: int | str = 0,
) -> str:
    """The outbox's unique key of a notice: `kind:scope:stage:recipient`. scope is what the
    notice is about (assignment and period of a ladder stage or an event notice; 0, 0 for
    none); stage tells the notices of one scope apart (a ladder stage, a report's id, a
    week). The database refuses a second row with the same key: that is what makes planning
    idempotent."""
    return f"{kind.value}:{scope[0]}:{scope[1]}:{stage}:{recipient.key}"


_FIELDS = (
    "task", "title", "task_id", "unit", "unit_id", "role", "due", "label", "leads", "stage",
    "overdue_days", "anchor", "ref_id", "section",
)  # fmt: skip


class Facts:
    """What a notice says, frozen when it is queued: delivery renders exactly this, and the
    re-check compares it with the current state (has the period been reported or extended
    since?). Stored as the outbox row's JSON payload.

    A typed, read-only view of that stored object (what the templates render as `item`): the
    tick queues 100 000 of them on a busy day, so there is one dict and no copying back and
    forth. A field left None is absent from it, and the template reads it as None too."""

    __slots__ = ("_item",)

    def __init__(
        self,
        *,
        task: int | None = None,  # the task's number
        title: str | None = None,  # the task's first clause
        task_id: int | None = None,
        unit: str | None = None,  # the unit it is about (a 各相关X placeholder for `designate`)
        unit_id: int | None = None,
        role: str | None = None,  # that unit's role on the task: lead | responsible
        due: str | None = None,  # ISO date: the due date the notice was planned for
        label: str | None = None,  # the period: 2024-03, 2024-W12, …
        leads: tuple[str, ...] | None = None,  # the task's lead units
        stage: int | None = None,
        # Working days after `due` up to the day of the notice (1 on the first day after):
        # the planner's value, brought up to the day it is sent by jobs/delivery/ages.py.
        overdue_days: int | None = None,
        anchor: str | None = None,  # a ladder restarted: x<date> extended, r<date> returned
        ref_id: int | None = None,  # the report, extension, completion or placeholder
        section: str | None = None,  # the task's section, short (一、优结构、谋发展)
        details: Mapping[str, Any] | None = None,  # kind-specific: times, text, comment…
    ) -> None:
        values = (task, title, task_id, unit, unit_id, role, due, label, leads, stage,
                  overdue_days, anchor, ref_id, section)  # fmt: skip
        item = {name: v for name, v in zip(_FIELDS, values, strict=True) if v is not None}
        if details:
            item.update(details)
        self._item = item

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Facts:
        """The stored object, as read back (it is not copied: hand over a fresh one)."""
        facts = cls.__new__(cls)
        facts._item = item
        return facts

    def as_item(self) -> dict[str, Any]:
        """The object to store and to render (read it, never change it)."""
        return self._item

    def replace(self, **changes: Any) -> Facts:
        return Facts.from_json({**self._item, **changes})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Facts) and other._item == self._item

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Facts({self._item!r})"

    @property
    def task(self) -> int | None:
        return self._item.get("task")

    @property
    def title(self) -> str | None:
        return self._item.get("title")

    @property
    def task_id(self) -> int | None:
        return self._item.get("task_id")

    @property
    def unit(self) -> str | None:
        return self._item.get("unit")

    @property
    def unit_id(self) -> int | None:
        return self._item.get("unit_id")

    @property
    def role(self) -> str | None:
        return self._item.get("role")

    @property
    def due(self) -> str | None:
        return self._item.get("due")

    @property
    def label(self) -> str | None:
        return self._item.get("label")

    @property
    def stage(self) -> int | None:
        return self._item.get("stage")

    @property
    def overdue_days(self) -> int | None:
        return self._item.get("overdue_days")

    @property
    def anchor(self) -> str | None:
        return self._item.get("anchor")

    @property
    def ref_id(self) -> int | None:
        return self._item.get("ref_id")

    @property
    def section(self) -> str | None:
        return self._item.get("section")

    @property
    def leads(self) -> tuple[str, ...] | None:
        leads = self._item.get("leads")
        return None if leads is None else tuple(leads)
