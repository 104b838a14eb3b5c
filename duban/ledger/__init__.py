"""The 台账 (ledger): every task with its units' states, targets, latest figures and a light.

Two halves, so that the bot's /export and the charts reuse the first:

* ``collect_ledger(session, cfg, as_of)`` reads the database into plain dataclasses (no openpyxl);
* ``write_ledger(ledger, dest)`` turns them into an XLSX workbook; ``build_ledger`` does both.

Definitions (as of a date D, in the configured time zone):

* **overdue**: a period in state OPEN or RETURNED whose effective due date (an approved
  extension, else the scheduled date) is before D. Its age is in *working days* after the due
  date up to and including D (the configured calendar), the age the chat messages show.
* **due soon**: OPEN or RETURNED with the effective due date from D to D + 3 days.
* **light**: 红 when any unit of the task has an overdue period; 黄 when one is due soon or a
  report was returned (the unit must report again); 绿 otherwise (on track, reported or done).

Period states are read as they are now; reports are counted up to the end of D, so ``--at`` in
the past shows figures and reports as they were then.
"""

from duban.ledger.collect import collect_ledger
from duban.ledger.model import (
    DUE_SOON_DAYS,
    GREEN,
    RED,
    YELLOW,
    Ledger,
    LedgerRow,
    OverdueItem,
    TargetStatus,
    UnitOnTime,
    UnitStatus,
)
from duban.ledger.xlsx import build_ledger, ledger_filename, sheet_title, write_ledger
from messages.render import short_section

__all__ = [
    "DUE_SOON_DAYS",
    "GREEN",
    "RED",
    "YELLOW",
    "Ledger",
    "LedgerRow",
    "OverdueItem",
    "TargetStatus",
    "UnitOnTime",
    "UnitStatus",
    "build_ledger",
    "collect_ledger",
    "ledger_filename",
    "sheet_title",
    "short_section",
    "write_ledger",
]
