"""Pacing: send no faster than a chat service's limits, counted as sliding windows.

A `Pacer` holds one overall window (e.g. 30 sends in any second per bot) and one window per key
(per chat: 1 a second in a private chat, 20 a minute in a group). `async with pacer.slot(key):`
waits until every window that applies has room, then takes a slot for the duration of the send.

A slot counts from the moment the send *ends* (the answer came back), not from when it began:
the server counts a request when it arrives, somewhere between the two, so a slot stamped with
its end can never let a later request arrive inside the window of an earlier one, whatever the
network's latency. While a send is in flight its slot is occupied without an end.

Sends are urgent (a reply someone is waiting for) or background (a digest): a background send
does not take an overall slot while an urgent one waits for one, so replies keep their speed
during a busy delivery without lowering its throughput. (An urgent send waiting for its own
chat's window holds nobody up.)

`pause(seconds)` stops every send for a while: the server asked for it (429 retry_after).
The clock and the sleep are injected, so tests pace in virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

YIELD = 0.005  # seconds a background send waits while an urgent one is queued


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` sends in any `seconds`."""

    limit: int
    seconds: float


@dataclass(slots=True)
class _Slot:
    ended: float | None = None  # monotonic time the send's answer came back; None in flight
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Pacer:
    def __init__(
        self,
        overall: Window | None,
        per_key: Callable[[Hashable], Window | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.overall = overall
        self.per_key = per_key
        self.clock = clock
        self.sleep = sleep
        self._all: list[_Slot] = []
        self._by_key: dict[Hashable, list[_Slot]] = {}
        self._paused_until = 0.0
        self._urgent_waiting = 0  # urgent sends waiting for room in the overall window
        self.waited = 0.0  # seconds spent waiting for room, in all (for benchmarks and logs)

    def pause(self, seconds: float) -> None:
        """No send starts for `seconds` from now (the server said so)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    @asynccontextmanager
    async def slot(self, key: Hashable, *, urgent: bool = True) -> AsyncIterator[None]:
        window = self.per_key(key)
        slot = await self._take(key, window, urgent)
        try:
            yield
        finally:
            slot.ended = self.clock()
            slot.done.set()

    async def _take(self, key: Hashable, window: Window | None, urgent: bool) -> _Slot:
        self._forget_idle_keys()
        started = self.clock()
        queued = False  # this urgent send is counted in _urgent_waiting
        try:
            while True:
                now = self.clock()
                if now < self._paused_until:
                    await self.sleep(self._paused_until - now)
                    continue
                if not urgent and self._urgent_waiting:
                    await self.sleep(YIELD)  # let the waiting reply have the next slot
                    continue
                checks = [(self._all, self.overall)] if self.overall else []
                if window is not None:
                    checks.append((self._by_key.setdefault(key, []), window))
                wait: float | _Slot | None = None
                for index, (slots, limit) in enumerate(checks):
                    if _prune(slots, now, limit.seconds) >= limit.limit:
                        wait = _next_free(slots, limit.seconds, now)
                        blocked_overall = index == 0 and self.overall is not None
                        if urgent and blocked_overall != queued:
                            self._urgent_waiting += 1 if blocked_overall else -1
                            queued = blocked_overall
                        break
                if wait is None:  # room everywhere: take the slot (no await since the check)
                    slot = _Slot()
                    for slots, _ in checks:
                        slots.append(slot)
                    self.waited += now - started
                    return slot
                if isinstance(wait, _Slot):
                    await wait.done.wait()
                else:
                    await self.sleep(wait)
        finally:
            if queued:
                self._urgent_waiting -= 1

    def _forget_idle_keys(self) -> None:
        if len(self._by_key) > 1024:  # keep memory flat over a long life with many chats
            now = self.clock()
            self._by_key = {
                k: v for k, v in self._by_key.items()
                if (w := self.per_key(k)) is None or _prune(v, now, w.seconds)
            }  # fmt: skip


def _prune(slots: list[_Slot], now: float, seconds: float) -> int:
    """Drop the slots whose window has passed; return how many still count."""
    slots[:] = [s for s in slots if s.ended is None or s.ended + seconds > now]
    return len(slots)


def _next_free(slots: list[_Slot], seconds: float, now: float) -> float | _Slot:
    """Seconds until the first finished slot leaves the window, or, when every slot is still in
    flight, the oldest of them (a finished slot always leaves before an unfinished one)."""
    ended = [s.ended for s in slots if s.ended is not None]
    if ended:
        return max(min(ended) + seconds - now, 0.0)
    return slots[0]
