"""The ledger's data: plain dataclasses (no database, no openpyxl), read by the workbook, the
charts and the bot's /export."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from messages.vocabulary import Light, Status
from services.target_progress import TargetProgress

# The lights (their meaning: jobs/lights.py; their words: messages/vocabulary.py).
RED, YELLOW, GREEN = Light.RED, Light.YELLOW, Light.GREEN


# A target with its units' latest figures, aggregated by its rule (services/target_progress).
TargetStatus = TargetProgress


@dataclass
class OverdueItem:
    task_number: int
    task_text: str
    section: str
    unit: str
    role: str
    leads: list[str]
    period_label: str
    due: dt.date
    days_overdue: int
    state: str  # the period's (open | returned), or past_deadline for a task past 完成时限
    light: Light = Light.RED  # the unit's light


@dataclass
class UnitStatus:
    unit: str
    role: str  # LEAD | RESPONSIBLE
    state: str  # overdue | returned | due_soon | submitted | accepted | done | open | none
    text: str  # 滞后，逾期3天 / 序时推进，已报送…
    light: Light
    status: Status
    due: dt.date | None  # the due date that matters now (oldest overdue, else the next one)
    days_overdue: int = 0
    missed: int = 0  # 累计逾期: due periods not reported by their due date (missed or late)
    last_report_at: dt.datetime | None = None
    last_report_text: str = ""


@dataclass
class LedgerRow:
    number: int
    section: str
    text: str
    leads: list[str]
    responsibles: list[str]
    targets: list[TargetStatus]
    units: list[UnitStatus]
    last_report_at: dt.datetime | None
    last_report_unit: str
    last_report_text: str
    days_overdue: int
    light: Light
    status: Status = Status.NOT_STARTED
    missed: int = 0  # 累计逾期, summed over the units
    # 分管区领导: the leaders the task's table names, else those the config puts in charge of
    # its lead units
    leaders: list[str] = field(default_factory=list)
    deadline: dt.date | None = None  # 完成时限 (the config's [[deadlines]] or the table's date)
    deadline_text: str = ""  # 完成时限 as the table writes it (长期坚持, 2024年底…)

    @property
    def deadline_cell(self) -> dt.date | str:
        """What the 完成时限 column shows: the date, else the words of the table."""
        return self.deadline or self.deadline_text


@dataclass
class UnitOnTime:
    unit: str
    due: int  # periods whose due date has passed
    on_time: int  # … reported by their due date

    @property
    def rate(self) -> float:
        return self.on_time / self.due if self.due else 0.0


@dataclass
class Ledger:
    as_of: dt.date
    tz: ZoneInfo
    rows: list[LedgerRow]
    overdue: list[OverdueItem]
    on_time: list[UnitOnTime] = field(default_factory=list)
    # The lights' rules in force ([lights] warn_within, escalation.lead_after), for 说明.
    warn_within: int = 0
    lead_after: int = 0
    reports_per_week: list[tuple[dt.date, int]] = field(default_factory=list)

    def by_lead(self) -> dict[str, list[tuple[LedgerRow, UnitStatus]]]:
        """Each lead department's tasks, unit by unit (the lead's own line first)."""
        out: dict[str, list[tuple[LedgerRow, UnitStatus]]] = defaultdict(list)
        for row in self.rows:
            for lead in row.leads:
                out[lead].extend((row, u) for u in row.units)
        return dict(out)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()
