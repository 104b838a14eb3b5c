"""The audit log: who did what to which row, and what was refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import AuditLog
from services import ServiceError


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str = "",
    *,
    now: dt.datetime,
    refused: bool = False,
    **detail: Any,
) -> None:
    """One audit row, written at once as a Core INSERT (the same row the ORM would write):
    nothing reads it back in the same transaction, so no ORM object and no flush for it."""
    session.connection().execute(
        _INSERT,
        {
            "at": now,
            "actor": actor,
            "action": action,
            "subject": subject,
            "refused": refused,
            "detail": detail,
        },
    )


_INSERT = AuditLog.__table__.insert()


def contact_actor(contact_id: int | None) -> str:
    return f"contact:{contact_id}" if contact_id is not None else "system"


def refused(exc: ServiceError, actor: str, action: str, subject: str) -> ServiceError:
    """Tag a refusal with what was refused, for `record_refusal` by the caller.

    The service's own transaction rolls back on the error, so the refusal must be written in a
    fresh one: callers catch ServiceError and call record_refusal(sessions, exc, now=…)."""
    exc.actor, exc.action, exc.subject = actor, action, subject
    return exc


def record_refusal(
    sessions: sessionmaker[Session], exc: ServiceError, *, now: dt.datetime, actor: str = ""
) -> None:
    with transaction(sessions) as session:
        record(
            session,
            actor or exc.actor or "unknown",
            exc.action or "refused",
            exc.subject,
            now=now,
            refused=True,
            reason=str(exc),
            **_coded(exc),
        )


def _coded(exc: ServiceError) -> dict[str, Any]:
    """The refusal's code and parameters (dates as ISO text): `duban audit` shows the reason
    in the reader's language from messages/<locale>/service_errors.j2, as the bot did."""
    if not exc.code:
        return {}
    params = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in exc.params.items()}
    return {"code": exc.code, "params": params}
