"""Render: a digest's items, most severe first, as message parts for one locale.

Headings by kind; within a kind the oldest due date first (the office's and leaders'
escalations by lead department, then oldest first); split only between items above
Telegram's 4096 characters (messages/render.py). A digest of more than `max_items` items
(config `[digest] max_items`, a catch-up after downtime) becomes one summary message instead:
counts per kind, unit and section, the oldest items, and where the rest is (the ledger).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from db.contracts import BY_LEAD_KINDS, severity
from jobs.delivery.contracts import QueuedItem
from messages.render import Renderer


def order_key(item: QueuedItem) -> tuple[int, str, str, int, str, int]:
    facts = item.facts
    task = facts.task
    return (
        severity(item.kind),
        # The office's and leaders' digests are read by lead department.
        "、".join(facts.leads or ()) if item.kind in BY_LEAD_KINDS else "",
        facts.due or "9999",  # ISO dates: the oldest first, undated last
        task if isinstance(task, int) else 0,
        str(facts.unit or ""),
        item.id,
    )


def ordered(items: Sequence[QueuedItem]) -> list[QueuedItem]:
    return sorted(items, key=order_key)


def render_parts(
    items: Sequence[QueuedItem],
    *,
    name: str,
    role: str,
    locale: str,
    now: dt.datetime,
    max_items: int | None = None,
    oldest: int = 10,
) -> tuple[str, ...]:
    """One digest (items already ordered) as parts, each ≤ 4096 characters; a summary when
    it has more than max_items items (None: never)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[item.kind].append(item.facts.as_item())
    by_severity = sorted(groups.items(), key=lambda kv: severity(kv[0]))
    parts = Renderer(locale).render_digest(
        recipient_name=name, role=role, groups=by_severity, now=now,
        max_items=max_items, oldest=oldest,
    )  # fmt: skip
    return tuple(parts)


def period_ids(items: Sequence[QueuedItem]) -> tuple[int, ...]:
    """The periods a message covers, in item order: a reply to it is about these."""
    return tuple(i.period_id for i in items if i.period_id is not None)
