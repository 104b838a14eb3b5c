"""A unit with several contacts: when a send reaches some chats and then fails for another
(network, 429), the retry goes only to the chats that did not get it. Nobody receives the
same digest twice, and notices planned meanwhile still reach everyone."""

from __future__ import annotations

import datetime as dt
import re

from memory_channel import Failure, MemoryChannel
from sqlalchemy import select
from test_deliverer import NOW, add_contact, put, unit_id

from db.contracts import Recipient
from db.engine import transaction
from db.models import Digest, SentMessage
from db.models.outbox import PARTIAL, SENDING, SENT
from duban.wiring import engine_settings
from jobs.delivery import DeliveryReport, deliver, recover_stale


def tasks_by_chat(channel: MemoryChannel) -> dict[str, list[int]]:
    """chat → task numbers it received, in order, over all messages."""
    out: dict[str, list[int]] = {}
    for chat, message in channel.received:
        for part in message.parts:
            out.setdefault(chat, []).extend(int(n) for n in re.findall(r"任务(\d+)", part))
    return out


async def half_sent(config, sessions) -> tuple[int, MemoryChannel, DeliveryReport]:
    """区工信局 has two contacts; task 3's reminder reaches 1001, then 1002 times out."""
    gx = unit_id(sessions, "区工信局")
    add_contact(sessions, gx, 1001)
    add_contact(sessions, gx, 1002)
    put(sessions, "reminder", Recipient.unit(gx), 3)
    channel = MemoryChannel(needs_addresses=True)
    channel.fail_next(Failure(temporary="TimedOut", only=frozenset({"1002"})))
    return gx, channel, await deliver(sessions, channel, engine_settings(config), NOW)


async def test_retry_goes_only_to_the_chats_that_missed_it(config, sessions):
    gx, channel, first = await half_sent(config, sessions)
    assert first.items_failed == 1
    assert tasks_by_chat(channel) == {"1001": [3]}
    with sessions() as s:
        digest = s.scalars(select(Digest)).one()
        assert digest.state == PARTIAL and digest.delivered_to == ["1001"]
        # 1001 may already reply to what it got.
        assert [m.address for m in s.scalars(select(SentMessage))] == ["1001"]

    # Planned before the retry: a new notice does not join the half-sent digest.
    put(sessions, "overdue", Recipient.unit(gx), 4)
    later = NOW + dt.timedelta(minutes=2)  # past the first backoff (60 s)
    await deliver(sessions, channel, engine_settings(config), later)

    assert tasks_by_chat(channel) == {"1001": [3, 4], "1002": [3, 4]}
    with sessions() as s:
        assert {d.state for d in s.scalars(select(Digest))} == {SENT}
    again = await deliver(sessions, channel, engine_settings(config), later + dt.timedelta(hours=1))
    assert again.delivered == []


async def test_a_half_sent_digest_killed_in_flight_stays_half_sent(config, sessions):
    gx, channel, _ = await half_sent(config, sessions)
    put(sessions, "due", Recipient.unit(gx), 5)  # opens a new digest for the same unit
    with transaction(sessions) as s:  # the retry's claim, then the process is killed
        s.scalars(select(Digest).where(Digest.state == PARTIAL)).one().state = SENDING

    assert recover_stale(sessions) == 1
    await deliver(sessions, channel, engine_settings(config), NOW + dt.timedelta(minutes=2))
    # Not merged into the new digest: 1001 does not get task 3 a second time.
    assert tasks_by_chat(channel) == {"1001": [3, 5], "1002": [3, 5]}
