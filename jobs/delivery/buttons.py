"""Buttons: the inline keyboard under a digest, with its callback codes stored.

A unit's own items get 报送进展 / 申请延期 / 查看任务 (when the recipient can act on them);
a review request (and its reminder, review_overdue) 通过 / 退回 (and 查看附件 when the report
has files); an extension request
批准 / 驳回; a completion claim, for the office, 确认办结 / 退回. At most MAX_ITEM_BUTTONS
items get a row; a note at the end of the last part says how to report the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy.orm import Session

from db.contracts import OWN_ITEM_KINDS, MessageKind, Recipient, RecipientKind
from db.models import Report
from db.tokens import new_token
from jobs.delivery.contracts import Button, QueuedItem
from messages.render import TELEGRAM_LIMIT, render_message

MAX_ITEM_BUTTONS = 8
T = "bot_buttons.j2"


class _Label(NamedTuple):
    """What a button's label shows of its item (bot_buttons.j2)."""

    task_number: int
    unit: str


def keyboard(
    session: Session,
    recipient: Recipient,
    items: Sequence[QueuedItem],
    locale: str,
    now: dt.datetime,
    *,
    actionable: bool,
) -> tuple[tuple[tuple[Button, ...], ...], bool]:
    """The button rows for a digest's items, and whether some items were left without."""
    unit_id = recipient.ref if recipient.kind is RecipientKind.UNIT else None
    office = recipient.kind is RecipientKind.OFFICE
    if not items or (unit_id is None and not office):
        return (), False
    many = len(items) > 1
    rows: list[tuple[Button, ...]] = []

    def tok(action: str, payload: dict[str, int]) -> str:
        return new_token(session, action, payload, now=now, unit_id=unit_id)

    for item in items:
        if len(rows) >= MAX_ITEM_BUTTONS:
            break
        task = item.facts.task
        shown = _Label(task if isinstance(task, int) else 0, str(item.facts.unit or ""))

        def label(key: str, shown: _Label = shown) -> str:
            return render_message(locale, T, key, item=shown, many=many)

        row = _row(session, item, unit_id, office, actionable, label, tok)
        if row:
            rows.append(tuple(Button(text, data) for text, data in row))
    left_out = len(rows) >= MAX_ITEM_BUTTONS and len(rows) < len(items)
    return tuple(rows), left_out


def _row(session, item, unit_id, office, actionable, label, tok) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    kind, ref = item.kind, item.facts.ref_id
    if kind in OWN_ITEM_KINDS and unit_id and item.period_id and actionable:
        p = {"period_id": item.period_id}
        return [
            (label("report"), tok("report", p)),
            (label("extend"), tok("extend", p)),
            (label("view"), tok("view", p)),
        ]
    if kind in (MessageKind.REVIEW_REQUEST, MessageKind.REVIEW_OVERDUE) and unit_id and ref:
        p = {"report_id": ref}
        return [
            (label("accept"), tok("review_ok", p)),
            (label("return"), tok("review_ret", p)),
            *_files(session, ref, label, tok),
        ]
    if kind is MessageKind.LEAD_REPORT and office and ref:
        return _files(session, ref, label, tok)
    if kind is MessageKind.EXTENSION_REQUEST and ref:
        p = {"extension_id": ref}
        return [(label("approve"), tok("ext_ok", p)), (label("reject"), tok("ext_no", p))]
    if kind is MessageKind.COMPLETION_CLAIM and office and ref:
        p = {"completion_id": ref}
        return [(label("confirm_done"), tok("done_ok", p)), (label("return"), tok("done_no", p))]
    return []


def _files(session, report_id, label, tok) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """查看附件 under a report that has evidence: whoever reviews it can see the files."""
    report = session.get(Report, report_id)
    if report is None or not report.evidence:
        return []
    return [(label("files"), tok("files", {"report_id": report_id}))]


def with_more_note(parts: tuple[str, ...], locale: str) -> tuple[str, ...]:
    """The last part with the note on items left without buttons, if it still fits."""
    note = render_message(locale, T, "more", item=None, many=False)
    if not parts or len(parts[-1]) + len(note) + 2 > TELEGRAM_LIMIT:
        return parts
    return (*parts[:-1], parts[-1] + "\n\n" + note)
