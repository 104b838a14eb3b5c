"""Record: one digest's outcome, in its own transaction committed right after its send.

printed (a console showed it, nobody got it) → 'printed', sent again by a real channel later;
sent → the 'sent' mark, message ids, and a SentMessage row per chat message (a reply to it is
about its periods); a temporary error → 'failed' (or 'partial' when some addresses got it:
the retry goes to the others only) with backoff, 'dead' after max_attempts; addresses gone for
good → their contacts marked unreachable and the office told; nobody to receive it at all →
'dead' at once with the reason (never retried forever, never silently dropped), the office
told for a unit.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.contracts import OFFICE, Facts, MessageKind, Recipient, dedupe_key
from db.models import Contact, Digest, SentMessage
from db.models.outbox import DEAD, DROPPED, FAILED, PARTIAL, PRINTED, SENT
from jobs.delivery.contracts import ClaimedDigest, QueuedItem, SendResult, Target
from jobs.delivery.render import order_key
from jobs.delivery.retry import next_attempt
from jobs.outbox import to_office
from jobs.settings import Settings
from jobs.workdays import WorkCalendar

log = logging.getLogger(__name__)

_DIGESTS = Digest.__table__
_MARK_SENT = (
    _DIGESTS.update()
    .where(_DIGESTS.c.id == bindparam("digest_id"))
    .values(
        state=SENT,
        sent_at=bindparam("sent_at", type_=_DIGESTS.c.sent_at.type),
        attempts=_DIGESTS.c.attempts + 1,
        message_ids=bindparam("message_ids", type_=_DIGESTS.c.message_ids.type),
        last_error="",
    )
)


def mark_sent(
    session: Session, digest: ClaimedDigest, sent: list[tuple[str, str]], now: dt.datetime
) -> None:
    # Core statements on the session's connection (built once, no ORM execution path): a busy
    # tick records 2 000 digests.
    session.connection().execute(
        _MARK_SENT,
        {"digest_id": digest.id, "sent_at": now, "message_ids": _message_ids(digest, sent)},
    )


def mark_printed(session: Session, digest: ClaimedDigest) -> None:
    """A console showed the digest to whoever ran duban; no recipient got it. Not 'sent': the
    next deliverer with a real channel reopens and sends it (claim.reopen_printed)."""
    session.execute(
        update(Digest)
        .where(_DIGESTS.c.id == digest.id)
        .values(state=PRINTED, attempts=Digest.attempts + 1)
    )


def mark_dropped(session: Session, digest: ClaimedDigest) -> None:
    """Every item of the digest was dropped by the re-check: nothing to send."""
    session.execute(update(Digest).where(_DIGESTS.c.id == digest.id).values(state=DROPPED))


def schedule_retry(
    session: Session,
    settings: Settings,
    now: dt.datetime,
    cal: WorkCalendar | None,
    digest: ClaimedDigest,
    result: SendResult,
) -> bool:
    """A temporary error: try again later, or give up after max_attempts. Returns whether the
    digest is dead now."""
    attempts = digest.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": result.temporary_error[:1000],
        # What went out before the error: replies to it work, and the retry skips its chats.
        "delivered_to": sorted(digest.delivered_to),
        "message_ids": _message_ids(digest, result.sent),
    }
    dead = attempts >= settings.max_attempts
    if dead:
        values |= {"state": DEAD, "next_attempt_at": now}
        log.error(
            "outbox: digest %s for %s (%d item(s)) dead after %d attempts",
            digest.id,
            digest.recipient,
            len(digest.items),
            attempts,
        )
    else:
        at = next_attempt(now, attempts, result.retry_after, cal)
        values |= {"state": PARTIAL if digest.delivered_to else FAILED, "next_attempt_at": at}
    session.execute(update(Digest).where(_DIGESTS.c.id == digest.id).values(**values))
    return dead


def undeliverable(
    session: Session,
    settings: Settings,
    now: dt.datetime,
    digest: ClaimedDigest,
    target: Target,
    reason: str,
) -> None:
    """Nobody can receive these: dead at once (visible in `duban outbox`), the office told."""
    session.execute(
        update(Digest)
        .where(_DIGESTS.c.id == digest.id)
        .values(state=DEAD, last_error=f"undeliverable: {reason}", attempts=Digest.attempts + 1)
    )
    log.warning(
        "outbox: %d item(s) for %s undeliverable: %s", len(digest.items), target.name, reason
    )
    if target.unit_id is None:
        return  # the office or a leader without chats: nobody else to tell
    first: QueuedItem = min(digest.items, key=order_key)
    local_day = now.astimezone(settings.tz).date().isoformat()
    kind = MessageKind.UNREACHABLE
    to_office(
        session,
        office_name=settings.office_name,
        kind=kind,
        facts=Facts(
            task=first.facts.task,
            unit=target.name,
            due=first.facts.due,
            details={"text": reason, "lost": len(digest.items)},
        ),
        # one per unit and day, however many digests could not reach it
        dedupe_key=dedupe_key(kind, OFFICE, scope=(digest.recipient.key, local_day)),
        now=now,
    )


def mark_unreachable(
    session: Session,
    settings: Settings,
    now: dt.datetime,
    target: Target,
    channel: str,
    addresses: dict[str, str],
) -> int:
    """Addresses gone for good (blocked, not found): their contacts are marked unreachable and
    the office told once per contact and day. Returns how many contacts."""
    if target.unit_id is None:
        log.warning("outbox: chats %s of %s unreachable", sorted(addresses), target.name)
        return 0
    contacts = session.scalars(
        select(Contact).where(
            Contact.unit_id == target.unit_id,
            Contact.channel == channel,
            Contact.address.in_(list(addresses)),
            Contact.unreachable_at.is_(None),
        )
    ).all()
    kind = MessageKind.UNREACHABLE
    for contact in contacts:
        contact.unreachable_at = now
        contact.unreachable_reason = addresses[contact.address][:200]
        to_office(
            session,
            office_name=settings.office_name,
            kind=kind,
            facts=Facts(
                unit=target.name,
                details={
                    "text": f"{contact.display_name or contact.address}: "
                    f"{contact.unreachable_reason}",
                    "contact_id": contact.id,
                },
            ),
            dedupe_key=dedupe_key(
                kind, OFFICE, scope=(f"contact{contact.id}", now.date().isoformat())
            ),
            now=now,
        )
    return len(contacts)


@functools.cache
def _sent_insert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(SentMessage.__table__).on_conflict_do_nothing(
        index_elements=["channel", "address", "message_id"]
    )


def record_sent_messages(
    session: Session,
    channel: str,
    recipient: Recipient,
    kind: MessageKind,
    sent: list[tuple[str, str]],
    period_ids: tuple[int, ...],
    now: dt.datetime,
) -> None:
    """SentMessage rows (address, message id → periods): a reply is matched to its items."""
    session.connection().execute(
        _sent_insert(session.get_bind().dialect.name),
        [
            {
                "channel": channel,
                "address": address,
                "message_id": message_id,
                "kind": kind,
                "recipient": recipient,
                "period_ids": list(period_ids),
                "sent_at": now,
            }
            for address, message_id in sent
        ],
    )


def _message_ids(digest: ClaimedDigest, sent: list[tuple[str, str]]) -> list[list[str]]:
    """[[address, message id], …] of a digest: those of an earlier partial send, then these."""
    return [[a, m] for a, m in digest.message_ids] + [[a, m] for a, m in sent]
