"""Claim: take the due digests of some recipients for sending, with their items.

UPDATE outbox_digests SET state='sending' WHERE id IN (…) AND state IN ('pending', 'failed',
'partial') RETURNING …: portable (SQLite ≥ 3.35 and PostgreSQL); a digest another deliverer
claimed first is simply not returned. A digest is 'sending' only between claim and record;
`recover_stale` puts back what a killed process left so.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import orjson
from sqlalchemy import Text, bindparam, delete, exists, select, type_coerce, update
from sqlalchemy.orm import Session, sessionmaker

from db.contracts import Facts, MessageKind, Recipient
from db.engine import transaction
from db.models import Digest, OutboxItem
from db.models.outbox import (
    DROPPED,
    DUE_STATES,
    OPEN_STATES,
    PARTIAL,
    PENDING,
    PRINTED,
    SENDING,
)
from jobs.delivery.contracts import ClaimedDigest, QueuedItem
from jobs.gc_quiet import collector_paused

log = logging.getLogger(__name__)

_DIGESTS = Digest.__table__
_ITEMS = OutboxItem.__table__
_DUE_RECIPIENTS = (
    select(_DIGESTS.c.recipient)
    .where(_DIGESTS.c.state.in_(DUE_STATES), _DIGESTS.c.next_attempt_at <= bindparam("now"))
    .distinct()
)
_CLAIM = (
    _DIGESTS.update()
    .where(
        _DIGESTS.c.state.in_(DUE_STATES),
        _DIGESTS.c.next_attempt_at <= bindparam("now"),
        _DIGESTS.c.recipient.in_(bindparam("recipients", expanding=True)),
    )
    .values(state=SENDING)
    .returning(
        _DIGESTS.c.id,
        _DIGESTS.c.recipient,
        _DIGESTS.c.attempts,
        _DIGESTS.c.delivered_to,
        _DIGESTS.c.message_ids,
    )
)
# A digest with nothing to send: deleted when it holds no row at all (every notice it was
# opened for existed already), kept as 'dropped' when its rows were all dropped before.
_EMPTY_IDS = _DIGESTS.c.id.in_(bindparam("ids", expanding=True))
_DROP_EMPTY = _DIGESTS.delete().where(
    _EMPTY_IDS, ~exists().where(_ITEMS.c.digest_id == _DIGESTS.c.id)
)
_MARK_EMPTY_DROPPED = _DIGESTS.update().where(_EMPTY_IDS).values(state=DROPPED)
# The items of some digests, in outbox order; a dropped item is not sent again.
_ITEMS_OF = (
    select(
        _ITEMS.c.id,
        _ITEMS.c.digest_id,
        _ITEMS.c.kind,
        _ITEMS.c.role,
        _ITEMS.c.period_id,
        _ITEMS.c.assignment_id,
        # As text, decoded below: no per-row JSON processor (a busy tick claims 100 000).
        type_coerce(_ITEMS.c.payload, Text),
    )
    .where(
        _ITEMS.c.digest_id.in_(bindparam("digests", expanding=True)),
        _ITEMS.c.dropped_at.is_(None),
    )
    .order_by(_ITEMS.c.id)
)
CHUNK = 900  # ids per IN (…) list


def due_recipients(session_factory: sessionmaker[Session], now: dt.datetime) -> list[Recipient]:
    """Recipients with a digest due at `now`, units first and the office last."""
    with session_factory() as session:
        found = session.scalars(_DUE_RECIPIENTS, {"now": now})
        return sorted(found, key=lambda r: r.delivery_rank)


def claim(
    session_factory: sessionmaker[Session], now: dt.datetime, recipients: Sequence[Recipient]
) -> dict[Recipient, list[ClaimedDigest]]:
    """Claim the due digests of these recipients, oldest first, with their items. Empty
    digests (every item they were opened for existed already) are deleted. A recipient has one
    digest, or two when a partial send is retried beside its open digest: they stay apart (the
    addresses that got the first must not get it again)."""
    with collector_paused(), transaction(session_factory) as session:
        conn = session.connection()
        digests = [
            ClaimedDigest(
                did,
                recipient,
                attempts,
                frozenset(str(a) for a in delivered or ()),
                tuple((str(a), str(m)) for a, m in message_ids or ()),
            )
            for did, recipient, attempts, delivered, message_ids in conn.execute(
                _CLAIM, {"now": now, "recipients": [r.key for r in recipients]}
            )
        ]
        if not digests:
            return {}
        by_id = {d.id: d for d in digests}
        ids = list(by_id)
        for start in range(0, len(ids), CHUNK):
            rows = conn.execute(_ITEMS_OF, {"digests": ids[start : start + CHUNK]})
            for rid, did, kind, role, pid, aid, payload in rows:
                by_id[did].items.append(_item(rid, kind, role, pid, aid, payload))
        empty = [d.id for d in digests if not d.items]
        if empty:
            conn.execute(_DROP_EMPTY, {"ids": empty})
            conn.execute(_MARK_EMPTY_DROPPED, {"ids": empty})
    out: dict[Recipient, list[ClaimedDigest]] = {}
    for digest in sorted(digests, key=lambda d: d.id):
        if digest.items:
            out.setdefault(digest.recipient, []).append(digest)
    return out


_KINDS = {kind.value: kind for kind in MessageKind}


def _item(
    rid: int, kind: str, role: str, pid: int | None, aid: int | None, payload: object
) -> QueuedItem:
    if isinstance(payload, str | bytes):  # psycopg hands JSON over already parsed
        payload = orjson.loads(payload)
    item = payload.get("item", {}) if isinstance(payload, dict) else {}
    return QueuedItem(rid, _KINDS[kind], role, Facts.from_json(item), pid, aid)


def recover_stale(session_factory: sessionmaker[Session]) -> int:
    """Put digests left in 'sending' by a killed process back. Call once on start, before any
    delivery (a second deliverer running at the same time would double-send). Returns how
    many there were."""
    n = _reopen(session_factory, SENDING)
    if n:
        log.warning("outbox: %d digest(s) were being sent when the last run stopped; retrying", n)
    return n


def reopen_printed(session_factory: sessionmaker[Session]) -> int:
    """Digests a console only printed ('printed': delivered to nobody) become due again, one
    open digest per recipient however many console ticks printed: call once on start of a
    deliverer with a real channel, which re-checks and sends them. Returns how many."""
    return _reopen(session_factory, PRINTED)


def _reopen(session_factory: sessionmaker[Session], state: str) -> int:
    """Every digest in `state` back to due: partial when some chats have it already (it stays
    apart, retried to the others), else pending, its items joined to the recipient's open
    digest when there is one (one message for both)."""
    d, o = _DIGESTS.c, _ITEMS.c
    with transaction(session_factory) as session:
        found = session.execute(
            select(d.id, d.recipient, d.delivered_to).where(d.state == state).order_by(d.id)
        ).all()
        for digest_id, recipient, delivered_to in found:
            newer = session.scalar(
                select(d.id).where(d.recipient == recipient, d.state.in_(OPEN_STATES))
            )
            if delivered_to:
                session.execute(update(Digest).where(d.id == digest_id).values(state=PARTIAL))
            elif newer is None:
                session.execute(update(Digest).where(d.id == digest_id).values(state=PENDING))
            else:
                session.execute(
                    update(OutboxItem).where(o.digest_id == digest_id).values(digest_id=newer)
                )
                session.execute(delete(Digest).where(d.id == digest_id))
    return len(found)
