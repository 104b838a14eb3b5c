"""Who is calling, and may they? Every command and button goes through here.

A caller is a bound contact (Contact row, by the Telegram user id as its user_address) and/or
the district office (a chat listed in [office] chat_ids). Roles towards a task come from
assignments: a contact of a lead unit may review, decide extensions and designate for that task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Update

from db.models import Assignment, Contact
from db.models.contacts import TELEGRAM
from db.models.tasks import LEAD
from services import audit
from services.registration import account, active_contact


@dataclass(frozen=True)
class Caller:
    user_address: str  # the account on its channel (Telegram: the user id, as text)
    address: str  # the chat it wrote in, as text
    contact_id: int | None
    unit_id: int | None
    unit_name: str
    is_office: bool
    channel: str = TELEGRAM  # whose account user_address is

    @property
    def bound(self) -> bool:
        return self.contact_id is not None

    @property
    def actor(self) -> str:
        if self.contact_id is not None:
            return f"contact:{self.contact_id}"
        if self.is_office:
            return f"office:{self.user_address}"
        return account(self.channel, self.user_address)


def identify(session: Session, update: Update, office_chat_ids: frozenset[int]) -> Caller:
    user = update.effective_user
    chat = update.effective_chat
    user_id = user.id if user else 0
    chat_id = chat.id if chat else 0
    contact: Contact | None = active_contact(session, str(user_id)) if user_id else None
    return Caller(
        user_address=str(user_id),
        address=str(chat_id),
        contact_id=contact.id if contact else None,
        unit_id=contact.unit_id if contact else None,
        unit_name=contact.unit.name if contact else "",
        is_office=chat_id in office_chat_ids,  # Telegram ints, as the config lists them
    )


def led_task_ids(session: Session, unit_id: int | None) -> set[int]:
    if unit_id is None:
        return set()
    return set(
        session.scalars(
            select(Assignment.task_id).where(
                Assignment.unit_id == unit_id,
                Assignment.role == LEAD,
                Assignment.removed_at.is_(None),
            )
        )
    )


def refuse(
    session: Session, caller: Caller, action: str, subject: str, *, now: dt.datetime, **detail
) -> None:
    """Audit a refused command or button (the caller's transaction must commit)."""
    audit.record(session, caller.actor, action, subject, now=now, refused=True, **detail)
