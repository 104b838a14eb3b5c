"""Delivery at Telegram's limits: N digests through the real deliverer and the real ExtBot to a
fake Bot API that enforces the flood limits as strict sliding windows (at most 30 sends in any
second per bot, 1 per second per private chat, 20 in any minute per group) and answers 429 with
retry_after when a send breaks them.

    .venv/bin/python bench/delivery.py [--digests 2000] [--chats 200] [--groups 20]
                                       [--limiter paced|aio] [--format text|json]

`--limiter aio` is the naive peer: PTB's AIORateLimiter (a leaky bucket that retries nothing),
what duban used before. Prints messages, delivered, duplicates, lost, http_429, seconds,
bound_seconds (the least time the limits allow for these sends) and ratio (bound / seconds).
Each digest is one outbox row to its own unit; units share chats (one contact serving several
units), so every chat gets several digests. A row that met a 429 waits in the outbox for its
retry time and goes out on a later delivery run, as in `duban run`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select  # noqa: E402
from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402

from bot.rate_limit import PacedRateLimiter  # noqa: E402
from bot.telegram_channel import TelegramChannel  # noqa: E402
from db.contracts import Facts, MessageKind, Recipient, dedupe_key  # noqa: E402
from db.engine import make_engine, make_sessionmaker, transaction  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Contact, Digest, Unit  # noqa: E402
from db.models.outbox import PENDING, SENT  # noqa: E402
from duban.config import example_config_path, parse_config  # noqa: E402
from duban.wiring import engine_settings  # noqa: E402
from jobs.delivery import deliver  # noqa: E402
from jobs.outbox import enqueue  # noqa: E402
from tests.fakebot import FakeBotAPI, FloodLimits  # noqa: E402  (the e2e tests' fake)

TOKEN = "7000001:AAH-bench-delivery"
NOW = dt.datetime(2024, 3, 22, 1, 0, tzinfo=dt.UTC)


class NaivePeer(AIORateLimiter):
    """PTB's AIORateLimiter as duban used it before (max_retries=0), ignoring the digest's
    wait allowance, which is this project's own argument."""

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[no-untyped-def]
        return await super().process_request(callback, args, kwargs, endpoint, data, None)


def chat_ids(chats: int, groups: int) -> list[int]:
    return [10_000 + i for i in range(chats)] + [-(20_000 + i) for i in range(groups)]


def bound_seconds(sends: Counter[int], total: int) -> float:
    """The least time, first send to last, that the limits allow for these sends."""
    per_bot = (total - 1) // 30 * 1.0
    per_chat = max(
        ((n - 1) // 20 * 60.0 if chat < 0 else (n - 1) * 1.0) for chat, n in sends.items()
    )
    return max(per_bot, per_chat, 0.0)


def build(tmp: Path, digests: int, chats: list[int]):  # type: ignore[no-untyped-def]
    text = example_config_path().read_text(encoding="utf-8")
    cfg = parse_config(text, "config.example.toml", tmp)
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as s:
        s.execute(insert(Unit), [{"name": f"单位{i:04d}"} for i in range(digests)])
        ids = s.scalars(select(Unit.id).order_by(Unit.id)).all()
        s.execute(
            insert(Contact),
            [
                {"unit_id": uid, "address": str(chats[i % len(chats)]),
                 "user_address": str(chats[i % len(chats)]), "display_name": f"c{i}"}
                for i, uid in enumerate(ids)
            ],
        )  # fmt: skip
        for i, uid in enumerate(ids):
            recipient = Recipient.unit(uid)
            enqueue(
                s,
                kind=MessageKind.REMINDER,
                recipient=recipient,
                role="unit",
                facts=Facts.from_json({"task": i % 91 + 1, "unit": f"单位{i:04d}",
                                       "due": "2024-03-25"}),
                recipient_name=f"单位{i:04d}",
                dedupe_key=dedupe_key(MessageKind.REMINDER, recipient, scope=(i, "bench")),
                due_at=NOW,
            )  # fmt: skip
    return cfg, engine, sessions


async def run(args: argparse.Namespace) -> dict[str, object]:
    chats = chat_ids(args.chats, args.groups)
    with tempfile.TemporaryDirectory() as tmpdir:
        cfg, engine, sessions = build(Path(tmpdir), args.digests, chats)
        settings = engine_settings(cfg)
        limits = FloodLimits()
        server = FakeBotAPI(TOKEN, limits=limits)
        await server.start()
        limiter = PacedRateLimiter() if args.limiter == "paced" else NaivePeer()
        bot = ExtBot(TOKEN, base_url=server.base_url, rate_limiter=limiter)
        now = NOW
        started = time.perf_counter()
        runs = 0
        try:
            async with bot:
                channel = TelegramChannel(bot)
                while True:
                    runs += 1
                    await deliver(sessions, channel, settings, now)
                    with sessions() as s:
                        left = s.scalar(
                            select(func.count()).select_from(Digest).where(Digest.state != SENT)
                        )
                        next_at = s.scalar(
                            select(func.min(Digest.next_attempt_at)).where(Digest.state != SENT)
                        )
                    if not left or runs > 50:
                        break
                    # a row that met a 429 waits for its retry time, then the next run sends it
                    wait = (next_at - now).total_seconds() if next_at else 0.0
                    if wait > 0:
                        await asyncio.sleep(wait)
                        now += dt.timedelta(seconds=wait)
        finally:
            await server.stop()
        seconds = time.perf_counter() - started
        ok = [c for c in server.calls if c.method == "sendMessage" and "_failed" not in c.params]
        per_text = Counter(c.text for c in ok)
        with sessions() as s:
            lost = s.scalar(select(func.count()).select_from(Digest).where(Digest.state != SENT))
            pending = s.scalar(
                select(func.count()).select_from(Digest).where(Digest.state == PENDING)
            )
        engine.dispose()
    http_429 = sum(1 for c in server.calls if c.params.get("_failed") == 429)
    bound = bound_seconds(Counter(c.chat_id for c in ok), len(ok))
    return {
        "limiter": args.limiter,
        "messages": args.digests,
        "delivered": len(per_text),
        "duplicates": sum(n - 1 for n in per_text.values()),
        "lost": lost,
        "still_pending": pending,
        "http_429": http_429,
        "delivery_runs": runs,
        "seconds": round(seconds, 2),
        "bound_seconds": round(bound, 2),
        "ratio": round(bound / seconds, 3) if seconds else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digests", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--limiter", choices=("paced", "aio"), default="paced")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.format == "json":
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
