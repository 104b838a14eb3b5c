"""The bot's rate limiter: every request to a chat is paced under Telegram's limits, and a 429
that still comes is honoured and retried — for digests and the bot's own replies alike.

PTB's AIORateLimiter is a leaky bucket: after an idle spell it lets ~60 sends land inside one
second, which a server counting strict windows answers with 429, and by default it retries
nothing (a registration welcome that met a 429 was lost). This limiter paces with sliding
windows instead (jobs/delivery/pacing.py):

    at most 30 sends in any second per bot, 1 per second per private chat, 20 per minute per
    group (Telegram's FAQ; groups and channels have negative chat ids or an @username)

and, on a 429, pauses every send for retry_after and tries again (at most `max_retries` times).
A reply to a user is urgent and waits up to LONGEST_WAIT for a 429 (an answer late is better
than none). The deliverer marks its sends `rate_limit_args=DIGEST` (a Background send): they
yield the next free slot to a waiting reply, and a 429 longer than 5 s goes back to the outbox,
whose row keeps retry_after and goes out at the next tick, so a tick is never held for
minutes. Requests without a chat (getMe, getUpdates, answerCallbackQuery) pass straight through.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from jobs.delivery.pacing import Pacer, Window

log = logging.getLogger(__name__)

OVERALL = Window(30, 1.0)
PRIVATE_CHAT = Window(1, 1.0)
GROUP_CHAT = Window(20, 60.0)
MAX_RETRIES = 3
LONGEST_WAIT = 60.0  # seconds a reply may be held by a 429 before the error reaches its handler


@dataclass(frozen=True, slots=True)
class Background:
    """`rate_limit_args` of a send nobody is waiting for: it yields to replies, and a 429
    longer than `longest_wait` seconds goes back to the caller."""

    longest_wait: float


DIGEST = Background(longest_wait=5.0)


def chat_window(chat_id: Hashable) -> Window:
    """Telegram's per-chat limit: groups, supergroups and channels have negative ids (or are
    addressed by @username); private chats positive ids."""
    if isinstance(chat_id, int):
        return GROUP_CHAT if chat_id < 0 else PRIVATE_CHAT
    text = str(chat_id)
    return GROUP_CHAT if text.startswith(("-", "@")) else PRIVATE_CHAT


def _chat_key(chat_id: Any) -> Hashable:
    """One key per chat however the id was passed (123, "123", "@name")."""
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
        return int(chat_id)
    return chat_id


def telegram_pacer(**clock: Any) -> Pacer:
    """A Pacer with Telegram's limits (`clock=`, `sleep=` for virtual time in tests)."""
    return Pacer(OVERALL, chat_window, **clock)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22.2+: int now, timedelta later
        warnings.simplefilter("ignore")
        ra = exc.retry_after
    return float(ra.total_seconds() if isinstance(ra, dt.timedelta) else ra)


class PacedRateLimiter(BaseRateLimiter[Background]):
    """`rate_limit_args`: None for a reply, a Background for a digest."""

    def __init__(
        self,
        pacer: Pacer | None = None,
        *,
        max_retries: int = MAX_RETRIES,
        longest_wait: float = LONGEST_WAIT,
    ) -> None:
        self.pacer = pacer or telegram_pacer()
        self.max_retries = max_retries
        self.longest_wait = longest_wait
        self.retried = 0  # 429s answered by waiting and trying again (benchmarks read it)

    async def initialize(self) -> None:
        """Nothing to set up: the pacer holds only timestamps."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Background | None,
    ) -> Any:
        chat_id = _chat_key(data.get("chat_id"))
        background = rate_limit_args is not None
        longest = self.longest_wait if rate_limit_args is None else rate_limit_args.longest_wait
        attempt = 0
        while True:
            try:
                if chat_id is None:
                    return await callback(*args, **kwargs)
                async with self.pacer.slot(chat_id, urgent=not background):
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self.pacer.pause(seconds)
                if attempt >= self.max_retries or seconds > longest:
                    raise
                attempt += 1
                self.retried += 1
                log.warning("Telegram asked to wait %.0f s (%s); then trying again", seconds,
                            endpoint)
