"""Who is calling, and may they? Every command and button goes through here.

A caller is a bound contact (Contact row, by Telegram user id) and/or the district office (a
chat listed in [office] chat_ids). Roles towards a task come from assignments: a contact of a
lead unit may review, decide extensions and designate for that task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Update

from db.models import Assignment, Contact
from db.models.tasks import LEAD
from duban.config import Config
from services import audit
from services.registration import active_contact


@dataclass(frozen=True)
class Caller:
    tg_user_id: int
    chat_id: int
    contact_id: int | None
    unit_id: int | None
    unit_name: str
    is_office: bool

    @property
    def bound(self) -> bool:
        return self.contact_id is not None

    @property
    def actor(self) -> str:
        if self.contact_id is not None:
            return f"contact:{self.contact_id}"
        if self.is_office:
            return f"office:{self.tg_user_id}"
        return f"tg:{self.tg_user_id}"


def identify(session: Session, cfg: Config, update: Update) -> Caller:
    user = update.effective_user
    chat = update.effective_chat
    user_id = user.id if user else 0
    chat_id = chat.id if chat else 0
    contact: Contact | None = active_contact(session, user_id) if user_id else None
    return Caller(
        tg_user_id=user_id,
        chat_id=chat_id,
        contact_id=contact.id if contact else None,
        unit_id=contact.unit_id if contact else None,
        unit_name=contact.unit.name if contact else "",
        is_office=chat_id in cfg.office.chat_ids,
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
