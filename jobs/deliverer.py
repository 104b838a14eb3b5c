"""The deliverer: sends each due digest (one recipient's waiting outbox items) as one message.

Per tick, recipients in groups of CLAIM_GROUP, units first and the office last:
1. claim   — UPDATE outbox_digests SET state='sending' WHERE id IN (…) AND state IN
             ('pending','failed') RETURNING …: portable (SQLite ≥ 3.35 and PostgreSQL); a digest
             another deliverer claimed first is simply not returned.
2. items   — the claimed digests' outbox rows. Items the same tick just planned come from
             memory (`fresh`, keyed by outbox id); others are read back: an event notice from
             its payload, a ladder stage rebuilt from its period (jobs.planner.ladder_item).
3. resolve — the recipient key becomes chats: unit:<id> → its active, reachable contacts
             (grouped by locale); office → cfg.office.chat_ids; leader:<i> → cfg.leaders[i].
4. render  — one digest: headings by kind, most severe first, split only between items above
             4096 characters (messages/render.py).
5. send    — through the Channel; exceptions count as temporary errors.
6. record  — one row per digest: sent (message ids, SentMessage rows for reply capture);
             temporary error: attempts+1, 'failed', next_attempt_at with exponential backoff
             (or the server's retry_after), moved into office hours; after
             cfg.escalation.max_attempts 'dead' (listed by `duban outbox`); if some chats got
             it before the error, 'partial': the retry goes to the other chats only;
             unreachable chats: Contact.unreachable_at/reason set, the office told.

A recipient nobody can receive for (a unit with no active reachable contact, or the office /
a leader without chat ids) is *undeliverable*: its digest becomes 'dead' at once with the reason
in last_error (never retried forever, never silently dropped) and, for a unit, the office gets
one `unreachable` item per unit per day in its next digest. Channels with `needs_chats = False`
(console, memory) deliver by name and never hit this case.

Crash safety: a digest is 'sending' only between claim and record, and each digest's outcome is
committed right after its own send. A process killed in between leaves it so;
`recover_stale()` (called on start by `duban run`, `duban tick` and simulate) puts it back
(merging it into the recipient's newer open digest if one was opened meanwhile). That window —
the channel sent, the 'sent' mark was not yet committed — is the only way a message can go out
twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Engine, Text, bindparam, delete, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Contact, Digest, OutboxItem, SentMessage, Task, Unit
from db.models.contacts import TELEGRAM
from db.models.outbox import DEAD, DUE_STATES, FAILED, OPEN_STATES, PARTIAL, PENDING, SENDING, SENT
from duban.config import Config
from jobs.channel import Channel, ItemRef, Outgoing, Recipient, SendResult
from jobs.outbox import to_office
from messages.render import Renderer, normalise_locale, severity, short_title

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 60.0
BACKOFF_MAX_SECONDS = 3600.0
CLAIM_GROUP = 100  # recipients claimed per statement: bounds memory on a very busy tick


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

    def without(self, chats: frozenset[int]) -> _Target:
        """The same target minus these chats (groups left empty are dropped)."""
        groups = [(loc, tuple(c for c in ids if c not in chats)) for loc, ids in self.groups]
        return dataclasses.replace(self, groups=[(loc, ids) for loc, ids in groups if ids])


class _Row(NamedTuple):
    """One outbox item of a claimed digest, as the templates will see it."""

    id: int
    kind: str
    role: str
    item: dict[str, Any]
    period_id: int | None


@dataclass
class _Claimed:
    """A claimed digest: its row and its items (filled in after the claim)."""

    id: int
    recipient: str
    attempts: int
    # Chats that got it already (a partial send) and their message ids: a retry skips them.
    delivered_to: frozenset[int] = frozenset()
    message_ids: tuple[tuple[int, int], ...] = ()
    items: list[_Row] = field(default_factory=list)


def recover_stale(session_factory: sessionmaker[Session]) -> int:
    """Put digests left in 'sending' by a killed process back. Call once on start, before any
    delivery (a second deliverer running at the same time would double-send). Returns how
    many there were."""
    d, o = Digest.__table__.c, OutboxItem.__table__.c
    with transaction(session_factory) as session:
        stale = session.execute(
            select(d.id, d.recipient, d.delivered_to).where(d.state == SENDING)
        ).all()
        for digest_id, recipient, delivered_to in stale:
            newer = session.scalar(
                select(d.id).where(d.recipient == recipient, d.state.in_(OPEN_STATES))
            )
            if delivered_to:  # some chats have it: stays apart, retried to the others
                session.execute(update(Digest).where(d.id == digest_id).values(state=PARTIAL))
            elif newer is None:
                session.execute(update(Digest).where(d.id == digest_id).values(state=PENDING))
            else:  # items planned after the crash opened a new digest: one message for both
                session.execute(
                    update(OutboxItem).where(o.digest_id == digest_id).values(digest_id=newer)
                )
                session.execute(delete(Digest).where(d.id == digest_id))
    if stale:
        log.warning(
            "outbox: %d digest(s) were being sent when the last run stopped; retrying",
            len(stale),
        )
    return len(stale)


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """60 s, 120 s, 240 s … capped at one hour; at least what the server asked for."""
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return max(delay, retry_after or 0.0)


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
_DROP_EMPTY = _DIGESTS.delete().where(_DIGESTS.c.id.in_(bindparam("ids", expanding=True)))
_ITEM_IDS = (
    select(_ITEMS.c.id, _ITEMS.c.digest_id)
    .where(_ITEMS.c.digest_id.in_(bindparam("digests", expanding=True)))
    .order_by(_ITEMS.c.id)
)
_ITEMS_BY_ID = select(
    _ITEMS.c.id,
    _ITEMS.c.kind,
    _ITEMS.c.role,
    _ITEMS.c.stage,
    _ITEMS.c.overdue_days,
    _ITEMS.c.period_id,
    # As text, parsed only where present: ladder stages (most rows) have none.
    type_coerce(_ITEMS.c.payload, Text),
).where(_ITEMS.c.id.in_(bindparam("ids", expanding=True)))
_TASK_TITLES = select(Task.number, Task.text)
# The 'sent' mark, built once (a busy tick records 2 000 digests: no per-call statement build).
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


class Fresh(Protocol):
    """What the deliverer needs of an item the tick just planned (a jobs.planner.Intent),
    handed from plan_due to deliver in memory, by the outbox row's id."""

    @property
    def kind(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def period_id(self) -> int | None: ...
    @property
    def item(self) -> dict[str, Any]: ...


def load_items(
    session: Session,
    digest_ids: Sequence[int],
    fresh: Mapping[int, Fresh] | None = None,
) -> dict[int, list[_Row]]:
    """digest id → its items in outbox order. Items in `fresh` (by outbox id: what this tick
    just inserted) come from memory; others are read back: ladder stages (no payload) rebuilt
    from their period, other notices from their payload."""
    fresh = fresh or {}
    found: dict[int, _Row] = {}
    order: list[tuple[int, int]] = []  # (item id, digest id)
    missing: list[int] = []
    conn = session.connection()
    for start in range(0, len(digest_ids), 900):
        chunk = list(digest_ids[start : start + 900])
        for rid, did in conn.execute(_ITEM_IDS, {"digests": chunk}).all():
            order.append((rid, did))
            known = fresh.get(rid)
            if known is None:
                missing.append(rid)
            else:
                found[rid] = _Row(rid, known.kind, known.role, known.item, known.period_id)
    if missing:
        found.update(_read_back(session, missing))
    out: dict[int, list[_Row]] = defaultdict(list)
    for rid, did in order:
        row = found.get(rid)
        if row is not None:
            out[did].append(row)
    return out


def _read_back(session: Session, ids: list[int]) -> dict[int, _Row]:
    from jobs.planner import Policy, ladder_item
    from jobs.reporting import period_views

    conn = session.connection()
    out: dict[int, _Row] = {}
    rebuild = []
    for start in range(0, len(ids), 900):
        params = {"ids": ids[start : start + 900]}
        for rid, kind, role, stage, days, pid, payload in conn.execute(_ITEMS_BY_ID, params):
            if payload is None and pid is not None:
                rebuild.append((rid, kind, role, stage, days, pid))
                continue
            if isinstance(payload, str):  # psycopg hands JSON over already parsed
                payload = json.loads(payload)
            item = dict((payload or {}).get("item", {}))
            out[rid] = _Row(rid, kind, role, item, pid)
    if rebuild:
        views = period_views(session, (r[5] for r in rebuild))
        policies: dict[int, int] = {}
        for rid, kind, role, stage, days, pid in rebuild:
            view = views.get(pid)
            if view is None:  # pragma: no cover - periods are never deleted
                continue
            times = policies.get(id(view.policy))
            if times is None:
                times = policies[id(view.policy)] = Policy.from_mapping(view.policy).overdue_times
            out[rid] = _Row(rid, kind, role, ladder_item(view, kind, stage, days, times), pid)
    return out


def _claim(
    session_factory: sessionmaker[Session],
    now: dt.datetime,
    recipients: Sequence[str],
    fresh: Mapping[int, Fresh] | None,
) -> dict[str, list[_Claimed]]:
    """Claim the due digests of these recipients and load their items, oldest digest first.
    Only digests still due (pending, failed, partial) are taken, so two deliverers never share
    one. Empty digests (every item they were opened for turned out to exist already) are
    dropped. A recipient has one such digest, or two when a partial send is retried beside
    its open digest: they stay apart (the chats that got the first must not get it again)."""
    with transaction(session_factory) as session:
        conn = session.connection()  # Core statements, built once: no ORM execution path
        digests = [
            _Claimed(
                did,
                recipient,
                attempts,
                frozenset(delivered or ()),
                tuple((chat, msg) for chat, msg in message_ids or ()),
            )
            for did, recipient, attempts, delivered, message_ids in conn.execute(
                _CLAIM, {"now": now, "recipients": list(recipients)}
            )
        ]
        if not digests:
            return {}
        items = load_items(session, [d.id for d in digests], fresh)
        empty = [d.id for d in digests if not items.get(d.id)]
        if empty:
            conn.execute(_DROP_EMPTY, {"ids": empty})
    out: dict[str, list[_Claimed]] = {}
    for digest in sorted(digests, key=lambda d: d.id):
        if items.get(digest.id):
            digest.items = items[digest.id]
            out.setdefault(digest.recipient, []).append(digest)
    return out


async def deliver(
    session_factory: sessionmaker[Session],
    channel: Channel,
    cfg: Config,
    now: dt.datetime,
    *,
    cal: Any = None,
    fresh: Mapping[int, Fresh] | None = None,
) -> DeliveryReport:
    """Send every due digest: one message per recipient (and locale). Returns what went out.

    Each recipient's outcome is committed right after its send, so a crash re-sends at most
    the digest that was in flight.
    cal (a jobs.workdays.WorkCalendar): outside office hours nothing is sent (event notices
    enqueued at night wait for the next opening) and retries are moved into office hours.
    Without it (tests) every due digest is sent and retries wait the plain backoff.
    fresh: the items this tick just planned, by outbox id (see tick.plan_due): read from
    memory instead of back from the database.
    """
    report = DeliveryReport()
    if cal is not None and not cal.in_office_hours(now):
        return report  # nothing goes out at night or on a day off; it waits in the outbox
    with session_factory() as session:
        due = sorted(session.scalars(_DUE_RECIPIENTS, {"now": now}), key=_recipient_order)
        if not due:
            return report
    titles = _Titles(session_factory)
    with _Recorder.open(session_factory) as fast:
        units = [key for key in due if key != "office"]
        for start in range(0, len(units), CLAIM_GROUP):
            group = units[start : start + CLAIM_GROUP]
            claimed = _claim(session_factory, now, group, fresh)
            with session_factory() as session:
                targets = resolve_targets(session, cfg, list(claimed))
            for key in group:  # in recipient order (the claim returns rows in any order)
                for digest in claimed.get(key, ()):
                    report.merge(
                        await _deliver_digest(
                            session_factory,
                            channel,
                            cfg,
                            now,
                            cal,
                            digest,
                            targets[key],
                            fast,
                            titles,
                        )
                    )
        # The office last: its digest in this same tick names the units that could not be
        # reached.
        if "office" in due or report.undeliverable or report.unreachable_contacts:
            target = resolve_targets(None, cfg, ["office"])["office"]
            for office in _claim(session_factory, now, ["office"], fresh).get("office", ()):
                report.merge(
                    await _deliver_digest(
                        session_factory, channel, cfg, now, cal, office, target, fast, titles
                    )
                )
    return report


class _Titles:
    """Task number → short title, loaded once per delivery and only if some item lacks its
    own (ladder items carry theirs from the plan)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self.titles: dict[int, str] | None = None

    def get(self, number: Any) -> str | None:
        if self.titles is None:
            with self.session_factory() as session:
                rows = session.connection().execute(_TASK_TITLES).all()
            self.titles = {n: _short_title(t) for n, t in rows}
        return self.titles.get(number)


# short_title is a pure function of the text: a task's title is worked out once per process,
# not once per delivery (a simulated year asks for the titles ~1 000 times).
_short_title = functools.lru_cache(maxsize=4096)(short_title)


class _Recorder:
    """SQLite: the usual outcome of a send (it went out, no chat unreachable) recorded straight
    through the driver — BEGIN IMMEDIATE, the SentMessage rows, the digest's 'sent' mark,
    COMMIT — on one connection held for the whole delivery. The same statements and stored
    values as the Session path (_record_outcome), still one commit per digest right after its
    own send; it only skips the Session/Core layers (≈ 0.3 ms per digest, 2 000 digests on a
    busy tick). Other outcomes and other databases use the Session path."""

    def __init__(self, dbapi: Any, dialect: Any) -> None:
        self.dbapi = dbapi
        d, sent = _DIGESTS.c, SentMessage.__table__.c
        self.ts = d.sent_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.ts_sent = sent.sent_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.json_ids = d.message_ids.type.dialect_impl(dialect).bind_processor(dialect)
        self.json_sent = sent.period_ids.type.dialect_impl(dialect).bind_processor(dialect)

    @classmethod
    @contextlib.contextmanager
    def open(cls, session_factory: sessionmaker[Session]) -> Iterator[_Recorder | None]:
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
        digest: _Claimed,
        kind: str,
        sent: list[tuple[int, int, tuple[int, ...]]],
        now: dt.datetime,
    ) -> None:
        key = digest.recipient
        cur = self.dbapi.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            if sent:
                at = self.ts_sent(now)
                cur.executemany(
                    f"INSERT INTO {SentMessage.__tablename__} "
                    "(channel, address, message_id, kind, recipient, period_ids, sent_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (channel, address, message_id) DO NOTHING",
                    [
                        (TELEGRAM, str(chat), str(msg), kind, key, self.json_sent(list(pids)), at)
                        for chat, msg, pids in sent
                    ],
                )
            cur.execute(
                f"UPDATE {_DIGESTS.name} SET state = ?, sent_at = ?, attempts = attempts + 1, "
                "message_ids = ?, last_error = '' WHERE id = ?",
                (SENT, self.ts(now), self.json_ids(_message_ids(digest, sent)), digest.id),
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()


def _message_ids(digest: _Claimed, sent: list[tuple[int, int, tuple[int, ...]]]) -> list[list[int]]:
    """[[chat, message], …] of a digest: those of an earlier partial send, then these."""
    return [[c, m] for c, m in digest.message_ids] + [[c, m] for c, m, _ in sent]


def _recipient_order(key: str) -> tuple[int, int, str]:
    """Units first, then leaders, the office last (it may receive `unreachable` notes)."""
    kind, _, rest = key.partition(":")
    rank = {"unit": 0, "leader": 1, "office": 2}.get(kind, 1)
    return (rank, int(rest) if rest.isdigit() else 0, key)


async def _deliver_digest(
    session_factory: sessionmaker[Session],
    channel: Channel,
    cfg: Config,
    now: dt.datetime,
    cal: Any,
    digest: _Claimed,
    target: _Target,
    fast: _Recorder | None = None,
    titles: _Titles | None = None,
) -> DeliveryReport:
    report = DeliveryReport()
    key = digest.recipient
    needs_chats = bool(getattr(channel, "needs_chats", True))
    if digest.delivered_to:  # a partial send's retry: only the chats that missed it
        target = target.without(digest.delivered_to)
        if not target.groups:  # the others are gone meanwhile: everyone left has it
            _record_outcome(
                session_factory, cfg, now, cal, digest, "", target, SendResult(), report, True
            )
            return report
    if needs_chats and not any(chats for _, chats in target.groups):
        with transaction(session_factory) as session:
            _undeliverable(session, cfg, now, digest, target, target.reason)
        report.undeliverable += len(digest.items)
        report.items_dead += len(digest.items)
        return report

    items = sorted(digest.items, key=_item_order)
    role = items[0].role
    kind = items[0].kind
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in items:
        item = row.item
        if "title" not in item and titles is not None:
            item = {**item, "title": titles.get(item.get("task"))}
        groups[row.kind].append(item)
    ordered = sorted(groups.items(), key=lambda kv: severity(kv[0]))
    refs = tuple(_item_ref(row) for row in items)

    combined = SendResult()
    outgoing: list[Outgoing] = []
    parts_for: dict[int, int] = {}  # chat → how many parts it must get
    for locale, chats in target.groups:
        parts = Renderer(locale).render_digest(
            recipient_name=target.name, role=role, groups=ordered, now=now.astimezone(cfg.tz)
        )
        parts_for.update(dict.fromkeys(chats, len(parts)))
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

    went_out = bool(combined.sent or (outgoing and not needs_chats))
    if combined.temporary_error and combined.sent:
        got = Counter(chat for chat, _, _ in combined.sent)
        digest.delivered_to |= {chat for chat, n in got.items() if n == parts_for.get(chat)}
    if fast is not None and went_out and not combined.unreachable and not combined.temporary_error:
        fast.record_sent(digest, kind, combined.sent, now)
        report.items_sent += len(items)
    else:
        _record_outcome(
            session_factory, cfg, now, cal, digest, kind, target, combined, report, went_out
        )
    if not combined.temporary_error:
        ids = tuple(row.id for row in items)
        public = tuple(
            {
                "task": row.item.get("task"),
                "unit": row.item.get("unit"),
                "due": row.item.get("due"),
                "kind": row.kind,
            }
            for row in items
        )
        for message in outgoing:
            report.delivered.append(
                DeliveredMessage(
                    at=now,
                    recipient=key,
                    recipient_name=target.name,
                    role=role,
                    kind=kind,
                    items=public,
                    parts=len(message.parts),
                    outbox_ids=ids,
                )
            )
    return report


def _record_outcome(
    session_factory: sessionmaker[Session],
    cfg: Config,
    now: dt.datetime,
    cal: Any,
    digest: _Claimed,
    kind: str,
    target: _Target,
    combined: SendResult,
    report: DeliveryReport,
    went_out: bool,
) -> None:
    """Record one digest's send outcome in its own transaction (committed at once)."""
    n = len(digest.items)
    with transaction(session_factory) as session:
        if combined.unreachable:
            report.unreachable_contacts += _mark_unreachable(
                session, cfg, now, target, combined.unreachable
            )
        if combined.sent:
            _record_sent_messages(session, digest.recipient, kind, combined.sent, now)
        if combined.temporary_error:
            _schedule_retry(session, cfg, now, cal, digest, combined, report)
        elif went_out:
            session.execute(
                _MARK_SENT,
                {
                    "digest_id": digest.id,
                    "sent_at": now,
                    "message_ids": _message_ids(digest, combined.sent),
                },
            )
            report.items_sent += n
        else:  # every chat turned out unreachable
            _undeliverable(session, cfg, now, digest, target, "all chats unreachable")
            report.undeliverable += n
            report.items_dead += n


_BY_LEAD = frozenset({"escalation_office", "escalation_leader"})


def _item_order(row: _Row) -> tuple[int, str, int, str, int]:
    item = row.item
    task = item.get("task")
    return (
        severity(row.kind),
        # The office's and leaders' digests are read by lead department.
        "、".join(item.get("leads") or ()) if row.kind in _BY_LEAD else "",
        task if isinstance(task, int) else 0,
        str(item.get("unit", "")),
        row.id,
    )


def _item_ref(row: _Row) -> ItemRef:
    item = row.item
    task = item.get("task")
    return ItemRef(
        row.period_id,
        task if isinstance(task, int) else 0,
        str(item.get("unit", "")),
        str(item.get("due", "")),
        row.kind,
        item.get("ref_id"),
        row.id,
    )


# Each unit's name with its active, reachable contacts (none: one row of NULLs), in one query.
_UNIT_CHATS = (
    select(Unit.id, Unit.name, Contact.address, Contact.locale)
    .outerjoin(
        Contact,
        (Contact.unit_id == Unit.id)
        & (Contact.channel == TELEGRAM)  # the only channel so far: its addresses are chat ids
        & Contact.revoked_at.is_(None)
        & Contact.unreachable_at.is_(None),
    )
    .where(Unit.id.in_(bindparam("units", expanding=True)))
    .order_by(Contact.id)
)


def resolve_targets(session: Session | None, cfg: Config, keys: list[str]) -> dict[str, _Target]:
    """Recipient keys → targets, with one query for all units (names and contacts)."""
    default_locale = normalise_locale(cfg.duban.locale)
    unit_ids = sorted(
        int(k.partition(":")[2]) for k in keys if k.startswith("unit:") and k[5:].isdigit()
    )
    names: dict[int, str] = {}
    chats: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    if unit_ids and session is not None:
        conn = session.connection()
        for start in range(0, len(unit_ids), 500):
            chunk = unit_ids[start : start + 500]
            for unit_id, name, address, locale in conn.execute(_UNIT_CHATS, {"units": chunk}):
                names[unit_id] = name
                if address is None:
                    continue  # no contact
                chat_id = int(address)
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
    digest: _Claimed,
    target: _Target,
    reason: str,
) -> None:
    """Nobody can receive these: dead at once (visible in `duban outbox`), office told."""
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
    first = min(digest.items, key=_item_order).item
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
            "lost": len(digest.items),
        },
        dedupe_key=f"unreachable:{digest.recipient}:{local_day}",
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
            Contact.channel == TELEGRAM,
            Contact.address.in_([str(chat) for chat in chats]),
            Contact.unreachable_at.is_(None),
        )
    ).all()
    for contact in contacts:
        contact.unreachable_at = now
        contact.unreachable_reason = chats[int(contact.address)][:200]
        to_office(
            session,
            office_name=cfg.office.name,
            kind="unreachable",
            item={
                "task": None,
                "unit": target.name,
                "due": None,
                "text": f"{contact.display_name or contact.address}: {contact.unreachable_reason}",
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
        index_elements=["channel", "address", "message_id"]
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
                "channel": TELEGRAM,
                "address": str(chat),
                "message_id": str(message_id),
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
    digest: _Claimed,
    result: SendResult,
    report: DeliveryReport,
) -> None:
    attempts = digest.attempts + 1
    n = len(digest.items)
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": result.temporary_error[:1000],
        # What went out before the error: replies to it work, and the retry skips its chats.
        "delivered_to": sorted(digest.delivered_to),
        "message_ids": _message_ids(digest, result.sent),
    }
    if attempts >= cfg.escalation.max_attempts:
        values |= {"state": DEAD, "next_attempt_at": now}
        report.items_dead += n
        log.error(
            "outbox: digest %s for %s (%d item(s)) dead after %d attempts",
            digest.id,
            digest.recipient,
            n,
            attempts,
        )
    else:
        at = now + dt.timedelta(seconds=backoff_seconds(attempts, result.retry_after))
        if cal is not None:
            at = cal.next_send_time(at)
        values |= {"state": PARTIAL if digest.delivered_to else FAILED, "next_attempt_at": at}
        report.items_failed += n
    session.execute(update(Digest).where(_DIGESTS.c.id == digest.id).values(**values))


def problem_items(session: Session, limit: int = 200) -> list[OutboxItem]:
    """Items of dead, failed and stuck digests, newest first, for `duban outbox`."""
    return list(
        session.scalars(
            select(OutboxItem)
            .join(Digest, Digest.id == OutboxItem.digest_id)
            .where(Digest.state.in_((DEAD, FAILED, PARTIAL, SENDING)))
            .order_by(OutboxItem.due_at.desc(), OutboxItem.id.desc())
            .limit(limit)
        )
    )
