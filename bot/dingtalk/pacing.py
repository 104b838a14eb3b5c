"""Pacing under DingTalk's documented send limits: a robot may post 20 messages a minute to
one group, and the OpenAPI counts requests per second per app. A sliding window per key;
the clock and the sleep are injected so tests neither sleep nor read the wall clock."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable


class Pacer:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._sent: dict[str, deque[float]] = defaultdict(deque)
        self.waited = 0.0  # seconds spent waiting, for logs and tests

    async def wait(self, key: str, limit: int, window: float) -> None:
        """Return when one more send under `key` stays within `limit` per `window` seconds,
        and count it."""
        sent = self._sent[key]
        now = self.clock()
        while sent and sent[0] <= now - window:
            sent.popleft()
        if len(sent) >= limit:
            delay = sent[0] + window - now
            if delay > 0:
                self.waited += delay
                await self.sleep(delay)
            now = max(now, sent[0] + window)
            sent.popleft()
        sent.append(now)
