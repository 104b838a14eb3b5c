"""Retry: when a digest that met a temporary error goes again, and when it is dead."""

from __future__ import annotations

import datetime as dt

from jobs.workdays import WorkCalendar

BACKOFF_BASE_SECONDS = 60.0
BACKOFF_MAX_SECONDS = 3600.0


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """60 s, 120 s, 240 s … capped at one hour; at least what the server asked for."""
    delay = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return max(delay, retry_after or 0.0)


def next_attempt(
    now: dt.datetime, attempts: int, retry_after: float | None, cal: WorkCalendar | None
) -> dt.datetime:
    """The backoff after `attempts` attempts, moved into office hours when there is a calendar
    (without one, in tests, the plain backoff)."""
    at = now + dt.timedelta(seconds=backoff_seconds(attempts, retry_after))
    return cal.next_send_time(at) if cal is not None else at
