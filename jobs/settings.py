"""What the engine needs to know, as plain values: the shell (duban/wiring.py) builds one
`Settings` from the validated config, and everything in jobs/ takes it (or a part of it), never
the config object. Defaults live in the config schema only; nothing here has any."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Schedule:
    """One reporting schedule (`[reporting.default]` or a `[[reporting.rules]]` entry)."""

    every: str  # month | week | quarter | once
    day: int  # month/quarter: day of the month
    weekday: int  # week: 1 = Monday … 7 = Sunday
    dates: tuple[dt.date, ...] = ()  # once: the deadlines
    tasks: tuple[int, ...] = ()  # a rule: the task numbers it covers
    sections: tuple[str, ...] = ()  # a rule: the sections it covers (number or title)


@dataclass(frozen=True, slots=True)
class ReportingPlan:
    start: dt.date | None  # None: the day of the first import, else today
    end: dt.date | None  # None: 31 December of the start year
    default: Schedule
    rules: tuple[Schedule, ...] = ()


_REMARK = re.compile(r"[（(][^）)]*[)）]|\s+")


def leader_key(name: str) -> str:
    """A leader's name as tables and the config are matched: without a bracketed remark or
    spaces (张伟（常务副区长） is 张伟)."""
    return _REMARK.sub("", name) or name


@dataclass(frozen=True, slots=True)
class LeaderInCharge:
    """A leader in charge (分管区领导) of some lead units; `index` is its place in the config."""

    index: int
    name: str
    units: frozenset[str]  # canonical unit names
    chat_ids: tuple[int, ...] = ()
    # Addresses on the other channels, by channel name (DingTalk: user:<staffId>).
    addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    tz: ZoneInfo
    locale: str  # the default locale of messages
    office_name: str
    office_chat_ids: tuple[int, ...]
    # The office's chats on the other channels, by channel name (DingTalk: group:<cid>).
    office_addresses: Mapping[str, tuple[str, ...]]
    leaders: tuple[LeaderInCharge, ...]
    # The ladder, as copied onto each new period (later config edits don't change it).
    escalation: Mapping[str, Any]
    max_attempts: int  # delivery attempts before a digest is dead
    # A digest of more items than this is sent as a summary (counts, the oldest items).
    digest_max_items: int
    digest_oldest_items: int  # how many of the oldest items such a summary lists
    reporting: ReportingPlan
    # [decisions]: working days a lead has to review a report before it is reminded, then
    # before the office is told; and to designate a 各相关X placeholder once asked.
    review_within: int
    review_office_after: int
    designate_within: int
