"""What the clock and the deliverer run on, as one value the shell builds (duban/wiring.py):
the database, the plain settings, the working-day calendar, and the shell's maker of the
files the office's weekly digest carries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from jobs.delivery.contracts import AttachmentMaker
from jobs.settings import Settings
from jobs.workdays import WorkCalendar


@dataclass(frozen=True)
class Runtime:
    sessions: sessionmaker[Session]
    settings: Settings
    calendar: WorkCalendar
    attachments: AttachmentMaker | None = None
