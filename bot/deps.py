"""What every handler needs, in one typed object of plain values (not a bot_data grab-bag, and
not the config: the shell, duban/, reads the config and fills this in)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application, CallbackContext

from jobs.lights import Lights
from jobs.workdays import CalendarGapError
from services.target_progress import FigureRules

DEPS_KEY = "duban"

# The office's files as of a day: (ledger workbook, its file name, overdue-by-lead chart PNG).
OfficeFiles = tuple[bytes, str, bytes]
ExportFiles = Callable[[dt.date], Awaitable[OfficeFiles]]
# The last day the reporting plan covers, seen from a day (an extension may not go past it).
PlanEnd = Callable[[Session, dt.date], dt.date]


@dataclass
class BotDeps:
    sessions: sessionmaker[Session]
    now: Callable[[], dt.datetime]  # aware; tests inject a fixed clock
    tz: dt.tzinfo  # the district's time zone: "today" for due dates and exports
    locale: str  # the bot's language (zh_CN | en)
    office_name: str  # the district office (督查室), as notices name it
    office_chat_ids: frozenset[int]  # Telegram chats of the office: /overview, /export …
    plan_end: PlanEnd
    export_files: ExportFiles  # /export: the 台账 workbook and chart, made by the shell
    lights: Lights  # /status, /overview: the lights' one definition, with the calendar
    username: str = ""  # the bot's @username, from getMe once the Application starts
    figure_rules: FigureRules = field(default_factory=FigureRules)  # how targets add up

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.tz)

    def overdue_ages(self, items: Iterable[Any], today: dt.date) -> dict[int, int]:
        """period id → working days past due (as the 催办 and the ledger count them) of the
        items still open past their due date (the lights' calendar). Items need .period_id,
        .due and .state; none for a year the calendar cannot settle."""
        ages: dict[int, int] = {}
        for i in items:
            if i.state in ("open", "returned") and i.due < today:
                with contextlib.suppress(CalendarGapError):
                    ages[i.period_id] = self.lights.cal.days_overdue(i.due, today)
        return ages


def deps(context: CallbackContext | Application) -> BotDeps:  # type: ignore[type-arg]
    app = context if isinstance(context, Application) else context.application
    return app.bot_data[DEPS_KEY]  # type: ignore[no-any-return]
