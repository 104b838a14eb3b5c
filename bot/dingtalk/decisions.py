"""What a digest's link decides (通过, 退回, 批准, 驳回, 确认办结, 退回办结): the service call, and
the answer in the same words the Telegram bot uses (bot_review.j2, bot_extension.j2)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot import queries
from bot.auth import Caller
from services.completion import decide_completion
from services.extensions import decide_extension
from services.reports import review_report

Decision = tuple[str, str, dict[str, Any]]  # the answer: template, message, its values


@dataclass(frozen=True)
class Ask:
    """A pressed link: who, its token's payload, when, and the comment typed after it."""

    session: Session
    caller: Caller
    payload: dict[str, Any]
    now: dt.datetime
    comment: str
    tz: dt.tzinfo


def _review(a: Ask, *, accept: bool) -> Decision:
    report = review_report(
        a.session, report_id=int(a.payload["report_id"]), accept=accept, now=a.now,
        reviewer_contact_id=a.caller.contact_id, comment=a.comment, tz=a.tz,
    )  # fmt: skip
    assignment = report.period.assignment
    about = {"task": assignment.task.number, "unit": assignment.unit.name}
    return "bot_review.j2", "accepted" if accept else "returned", about


def _extension(a: Ask, *, approve: bool) -> Decision:
    office = a.caller.is_office
    ext = decide_extension(
        a.session, extension_id=int(a.payload["extension_id"]), approve=approve, now=a.now,
        decider_contact_id=None if office else a.caller.contact_id, as_office=office,
        note=a.comment,
    )  # fmt: skip
    item = queries.item(a.session, ext.period_id)
    return "bot_extension.j2", "decided", {"item": item, "new_due": ext.new_due, "approve": approve}


def _completion(a: Ask, *, ok: bool) -> Decision:
    completion_id = int(a.payload["completion_id"])
    c = decide_completion(
        a.session, completion_id=completion_id, confirm=ok, now=a.now, decided_by=a.caller.actor
    )
    return "bot_extension.j2", "completion_decided", {"task": c.task.number, "ok": ok}


DECISIONS: dict[str, Callable[[Ask], Decision]] = {
    "review_ok": functools.partial(_review, accept=True),
    "review_ret": functools.partial(_review, accept=False),
    "ext_ok": functools.partial(_extension, approve=True),
    "ext_no": functools.partial(_extension, approve=False),
    "done_ok": functools.partial(_completion, ok=True),
    "done_no": functools.partial(_completion, ok=False),
}
