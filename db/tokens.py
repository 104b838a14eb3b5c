"""Opaque callback codes behind inline buttons: a button carries `<prefix>:<code>`; the code is
the id of a CallbackToken row holding the action, its payload and who may press it; the prefix
only routes the update to a handler and must agree with the stored action. Made wherever
buttons are made (the bot's dialogues, the delivery's digests); checked by the bot."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy.orm import Session

from db.models import CallbackToken

# action → callback prefix (routing only; the token row is the truth)
PREFIX = {
    "report": "rp",  # 报送进展 for a period
    "extend": "ex",  # 申请延期 for a period
    "view": "vw",  # 查看任务
    "review_ok": "ra",  # 通过
    "review_ret": "rr",  # 退回 (asks for a comment)
    "files": "fl",  # 查看附件: a report's evidence, sent to the reviewer
    "ext_ok": "ea",  # 批准
    "ext_no": "en",  # 驳回
    "done_ok": "ca",  # 确认办结 (office)
    "done_no": "cn",  # 退回 a completion claim (office)
    "done_claim": "dc",  # a lead marks its task 办结
    "pick": "pk",  # which item a reply was about
    "figure": "fg",  # which figure of a reply to record
    "desig": "dg",  # toggle a unit in /designate
    "desig_ok": "dk",  # save a designation
}
TOKEN_TTL = dt.timedelta(days=60)


def new_token(
    session: Session,
    action: str,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
    contact_id: int | None = None,
    unit_id: int | None = None,
    ttl: dt.timedelta = TOKEN_TTL,
) -> str:
    """Store a token and return its callback data (`rp:Xy12…`, 14 bytes: Telegram allows 64)."""
    code = secrets.token_urlsafe(8)
    session.add(
        CallbackToken(
            id=code,
            action=action,
            payload=payload,
            contact_id=contact_id,
            unit_id=unit_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    data = f"{PREFIX[action]}:{code}"
    assert len(data.encode()) <= 64
    return data
