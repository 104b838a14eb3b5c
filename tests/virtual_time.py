"""Virtual time for pacing: a monotonic clock that moves only when someone sleeps, so tests
that send many messages pace them without waiting."""

from __future__ import annotations

import asyncio


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)
