"""Render: a digest's items, most severe first, as message parts for one locale.

Headings by kind; the office's and leaders' escalations read by lead department; split only
between items above Telegram's 4096 characters (messages/render.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from db.contracts import BY_LEAD_KINDS, severity
from jobs.delivery.contracts import QueuedItem
from messages.render import Renderer


def order_key(item: QueuedItem) -> tuple[int, str, int, str, int]:
    facts = item.facts
    task = facts.task
    return (
        severity(item.kind),
        # The office's and leaders' digests are read by lead department.
        "、".join(facts.leads or ()) if item.kind in BY_LEAD_KINDS else "",
        task if isinstance(task, int) else 0,
        str(facts.unit or ""),
        item.id,
    )


def ordered(items: Sequence[QueuedItem]) -> list[QueuedItem]:
    return sorted(items, key=order_key)


def render_parts(
    items: Sequence[QueuedItem], *, name: str, role: str, locale: str, now: dt.datetime
) -> tuple[str, ...]:
    """One digest (items already ordered) as parts, each ≤ 4096 characters."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[item.kind].append(item.facts.as_item())
    by_severity = sorted(groups.items(), key=lambda kv: severity(kv[0]))
    return tuple(
        Renderer(locale).render_digest(recipient_name=name, role=role, groups=by_severity, now=now)
    )


def period_ids(items: Sequence[QueuedItem]) -> tuple[int, ...]:
    """The periods a message covers, in item order: a reply to it is about these."""
    return tuple(i.period_id for i in items if i.period_id is not None)
