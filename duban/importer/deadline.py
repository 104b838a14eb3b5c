"""完成时限 as a date, where the text says one plainly (anything else stays text only), or as
the config sets it per task; and Task.deadline kept in line with both."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import Assignment, Task
from duban.config import Config
from duban.config.schema import deadline_overrides

_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(前|之前)?$")
_MONTH_END = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(底|末|份|前|之前)?$")
_YEAR_END = re.compile(r"^(\d{4})\s*年\s*(底|末|年底|年末)$")


def parse_deadline(text: str) -> dt.date | None:
    """2024-06-30, 2024/6/30, 2024年6月30日(前) → that day; 2024年6月底/末 → the month's last
    day; 2024年底 → 31 December. Ranges, 长期坚持, 持续推进 … → None."""
    text = text.strip()
    try:
        if m := _FULL.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MONTH_END.match(text):
            year, month = int(m[1]), int(m[2])
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        if m := _YEAR_END.match(text):
            return dt.date(int(m[1]), 12, 31)
    except ValueError:
        return None
    return None


def impossible_date(text: str) -> bool:
    """Written like a date (2024-06-31, 2024年13月底) but no day of the calendar."""
    text = text.strip()
    written = any(p.match(text) for p in (_FULL, _MONTH_END, _YEAR_END))
    return written and parse_deadline(text) is None


def sync_deadlines(session: Session, cfg: Config) -> list[int]:
    """Task.deadline, the 完成时限 everything reads (the planner, the delivery re-check, the
    ledger), is the config's `[[deadlines]]` entry for the task if there is one, else the date
    the table's text states. Brings every task in line (`init`, `import`, `tick`, `run` and
    `simulate` call this, so an edited config counts from the next of them) and returns the
    numbers of the tasks whose deadline changed: their 完成时限 ladders start afresh (what was
    queued for the old deadline is dropped by the delivery re-check)."""
    overrides = deadline_overrides(cfg)
    changed = []
    for task in session.scalars(select(Task).where(Task.removed_at.is_(None))):
        want = overrides.get(task.number) or parse_deadline(task.deadline_text)
        if task.deadline != want:
            task.deadline = want
            session.execute(
                update(Assignment).where(Assignment.task_id == task.id).values(final_check_at=None)
            )
            changed.append(task.number)
    return changed
