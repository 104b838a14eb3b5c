"""Inline keyboards and their opaque callback data.

Every actionable button carries `<prefix>:<code>`: the code is a random id of a CallbackToken
row holding the action, its payload and who may press it; the prefix only routes the update to
a handler and must agree with the stored action. Data is ≤ 64 bytes and never trusted.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.auth import Caller
from db.models import CallbackToken
from db.tokens import PREFIX, new_token
from jobs.delivery.buttons import MAX_ITEM_BUTTONS  # one limit for digests and dialogues
from messages.render import LOCALES
from messages.vocabulary import report_status_word

ACTION_OF = {v: k for k, v in PREFIX.items()}
# The answers to one question: pressing one spends the others (common.mark_used).
FAMILIES = {
    a: family
    for family in (
        ("review_ok", "review_ret"),
        ("ext_ok", "ext_no"),
        ("done_ok", "done_no"),
        ("desig", "desig_ok"),  # a saved designation's toggles and its 保存
    )
    for a in family
} | {"pick": ("pick",), "figure": ("figure",)}


def pattern(*actions: str) -> str:
    return "^(" + "|".join(PREFIX[a] for a in actions) + "):"


def choice_rows(
    session: Session,
    choices: Sequence[tuple[str, dict[str, Any]]],
    action: str,
    *,
    now: dt.datetime,
    contact_id: int | None = None,
    unit_id: int | None = None,
) -> list[list[tuple[str, str]]]:
    """One button per row for a list of (label, payload) choices, at most MAX_ITEM_BUTTONS."""
    return [
        [
            (
                label,
                new_token(
                    session, action, payload, now=now, contact_id=contact_id, unit_id=unit_id
                ),
            )
        ]
        for label, payload in choices[:MAX_ITEM_BUTTONS]
    ]


def token_code() -> str:
    """A random id tying several buttons of one question together (in their payloads)."""
    return secrets.token_urlsafe(6)


def siblings(
    session: Session, actions: Sequence[str], key: str, value: int | str | None
) -> list[CallbackToken]:
    """The unused buttons of these actions whose payload has `key` = `value`: the other
    answers to the same question (通过 and 退回 of one report, the items of one 'which item?'),
    retired together once one of them was acted on."""
    if value is None:
        return []
    field = CallbackToken.payload[key]
    match = field.as_string() == value if isinstance(value, str) else field.as_integer() == value
    return list(
        session.scalars(
            select(CallbackToken).where(
                CallbackToken.action.in_(actions), CallbackToken.used_at.is_(None), match
            )
        )
    )


@dataclass(frozen=True)
class Resolved:
    token: CallbackToken
    action: str
    payload: dict[str, Any]


def resolve(
    session: Session, data: str | None, caller: Caller, now: dt.datetime
) -> Resolved | None:
    """The token behind `data` if it exists, is fresh, unused, matches its prefix and the caller
    may press it; otherwise None (the caller refuses politely and audits)."""
    if not data or ":" not in data or len(data.encode()) > 64:
        return None
    prefix, code = data.split(":", 1)
    token = session.get(CallbackToken, code)
    if token is None or ACTION_OF.get(prefix) != token.action:
        return None
    if token.used_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.contact_id is not None:
        allowed = caller.contact_id == token.contact_id
    elif token.unit_id is not None:
        allowed = caller.unit_id == token.unit_id
    else:
        allowed = caller.is_office
    if not allowed:
        return None
    return Resolved(token, token.action, dict(token.payload or {}))


def markup(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    rows = [r for r in rows if r]
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


# Fixed in-dialogue choices (not actions on rows: the dialogue state holds what they apply to).
# What a unit can say of its progress, in the one status vocabulary: 序时推进 / 滞后 / 已完成.
STATUS_VALUES = ("on_track", "difficulty", "done")
STATUS_BUTTONS = {
    locale: tuple(report_status_word(value, locale) for value in STATUS_VALUES)
    for locale in LOCALES
}
