"""The delivery pipeline: claim → re-check (and ages) → route → render → send → record.

Per call, recipients in groups of CLAIM_GROUP, units first and the office last (its digest
in the same run names the units that could not be reached). Each digest's outcome is
committed right after its own send, so a crash re-sends at most the digest in flight.
Outside office hours (with a calendar) nothing is sent: it waits in the outbox.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator, Sequence

from sqlalchemy.orm import Session, sessionmaker

from db.contracts import OFFICE, MessageKind, Recipient
from jobs.delivery import record
from jobs.delivery.ages import bring_up_to_date
from jobs.delivery.buttons import keyboard, with_more_note
from jobs.delivery.claim import claim, due_recipients
from jobs.delivery.contracts import (
    Attachment,
    AttachmentMaker,
    Button,
    Channel,
    ClaimedDigest,
    DeliveredMessage,
    DeliveryReport,
    Outgoing,
    QueuedItem,
    SendResult,
    Target,
)
from jobs.delivery.recheck import drop_stale
from jobs.delivery.render import ordered, period_ids, render_parts
from jobs.delivery.route import route
from jobs.delivery.send import send_all
from jobs.settings import Settings
from jobs.workdays import WorkCalendar

log = logging.getLogger(__name__)

CLAIM_GROUP = 100  # recipients claimed per statement: bounds memory on a very busy run


async def deliver(
    sessions: sessionmaker[Session],
    channel: Channel | Sequence[Channel],
    settings: Settings,
    now: dt.datetime,
    *,
    cal: WorkCalendar | None = None,
    attachments: AttachmentMaker | None = None,
) -> DeliveryReport:
    """Send every due digest: one message per recipient (and locale) on each channel that
    reaches it (Telegram, DingTalk or both: each contact has its own). Returns what went out.
    Without a calendar (tests) office hours are not checked and retries wait the plain
    backoff."""
    report = DeliveryReport()
    if cal is not None and not cal.in_office_hours(now):
        return report  # nothing goes out at night or on a day off
    due = due_recipients(sessions, now)
    if not due:
        return report
    channels = tuple(channel) if isinstance(channel, Sequence) else (channel,)
    with sessions() as session:
        run = _Run(sessions, session, channels, settings, now, cal, attachments, report)
        others = [r for r in due if r != OFFICE]
        for start in range(0, len(others), CLAIM_GROUP):
            await run.deliver_group(others[start : start + CLAIM_GROUP])
        if OFFICE in due or report.undeliverable or report.unreachable_contacts:
            await run.deliver_group([OFFICE])
    return report


Route = tuple[Channel, Target]  # one channel and the recipient's addresses on it


class _Run:
    """One delivery run's shared values; each method is one recipient group or digest."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        session: Session,
        channels: tuple[Channel, ...],
        settings: Settings,
        now: dt.datetime,
        cal: WorkCalendar | None,
        attachments: AttachmentMaker | None,
        report: DeliveryReport,
    ) -> None:
        self.sessions = sessions
        self.session = session
        self.channels = channels
        self.settings = settings
        self.now = now
        self.cal = cal
        self.attachments = attachments
        self.report = report
        self.local_now = now.astimezone(settings.tz)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction on the run's session, committed when the block ends (a digest's
        outcome right after its own send)."""
        with self.session.begin():
            yield self.session

    async def deliver_group(self, recipients: list[Recipient]) -> None:
        claimed = claim(self.sessions, self.now, recipients)
        if not claimed:
            return
        with self.transaction() as session:
            digests = [d for ds in claimed.values() for d in ds]
            self.report.items_dropped += drop_stale(session, digests, self.now)
            bring_up_to_date(session.connection(), digests, self.local_now.date(), self.cal)
            for digest in digests:
                if not digest.items:
                    record.mark_dropped(session, digest)
            targets = [
                (ch, route(session, self.settings, claimed, ch.name)) for ch in self.channels
            ]
        for recipient in recipients:  # in recipient order (the claim returns any order)
            for digest in claimed.get(recipient, ()):
                if digest.items:
                    await self.deliver_digest(digest, [(ch, t[recipient]) for ch, t in targets])

    async def deliver_digest(self, digest: ClaimedDigest, routes: list[Route]) -> None:
        report, n = self.report, len(digest.items)
        target = routes[0][1]  # the recipient's name and unit are the same on every channel
        if digest.delivered_to:  # a partial send's retry: only the addresses that missed it
            routes = [(ch, t.without(digest.delivered_to)) for ch, t in routes]
            if not any(t.groups for _, t in routes):  # the others are gone meanwhile
                with self.transaction() as session:
                    record.mark_sent(session, digest, [], self.now)
                report.items_sent += n
                return
        routes = [
            (ch, t) for ch, t in routes if not ch.needs_addresses or any(a for _, a in t.groups)
        ]
        if not routes:
            with self.transaction() as session:
                record.undeliverable(
                    session, self.settings, self.now, digest, target, target.reason
                )
            report.undeliverable += n
            report.items_dead += n
            return
        outcomes = []
        for channel, channel_target in routes:
            messages = await self.render(digest, channel_target, channel.supports_buttons)
            outcomes.append((channel, channel_target, messages, await send_all(channel, messages)))
        combined = SendResult()
        went_out = False
        for channel, _, _, sent in outcomes:
            result = sent.result
            combined.sent.extend(result.sent)
            if result.temporary_error:
                combined.temporary_error = result.temporary_error
                combined.retry_after = max(combined.retry_after or 0, result.retry_after or 0)
            went_out |= bool(result.sent or (sent.went_out and not channel.needs_addresses))
        combined.retry_after = combined.retry_after or None
        if combined.temporary_error:  # the retry goes only where it did not arrive in full
            for _, _, _, sent in outcomes:
                digest.delivered_to |= sent.complete
        kind = outcomes[0][2][0].kind
        with self.transaction() as session:
            for channel, channel_target, messages, sent in outcomes:
                result = sent.result
                if result.sent:  # also before a temporary error: a reply to it is matched
                    record.record_sent_messages(
                        session, channel.name, digest.recipient, kind, result.sent,
                        messages[0].period_ids, self.now,
                    )  # fmt: skip
                if result.unreachable:
                    report.unreachable_contacts += record.mark_unreachable(
                        session, self.settings, self.now, channel_target, channel.name,
                        result.unreachable,
                    )  # fmt: skip
            if combined.temporary_error:
                cal = self.cal
                if record.schedule_retry(session, self.settings, self.now, cal, digest, combined):
                    report.items_dead += n
                else:
                    report.items_failed += n
            elif went_out and not all(ch.delivers for ch, _ in routes):  # a console's
                record.mark_printed(session, digest)
                report.items_printed += n
            elif went_out:
                record.mark_sent(session, digest, combined.sent, self.now)
                report.items_sent += n
            else:  # every address turned out unreachable
                record.undeliverable(
                    session, self.settings, self.now, digest, target, "all chats unreachable"
                )
                report.undeliverable += n
                report.items_dead += n
        if not combined.temporary_error:
            for _, _, _, sent in outcomes:
                for message in sent.went_out:
                    report.delivered.append(
                        DeliveredMessage(
                            self.now, message.recipient, message.name, message.role, kind,
                            message.items, len(message.parts),
                        )
                    )  # fmt: skip

    async def render(
        self, digest: ClaimedDigest, target: Target, with_buttons: bool
    ) -> list[Outgoing]:
        """One Outgoing per locale of the target, with buttons and files where they belong."""
        items = tuple(ordered(digest.items))
        role, kind = items[0].role, items[0].kind
        messages = []
        for locale, addresses in target.groups:
            parts = render_parts(
                items, name=target.name, role=role, locale=locale, now=self.local_now,
                max_items=self.settings.digest_max_items,
                oldest=self.settings.digest_oldest_items,
            )  # fmt: skip
            buttons: tuple[tuple[Button, ...], ...] = ()
            if with_buttons:
                with self.transaction() as session:
                    buttons, left_out = keyboard(
                        session, digest.recipient, items, locale, self.now,
                        actionable=role in ("unit", "lead"),
                    )  # fmt: skip
                if left_out:
                    parts = with_more_note(parts, locale)
            messages.append(
                Outgoing(
                    recipient=digest.recipient,
                    name=target.name,
                    role=role,
                    locale=locale,
                    addresses=addresses,
                    kind=kind,
                    parts=parts,
                    buttons=buttons,
                    attachments=await self.files(items, locale),
                    period_ids=period_ids(items),
                    items=items,
                )
            )
        return messages

    async def files(self, items: tuple[QueuedItem, ...], locale: str) -> tuple[Attachment, ...]:
        """The weekly export's ledger and chart, made when its digest goes out. A failure is
        logged and the text goes without them (the office can always ask with /export)."""
        weekly = [i for i in items if i.kind is MessageKind.WEEKLY_EXPORT]
        if not weekly or self.attachments is None:
            return ()
        try:
            return await self.attachments(dt.date.fromisoformat(weekly[0].facts.due), locale)
        except Exception as exc:
            log.warning("weekly ledger not attached: %s", type(exc).__name__)
            return ()
