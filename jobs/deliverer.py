"""The deliverer: drains due outbox rows into one digest per recipient per tick.

Stages (each small, in this order, per recipient):
1. claim   — UPDATE … SET state='sending' WHERE id IN (…) AND state IN ('pending','failed')
             RETURNING id: portable (SQLite ≥ 3.35 and PostgreSQL); a row another deliverer
             claimed first is simply not returned.
2. resolve — the recipient key becomes chats: unit:<id> → its active, reachable contacts
             (grouped by locale); office → cfg.office.chat_ids; leader:<i> → cfg.leaders[i].
3. render  — one digest: headings by kind, most severe first, split only between items above
             4096 characters (messages/render.py).
4. send    — through the Channel; exceptions count as temporary errors.
5. record  — sent: state 'sent', message ids, SentMessage rows (for reply capture);
             temporary error: attempts+1, state 'failed', next_attempt_at with exponential
             backoff (or the server's retry_after), moved into office hours; after
             cfg.escalation.max_attempts the row is 'dead' (listed by `duban outbox`);
             unreachable chats: Contact.unreachable_at/reason set, the office told (kind
             `unreachable`).

A recipient nobody can receive for (a unit with no active reachable contact, or the office /
a leader without chat ids) is *undeliverable*: its rows become 'dead' at once with the reason
in last_error (never retried forever, never silently dropped) and, for a unit, the office gets
one `unreachable` item per unit per day in its next digest. Channels with `needs_chats = False`
(console, memory) deliver by name and never hit this case.

Crash safety: a row is 'sending' only between claim and record. A process killed in between
leaves it so; `recover_stale()` (called on start by `duban run`, `duban tick` and simulate)
puts such rows back to 'pending'. That window — the channel sent, the 'sent' mark was not yet
committed — is the only way a message can go out twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Contact, OutboxItem, SentMessage, Task, Unit
from db.models.outbox import DEAD, FAILED, PENDING, SENDING, SENT
from duban.config import Config
from jobs.channel import Channel, ItemRef, Outgoing, Recipient, SendResult
from jobs.outbox import to_office
from messages.render import Renderer, normalise_locale, severity, short_title

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 60.0
BACKOFF_MAX_SECONDS = 3600.0
RETRYABLE = (PENDING, FAILED)


@dataclass(frozen=True)
class DeliveredMessage:
    """One digest that went out (to all chats of one recipient and locale)."""

    at: dt.datetime
    recipient: str  # key: unit:5 | office | leader:0
    recipient_name: str
    role: str
    kind: str
    items: tuple[dict[str, Any], ...]  # {"task", "unit", "due", "kind"}
    parts: int  # how many chat messages (the digest split above 4096 characters)
    outbox_ids: tuple[int, ...]


@dataclass
class DeliveryReport:
    delivered: list[DeliveredMessage] = field(default_factory=list)
    items_sent: int = 0
    items_failed: int = 0
    items_dead: int = 0
    undeliverable: int = 0
    unreachable_contacts: int = 0

    def merge(self, other: DeliveryReport) -> None:
        self.delivered.extend(other.delivered)
        self.items_sent += other.items_sent
        self.items_failed += other.items_failed
        self.items_dead += other.items_dead
        self.undeliverable += other.undeliverable
        self.unreachable_contacts += other.unreachable_contacts


@dataclass
class _Target:
    """Where one recipient's digest goes: (locale, chat ids) groups and a display name."""

    name: str
    groups: list[tuple[str, tuple[int, ...]]]
    unit_id: int | None = None
    reason: str = ""  # why nobody can receive it (empty: fine)


def recover_stale(session_factory: sessionmaker[Session]) -> int:
    """Put rows left in 'sending' by a killed process back to 'pending'. Call once on start,
    before any delivery (a second deliverer running at the same time would double-send)."""
    with transaction(session_factory) as session:
        result = session.execute(
            update(OutboxItem).where(OutboxItem.state == SENDING).values(state=PENDING)
        )
        count = int(result.rowcount or 0)
    if count:
        log.warning("outbox: %d item(s) were being sent when the last run stopped; retrying", count)
    return count


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """60 s, 120 s, 240 s … capped at one hour; at least what the server asked for."""
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class _Row:
    """A claimed outbox row (plain values: no ORM objects on the hot path)."""

    id: int
    recipient: str
    kind: str
    payload: dict[str, Any]
    period_id: int | None
    attempts: int
    dedupe_key: str


_OUTBOX = OutboxItem.__table__
_ROW_COLUMNS = (
    _OUTBOX.c.id,
    _OUTBOX.c.recipient,
    _OUTBOX.c.kind,
    _OUTBOX.c.payload,
    _OUTBOX.c.period_id,
    _OUTBOX.c.attempts,
    _OUTBOX.c.dedupe_key,
)
# Built once. The claim is one UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL): only rows still
# pending/failed are taken, so two deliverers never take the same row.
_DUE_RECIPIENTS = (
    select(_OUTBOX.c.recipient)
    .where(_OUTBOX.c.state.in_(RETRYABLE), _OUTBOX.c.next_attempt_at <= bindparam("now"))
    .distinct()
)
_TASK_TITLES = select(Task.number, Task.text)
# The 'sent' mark, built once (a busy tick records 2 000 digests: no per-call statement build).
_MARK_SENT = (
    _OUTBOX.update()
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        state=SENT,
        sent_at=bindparam("sent_at", type_=_OUTBOX.c.sent_at.type),
        attempts=_OUTBOX.c.attempts + 1,
        message_ids=bindparam("message_ids", type_=_OUTBOX.c.message_ids.type),
        last_error="",
    )
)
CLAIM_GROUP = 100  # recipients claimed per statement: bounds memory on a very busy tick


def _claim(
    session_factory: sessionmaker[Session],
    now: dt.datetime,
    recipients: Sequence[str],
    fast: _SentRecorder | None = None,
) -> dict[str, list[_Row]]:
    """Claim the due rows of these recipients: one UPDATE … RETURNING (SQLite ≥ 3.35 and
    PostgreSQL). Only rows still pending/failed are taken, so two deliverers never share one."""
    if fast is not None:
        rows = fast.claim(now, recipients)
    else:
        with transaction(session_factory) as session:
            result = session.execute(
                _OUTBOX.update()
                .where(
                    _OUTBOX.c.state.in_(RETRYABLE),
                    _OUTBOX.c.next_attempt_at <= now,
                    _OUTBOX.c.recipient.in_(list(recipients)),
                )
                .values(state=SENDING)
                .returning(*_ROW_COLUMNS)
            )
            rows = [_Row(*r) for r in result]
    out: dict[str, list[_Row]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        out[row.recipient].append(row)
    return out


async def deliver(
    session_factory: sessionmaker[Session],
    channel: Channel,
    cfg: Config,
    now: dt.datetime,
    *,
    cal: Any = None,
) -> DeliveryReport:
    """Send every due outbox row: one digest per recipient (and locale). Returns what went out.

    All due rows are claimed at once; each recipient's outcome is committed right after its
    send, so a crash re-sends at most the digest that was in flight.
    cal (a jobs.workdays.WorkCalendar): outside office hours nothing is sent (event notices
    enqueued at night wait for the next opening) and retries are moved into office hours.
    Without it (tests) every due row is sent and retries wait the plain backoff.
    """
    report = DeliveryReport()
    if cal is not None and not cal.in_office_hours(now):
        return report  # nothing goes out at night or on a day off; it waits in the outbox
    with session_factory() as session:
        due = sorted(session.scalars(_DUE_RECIPIENTS, {"now": now}), key=_recipient_order)
        if not due:
            return report
        titles = {number: short_title(text) for number, text in session.execute(_TASK_TITLES).all()}
    with _SentRecorder.open(session_factory) as fast:
        units = [key for key in due if key != "office"]
        for start in range(0, len(units), CLAIM_GROUP):
            group = units[start : start + CLAIM_GROUP]
            claimed = _claim(session_factory, now, group, fast)
            with session_factory() as session:
                targets = _resolve_all(session, cfg, list(claimed))
            for key in group:
                if key in claimed:
                    report.merge(
                        await _deliver_recipient(
                            session_factory,
                            channel,
                            cfg,
                            now,
                            cal,
                            key,
                            claimed[key],
                            targets[key],
                            fast,
                            titles,
                        )
                    )
        # The office last: its digest in this same tick names the units that could not be
        # reached.
        if "office" in due or report.undeliverable or report.unreachable_contacts:
            rows = _claim(session_factory, now, ["office"], fast).get("office", [])
            if rows:
                target = _resolve_all(None, cfg, ["office"])["office"]
                report.merge(
                    await _deliver_recipient(
                        session_factory,
                        channel,
                        cfg,
                        now,
                        cal,
                        "office",
                        rows,
                        target,
                        fast,
                        titles,
                    )
                )
    return report


class _SentRecorder:
    """SQLite: the usual outcome of a send (it went out, no chat unreachable) recorded straight
    through the driver — BEGIN IMMEDIATE, the SentMessage rows, the 'sent' mark, COMMIT — on one
    connection held for the whole delivery. The same statements and stored values as the
    Session path below, and still one commit per recipient right after its own send; it only
    skips the Session/Core layers (≈ 0.5 ms per digest). Other outcomes and other databases use
    the Session path."""

    def __init__(self, dbapi: Any, dialect: Any) -> None:
        self.dbapi = dbapi
        out, sent = _OUTBOX.c, SentMessage.__table__.c
        self.ts = out.sent_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.ts_sent = sent.sent_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.json_out = out.message_ids.type.dialect_impl(dialect).bind_processor(dialect)
        self.json_sent = sent.period_ids.type.dialect_impl(dialect).bind_processor(dialect)
        self.ts_next = out.next_attempt_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.load_payload = out.payload.type.dialect_impl(dialect).result_processor(dialect, None)

    def claim(self, now: dt.datetime, recipients: Sequence[str]) -> list[_Row]:
        """_claim's UPDATE … RETURNING through the driver (its own committed transaction)."""
        marks = ", ".join("?" * len(recipients))
        cur = self.dbapi.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            found = cur.execute(
                f"UPDATE {_OUTBOX.name} SET state = ? WHERE state IN (?, ?) "
                f"AND next_attempt_at <= ? AND recipient IN ({marks}) "
                f"RETURNING {', '.join(c.name for c in _ROW_COLUMNS)}",
                (SENDING, *RETRYABLE, self.ts_next(now), *recipients),
            ).fetchall()
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        load = self.load_payload or (lambda v: v)
        return [
            _Row(rid, recipient, kind, load(payload), period_id, attempts, key)
            for rid, recipient, kind, payload, period_id, attempts, key in found
        ]

    @classmethod
    @contextlib.contextmanager
    def open(cls, session_factory: sessionmaker[Session]) -> Iterator[_SentRecorder | None]:
        engine = session_factory.kw.get("bind")
        if not isinstance(engine, Engine) or engine.dialect.name != "sqlite":
            yield None
            return
        raw = engine.raw_connection()
        try:
            yield cls(raw.driver_connection, engine.dialect)
        finally:
            raw.close()

    def record_sent(
        self,
        key: str,
        kind: str,
        ids: list[int],
        sent: list[tuple[int, int, tuple[int, ...]]],
        now: dt.datetime,
    ) -> None:
        cur = self.dbapi.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            if sent:
                at = self.ts_sent(now)
                cur.executemany(
                    f"INSERT INTO {SentMessage.__tablename__} "
                    "(chat_id, message_id, kind, recipient, period_ids, sent_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO NOTHING",
                    [
                        (chat, message_id, kind, key, self.json_sent(list(periods)), at)
                        for chat, message_id, periods in sent
                    ],
                )
            message_ids = self.json_out([[chat, msg] for chat, msg, _ in sent])
            at = self.ts(now)
            for start in range(0, len(ids), 900):  # SQLite's host-parameter limit
                chunk = ids[start : start + 900]
                cur.execute(
                    f"UPDATE {_OUTBOX.name} SET state = ?, sent_at = ?, "
                    "attempts = attempts + 1, message_ids = ?, last_error = '' "
                    f"WHERE id IN ({', '.join('?' * len(chunk))})",
                    (SENT, at, message_ids, *chunk),
                )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()


def _recipient_order(key: str) -> tuple[int, int, str]:
    """Units first, then leaders, the office last (it may receive `unreachable` notes)."""
    kind, _, rest = key.partition(":")
    rank = {"unit": 0, "leader": 1, "office": 2}.get(kind, 1)
    return (rank, int(rest) if rest.isdigit() else 0, key)


async def _deliver_recipient(
    session_factory: sessionmaker[Session],
    channel: Channel,
    cfg: Config,
    now: dt.datetime,
    cal: Any,
    key: str,
    items: list[_Row],
    target: _Target,
    fast: _SentRecorder | None = None,
    titles: dict[int, str] | None = None,
) -> DeliveryReport:
    report = DeliveryReport()
    needs_chats = bool(getattr(channel, "needs_chats", True))
    if needs_chats and not any(chats for _, chats in target.groups):
        with transaction(session_factory) as session:
            _undeliverable(session, cfg, now, key, target, items, target.reason)
        report.undeliverable += len(items)
        report.items_dead += len(items)
        return report

    items = sorted(items, key=_item_order)
    role = str(items[0].payload.get("role", "unit"))
    kind = items[0].kind
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    titles = titles or {}
    for row in items:
        item = dict(row.payload.get("item", {}))
        item.setdefault("title", titles.get(item.get("task")))  # type: ignore[arg-type]
        groups[row.kind].append(item)
    ordered = sorted(groups.items(), key=lambda kv: severity(kv[0]))
    refs = tuple(_item_ref(row) for row in items)

    combined = SendResult()
    outgoing: list[Outgoing] = []
    for locale, chats in target.groups:
        parts = Renderer(locale).render_digest(
            recipient_name=target.name, role=role, groups=ordered, now=now.astimezone(cfg.tz)
        )
        message = Outgoing(
            recipient=Recipient(
                key=key, name=target.name, role=role, chat_ids=chats, locale=locale
            ),
            kind=kind,
            parts=tuple(parts),
            items=refs,
            actionable=role in ("unit", "lead"),
        )
        try:
            result = await channel.send(message)
        except Exception as exc:  # a channel bug or network error: retry later
            log.warning("outbox: sending to %s failed: %s", key, type(exc).__name__)
            result = SendResult(temporary_error=f"{type(exc).__name__}: {exc}"[:500])
        combined.sent.extend(result.sent)
        combined.unreachable.update(result.unreachable)
        if result.temporary_error:
            combined.temporary_error = result.temporary_error
            combined.retry_after = max(combined.retry_after or 0, result.retry_after or 0) or None
        elif result.sent or not chats:
            outgoing.append(message)

    ids = [row.id for row in items]
    went_out = bool(combined.sent or (outgoing and not needs_chats))
    if fast is not None and went_out and not combined.unreachable and not combined.temporary_error:
        fast.record_sent(key, kind, ids, combined.sent, now)
        report.items_sent += len(items)
    else:
        _record_outcome(
            session_factory, cfg, now, cal, key, kind, target, items, combined, report, went_out
        )
    if not combined.temporary_error:
        for message in outgoing:
            report.delivered.append(
                DeliveredMessage(
                    at=now,
                    recipient=key,
                    recipient_name=target.name,
                    role=role,
                    kind=kind,
                    items=tuple(
                        {**_public_item(row.payload.get("item", {})), "kind": row.kind}
                        for row in items
                    ),
                    parts=len(message.parts),
                    outbox_ids=tuple(ids),
                )
            )
    return report


def _record_outcome(
    session_factory: sessionmaker[Session],
    cfg: Config,
    now: dt.datetime,
    cal: Any,
    key: str,
    kind: str,
    target: _Target,
    items: list[_Row],
    combined: SendResult,
    report: DeliveryReport,
    went_out: bool,
) -> None:
    """Record one recipient's send outcome in its own transaction (committed at once)."""
    ids = [row.id for row in items]
    with transaction(session_factory) as session:
        if combined.unreachable:
            report.unreachable_contacts += _mark_unreachable(
                session, cfg, now, target, combined.unreachable
            )
        if combined.sent:
            _record_sent_messages(session, key, kind, combined.sent, now)
        if combined.temporary_error:
            _schedule_retry(session, cfg, now, cal, items, combined, report)
        elif went_out:
            session.execute(
                _MARK_SENT,
                {
                    "ids": ids,
                    "sent_at": now,
                    "message_ids": [[chat, msg] for chat, msg, _ in combined.sent],
                },
            )
            report.items_sent += len(items)
        else:  # every chat turned out unreachable
            _undeliverable(session, cfg, now, key, target, items, "all chats unreachable")
            report.undeliverable += len(items)
            report.items_dead += len(items)


_BY_LEAD = frozenset({"escalation_office", "escalation_leader"})


def _item_order(row: _Row) -> tuple[int, str, int, str, int]:
    item = row.payload.get("item", {})
    task = item.get("task")
    return (
        severity(row.kind),
        # The office's and leaders' digests are read by lead department.
        "、".join(item.get("leads") or ()) if row.kind in _BY_LEAD else "",
        task if isinstance(task, int) else 0,
        str(item.get("unit", "")),
        row.id,
    )


def _public_item(item: dict[str, Any]) -> dict[str, Any]:
    return {"task": item.get("task"), "unit": item.get("unit"), "due": item.get("due")}


def _item_ref(row: _Row) -> ItemRef:
    item = row.payload.get("item", {})
    task = item.get("task")
    return ItemRef(
        period_id=row.period_id,
        task_number=task if isinstance(task, int) else 0,
        unit=str(item.get("unit", "")),
        due=str(item.get("due", "")),
        kind=row.kind,
        ref_id=item.get("ref_id"),
        outbox_id=row.id,
    )


def _resolve_all(session: Session | None, cfg: Config, keys: list[str]) -> dict[str, _Target]:
    """Recipient keys → targets, with two queries for all units (names, contacts)."""
    default_locale = normalise_locale(cfg.duban.locale)
    unit_ids = sorted(
        int(k.partition(":")[2]) for k in keys if k.startswith("unit:") and k[5:].isdigit()
    )
    names: dict[int, str] = {}
    chats: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    if unit_ids and session is not None:
        for start in range(0, len(unit_ids), 500):
            chunk = unit_ids[start : start + 500]
            for unit_id, name in session.execute(
                select(Unit.id, Unit.name).where(Unit.id.in_(chunk))
            ):
                names[unit_id] = name
            for unit_id, chat_id, locale in session.execute(
                select(Contact.unit_id, Contact.chat_id, Contact.locale)
                .where(
                    Contact.unit_id.in_(chunk),
                    Contact.revoked_at.is_(None),
                    Contact.unreachable_at.is_(None),
                )
                .order_by(Contact.id)
            ):
                loc = normalise_locale(locale) if locale else default_locale
                if chat_id not in chats[unit_id][loc]:
                    chats[unit_id][loc].append(chat_id)
    out: dict[str, _Target] = {}
    for key in keys:
        kind, _, rest = key.partition(":")
        if kind == "unit" and rest.isdigit():
            unit_id = int(rest)
            groups = [(loc, tuple(c)) for loc, c in sorted(chats.get(unit_id, {}).items())]
            out[key] = _Target(
                name=names.get(unit_id, key),
                groups=groups or [(default_locale, ())],
                unit_id=unit_id,
                reason="" if groups else "no active, reachable contact (invite one: duban invite)",
            )
        elif kind == "office":
            office = tuple(cfg.office.chat_ids)
            out[key] = _Target(
                cfg.office.name,
                [(default_locale, office)],
                reason="" if office else "office.chat_ids is empty in the config",
            )
        elif kind == "leader" and rest.isdigit() and int(rest) < len(cfg.leaders):
            leader = cfg.leaders[int(rest)]
            out[key] = _Target(
                leader.name,
                [(default_locale, tuple(leader.chat_ids))],
                reason=""
                if leader.chat_ids
                else f"leaders[{rest}].chat_ids is empty in the config",
            )
        else:
            out[key] = _Target(key, [(default_locale, ())], reason=f"unknown recipient {key!r}")
    return out


def _undeliverable(
    session: Session,
    cfg: Config,
    now: dt.datetime,
    key: str,
    target: _Target,
    rows: Sequence[_Row],
    reason: str,
) -> None:
    """Nobody can receive these: dead at once (visible in `duban outbox`), office told."""
    ids = [row.id for row in rows]
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids))
        .values(state=DEAD, last_error=f"undeliverable: {reason}", attempts=OutboxItem.attempts + 1)
    )
    log.warning("outbox: %d item(s) for %s undeliverable: %s", len(ids), target.name, reason)
    if target.unit_id is None:
        return  # the office or a leader without chats: nobody else to tell
    first = min(rows, key=_item_order).payload.get("item", {})
    local_day = now.astimezone(cfg.tz).date().isoformat()
    to_office(
        session,
        office_name=cfg.office.name,
        kind="unreachable",
        item={
            "task": first.get("task"),
            "unit": target.name,
            "due": first.get("due"),
            "text": reason,
            "lost": len(rows),
        },
        dedupe_key=f"unreachable:{key}:{local_day}",
        now=now,
    )


def _mark_unreachable(
    session: Session, cfg: Config, now: dt.datetime, target: _Target, chats: dict[int, str]
) -> int:
    """Permanent chat errors: the contact is marked unreachable and the office told once."""
    if target.unit_id is None:
        log.warning("outbox: chats %s of %s unreachable", sorted(chats), target.name)
        return 0
    contacts = session.scalars(
        select(Contact).where(
            Contact.unit_id == target.unit_id,
            Contact.chat_id.in_(list(chats)),
            Contact.unreachable_at.is_(None),
        )
    ).all()
    for contact in contacts:
        contact.unreachable_at = now
        contact.unreachable_reason = chats[contact.chat_id][:200]
        to_office(
            session,
            office_name=cfg.office.name,
            kind="unreachable",
            item={
                "task": None,
                "unit": target.name,
                "due": None,
                "text": f"{contact.display_name or contact.chat_id}: {contact.unreachable_reason}",
                "contact_id": contact.id,
            },
            dedupe_key=f"unreachable:contact:{contact.id}:{now.date().isoformat()}",
            now=now,
        )
    return len(contacts)


@functools.cache
def _sent_insert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(SentMessage.__table__).on_conflict_do_nothing(
        index_elements=["chat_id", "message_id"]
    )


def _record_sent_messages(
    session: Session,
    key: str,
    kind: str,
    sent: list[tuple[int, int, tuple[int, ...]]],
    now: dt.datetime,
) -> None:
    """SentMessage rows (chat, message id → periods) so a reply can be matched to its items."""
    session.execute(
        _sent_insert(session.get_bind().dialect.name),
        [
            {
                "chat_id": chat,
                "message_id": message_id,
                "kind": kind,
                "recipient": key,
                "period_ids": list(period_ids),
                "sent_at": now,
            }
            for chat, message_id, period_ids in sent
        ],
    )


def _schedule_retry(
    session: Session,
    cfg: Config,
    now: dt.datetime,
    cal: Any,
    rows: Sequence[_Row],
    result: SendResult,
    report: DeliveryReport,
) -> None:
    updates = []
    for row in rows:
        attempts = row.attempts + 1
        values: dict[str, Any] = {
            "rid": row.id,
            "attempts": attempts,
            "last_error": result.temporary_error[:1000],
        }
        if attempts >= cfg.escalation.max_attempts:
            values |= {"state": DEAD, "next_attempt_at": now}
            report.items_dead += 1
            log.error("outbox: item %s dead after %d attempts", row.dedupe_key, attempts)
        else:
            at = now + dt.timedelta(seconds=backoff_seconds(attempts, result.retry_after))
            if cal is not None:
                at = cal.next_send_time(at)
            values |= {"state": FAILED, "next_attempt_at": at}
            report.items_failed += 1
        updates.append(values)
    session.execute(
        _OUTBOX.update()
        .where(_OUTBOX.c.id == bindparam("rid"))
        .values(
            state=bindparam("state"),
            attempts=bindparam("attempts"),
            next_attempt_at=bindparam("next_attempt_at"),
            last_error=bindparam("last_error"),
        ),
        updates,
    )


def problem_items(session: Session, limit: int = 200) -> list[OutboxItem]:
    """Dead and failed rows, newest first, for `duban outbox`."""
    return list(
        session.scalars(
            select(OutboxItem)
            .where(OutboxItem.state.in_((DEAD, FAILED, SENDING)))
            .order_by(OutboxItem.due_at.desc(), OutboxItem.id.desc())
            .limit(limit)
        )
    )
