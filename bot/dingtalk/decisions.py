"""What a digest's link decides (通过, 退回, 批准, 驳回, 确认办结, 退回办结): the service call, and
the answer in the same words the Telegram bot uses (bot_review.j2, bot_extension.j2)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot import queries
from bot.auth import Caller
from services.completion import decide_completion
from services.extensions import decide_extension
from services.reports import review_report

Decision = tuple[str, str, dict[str, Any]]  # the answer: template, message, its values


def _review(
    session: Session, caller: Caller, p: dict[str, Any], now: dt.datetime, comment: str,
    tz: dt.tzinfo, *, accept: bool,
) -> Decision:  # fmt: skip
    report = review_report(
        session, report_id=int(p["report_id"]), reviewer_contact_id=caller.contact_id,
        accept=accept, now=now, comment=comment, tz=tz,
    )  # fmt: skip
    assignment = report.period.assignment
    about = {"task": assignment.task.number, "unit": assignment.unit.name}
    return "bot_review.j2", "accepted" if accept else "returned", about


def _extension(
    session: Session, caller: Caller, p: dict[str, Any], now: dt.datetime, comment: str,
    tz: dt.tzinfo, *, approve: bool,
) -> Decision:  # fmt: skip
    ext = decide_extension(
        session, extension_id=int(p["extension_id"]), approve=approve, now=now,
        decider_contact_id=None if caller.is_office else caller.contact_id,
        as_office=caller.is_office, note=comment,
    )  # fmt: skip
    item = queries.item(session, ext.period_id)
    return "bot_extension.j2", "decided", {"item": item, "new_due": ext.new_due, "approve": approve}


def _completion(
    session: Session, caller: Caller, p: dict[str, Any], now: dt.datetime, comment: str,
    tz: dt.tzinfo, *, ok: bool,
) -> Decision:  # fmt: skip
    c = decide_completion(
        session, completion_id=int(p["completion_id"]), confirm=ok, now=now,
        decided_by=caller.actor,
    )  # fmt: skip
    return "bot_extension.j2", "completion_decided", {"task": c.task.number, "ok": ok}


DECISIONS: dict[str, Callable[..., Decision]] = {
    "review_ok": functools.partial(_review, accept=True),
    "review_ret": functools.partial(_review, accept=False),
    "ext_ok": functools.partial(_extension, approve=True),
    "ext_no": functools.partial(_extension, approve=False),
    "done_ok": functools.partial(_completion, ok=True),
    "done_no": functools.partial(_completion, ok=False),
}
