"""How a workbook says it is duban's own 台账: document properties the ledger writer sets
(duban/ledger/xlsx.py) and the importer checks, so an exported ledger is never imported back
as if it were a task table (its 台账 sheet has the table's columns)."""

from __future__ import annotations

CREATOR = "duban"
KEYWORDS = "duban-ledger"
SHEETS = ("台账", "逾期", "说明")  # the sheets every ledger has, also one written before the marker
AS_OF = "截至日期"  # the 说明 sheet's row with the day of the data
