"""Virtual time for pacing: a monotonic clock that moves only when someone sleeps, so tests
that send many messages pace them without waiting."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class SharedVirtualTime:
    """Virtual time for several coroutines at once: sleepers wake in the order of their wake
    times, each when everything else is asleep too (`run_until_quiet` drives it). Only for
    coroutines that wait on nothing but this clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), woken))
        await woken

    async def run_until_quiet(self) -> None:
        while True:
            for _ in range(50):  # let every runnable coroutine reach its next sleep
                await asyncio.sleep(0)
            if not self._sleepers:
                return
            wake, _, woken = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            woken.set_result(None)
