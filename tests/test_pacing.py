"""Sends are paced under Telegram's flood limits, and a 429 that still comes is honoured:
a reply waits and goes out, a digest's long wait goes back to the outbox. The real ExtBot
talks to the fake Bot API enforcing the limits; time is virtual (no sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.rate_limit import DIGEST, PacedRateLimiter, telegram_pacer
from jobs.delivery.pacing import Pacer, Window
from tests.fakebot import FakeBotAPI, FloodLimits
from tests.virtual_time import SharedVirtualTime, VirtualTime

TOKEN = "7000009:AAH-pacing-test"


def most_in_any_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_the_pacer_keeps_every_window_and_wastes_no_time() -> None:
    vt = VirtualTime()
    pacer = telegram_pacer(clock=vt.clock, sleep=vt.sleep)
    chats = [100 + i for i in range(40)] + [-500, -501]
    started: dict[int, list[float]] = {c: [] for c in chats}

    async def send(chat: int) -> None:
        async with pacer.slot(chat):
            started[chat].append(vt.now)

    for _round in range(5):  # 5 sends to each private chat, 5 to each group, interleaved
        for chat in chats:
            await send(chat)
    every = [t for ts in started.values() for t in ts]
    assert len(every) == 5 * len(chats)
    assert most_in_any_window(every, 1.0) <= 30
    assert all(most_in_any_window(started[c], 1.0) == 1 for c in chats if c > 0)
    assert all(most_in_any_window(started[c], 60.0) <= 20 for c in chats if c < 0)
    # 210 sends at 30 a second: the least time is 6 s (the 211th would start at 7 s).
    assert 6.0 <= max(every) <= 7.0


async def test_a_slot_counts_from_the_end_of_its_send() -> None:
    """A slow answer holds its slot: the next send to the chat starts a window after it."""
    vt = VirtualTime()
    pacer = Pacer(None, lambda _key: Window(1, 1.0), clock=vt.clock, sleep=vt.sleep)
    async with pacer.slot("a"):
        vt.now += 2.5  # the server took 2.5 s to answer
    async with pacer.slot("a"):
        assert vt.now == pytest.approx(3.5)


async def test_a_reply_takes_the_next_free_slot_before_waiting_digests() -> None:
    """The bot's overall window is full of digests and 40 more wait; a reply that comes after
    them goes out as soon as one slot frees, not after the 40."""
    vt = SharedVirtualTime()
    pacer = telegram_pacer(clock=vt.clock, sleep=vt.sleep)
    started: dict[str, float] = {}

    async def send(name: str, chat: int, urgent: bool) -> None:
        async with pacer.slot(chat, urgent=urgent):
            started[name] = vt.now

    for i in range(30):
        await send(f"digest{i}", 1000 + i, False)
    waiting = [asyncio.create_task(send(f"digest{30 + i}", 2000 + i, False)) for i in range(40)]
    reply = asyncio.create_task(send("reply", 42, True))
    await vt.run_until_quiet()
    await asyncio.gather(*waiting, reply)
    assert started["reply"] == 1.0  # the first slot to free
    # the digests lost no throughput: the other 29 slots of that second, the rest a second on
    assert sum(1 for name, t in started.items() if 1.0 <= t < 1.1 and name != "reply") == 29
    assert 2.0 <= max(started.values()) < 2.1


@pytest.fixture
async def limited_server() -> AsyncIterator[tuple[FakeBotAPI, VirtualTime]]:
    vt = VirtualTime()
    server = FakeBotAPI(TOKEN, limits=FloodLimits(vt.clock))
    await server.start()
    try:
        yield server, vt
    finally:
        await server.stop()


def paced_bot(server: FakeBotAPI, vt: VirtualTime) -> ExtBot[None]:
    limiter = PacedRateLimiter(telegram_pacer(clock=vt.clock, sleep=vt.sleep))
    return ExtBot(TOKEN, base_url=server.base_url, rate_limiter=limiter)


async def test_a_burst_to_a_strict_server_meets_no_429(limited_server) -> None:
    server, vt = limited_server
    async with paced_bot(server, vt) as bot:
        for i in range(70):
            await bot.send_message(1000 + i % 7, f"通知 {i}")
    sent = [c for c in server.calls if c.method == "sendMessage"]
    assert len(sent) == 70 and not any("_failed" in c.params for c in sent)
    assert server.limits is not None and server.limits.refused == 0
    # 7 chats × 10 sends at 1 a second each: 9 s at least, and no more than that
    assert 9.0 <= vt.now < 10.0


async def test_a_429_on_a_reply_is_waited_out_and_the_reply_arrives(limited_server) -> None:
    server, vt = limited_server
    server.fail("sendMessage", chat_id=42, code=429, description="Too Many Requests", retry_after=7)
    async with paced_bot(server, vt) as bot:
        message = await bot.send_message(42, "欢迎，已绑定区发改局")
    assert message.text == "欢迎，已绑定区发改局"
    tries = [c for c in server.calls if c.method == "sendMessage"]
    assert [c.params.get("_failed") for c in tries] == [429, None]
    assert vt.now >= 7.0


async def test_a_long_429_on_a_digest_goes_back_to_the_caller(limited_server) -> None:
    """The deliverer allows a short wait only; a long one is the outbox's to retry, and every
    other send waits it out too (the pause is for the whole bot)."""
    server, vt = limited_server
    server.fail(
        "sendMessage", chat_id=42, code=429, description="Too Many Requests", retry_after=30
    )
    async with paced_bot(server, vt) as bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "催办", rate_limit_args=DIGEST)
        await bot.send_message(43, "另一条")
    assert vt.now >= 30.0
