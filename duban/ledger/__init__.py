"""The 台账 (ledger): every task with its units' states, targets, latest figures and a light.

Two halves, so that the bot's /export and the charts reuse the first:

* ``collect_ledger(session, cfg, as_of)`` reads the database into plain dataclasses (no openpyxl);
* ``write_ledger(ledger, dest)`` turns them into an XLSX workbook; ``build_ledger`` does both.

Definitions (as of a date D, in the configured time zone):

* **overdue**: a period in state OPEN or RETURNED whose effective due date (an approved
  extension, else the scheduled date) is before D. Its age is in *working days* after the due
  date up to and including D (the configured calendar), the age the chat messages show.
* **light** and **status** (进展状态): jobs/lights.py, the one definition the chat views share
  (红 past the ladder's lead step or past 完成时限; 黄 overdue before it, returned, or due
  within `[lights] warn_within` working days; 绿 otherwise). Periods settled by a later
  report (MISSED) are no longer overdue; they count in 累计逾期 (``missed``).

Period states are read as they are now; reports are counted up to the end of D, so ``--at`` in
the past shows figures and reports as they were then.
"""

from duban.ledger.collect import collect_ledger
from duban.ledger.model import (
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
