"""Refuse duban's own exported 台账.xlsx: its 台账 sheet has the columns of a task table (序号,
主要工作任务, 牵头单位, 责任单位), so it would otherwise import as a revised table."""

from __future__ import annotations

import zipfile
from pathlib import Path

from duban.importer.errors import TableError
from duban.ledger import marker


def refuse_own_ledger(path: Path) -> None:
    """Raise TableError when the workbook at `path` is a ledger duban exported: marked in its
    document properties, or (a ledger from before the marker) having all of its sheets.
    A workbook that cannot be read is left to the table reader, which says why."""
    from openpyxl import load_workbook  # lazy, as in parse_sheet: only XLSX imports need it

    # a file object: openpyxl would refuse a workbook by its suffix (a misnamed file)
    with path.open("rb") as fh:
        try:
            book = load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            return
        try:
            marked = book.properties.keywords == marker.KEYWORDS
            if not marked and not set(marker.SHEETS) <= set(book.sheetnames):
                return
            as_of = ""
            if "说明" in book.sheetnames:
                for row in book["说明"].iter_rows(max_row=10, max_col=2, values_only=True):
                    if row and row[0] == marker.AS_OF and len(row) > 1 and row[1] is not None:
                        as_of = f", data as of {str(row[1])[:10]}"
        finally:
            book.close()
    raise TableError(
        path,
        None,
        f"this is a 台账 (ledger) that duban exported (`duban export ledger`{as_of}), not a "
        "task decomposition table: import the table as the district published it (text, "
        "HTML, XLSX or CSV with the columns 序号, 主要工作任务, 牵头单位, 责任单位)",
    )
