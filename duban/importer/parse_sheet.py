"""The same table as a spreadsheet: XLSX (first sheet) or CSV.

Columns (found by their header cells, in any order): 序号, 主要工作任务, 牵头单位, 责任单位 and an
optional 完成时限. Rows above the header (a title row) are ignored. A section row has an empty 序号
and a task text like `一、…` (or a 序号 like `一` and the title in the task column). A lead cell may
name several units separated by 、 or line breaks. A row with neither 序号 nor task text but unit
cells continues the task above (merged cells). Line numbers are spreadsheet row numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from duban.importer.errors import TableError
from duban.importer.layout import (
    HEADER_DEADLINE,
    HEADER_LEAD,
    HEADER_NUMBER,
    HEADER_RESPONSIBLE,
    HEADER_TASK,
    NOTE_RE,
    SECTION_NUMERAL_RE,
    SECTION_RE,
    TASK_RE,
    Numbering,
    check_task,
    normalise_digits,
    section_title,
    split_names,
)
from duban.importer.table import ParsedTable, ParsedTask

Row = tuple[int, list[str]]  # (row number, cell texts)


def read_xlsx(path: Path) -> list[Row]:
    """The rows of the first worksheet that has the header (else of the first worksheet), with
    merged unit cells spread over the tasks they span."""
    from openpyxl import load_workbook

    try:
        # not read_only: a read-only sheet does not know its merged cells
        book = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(path, None, f"not a readable XLSX workbook ({exc})") from exc
    try:
        sheets: list[list[Row]] = []
        for sheet in book.worksheets:
            rows = [
                (number, [_cell_text(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            header = _header_index(rows)
            if header is not None:
                _spread_merged_units(rows, header[1], sheet.merged_cells.ranges)
                return rows
            sheets.append(rows)
        return sheets[0] if sheets else []
    finally:
        book.close()


def _spread_merged_units(rows: list[Row], columns: dict[str, int], merged: Iterable[Any]) -> None:
    """Tables merge the 牵头单位 (or 责任单位) cells of consecutive tasks that share them; the
    sheet holds the text in the top cell only. Give it to every task row the cell spans (a
    row with its own 序号 or task text); rows that only continue a task stay as they are."""
    unit_columns = {columns[name] + 1 for name in (HEADER_LEAD, HEADER_RESPONSIBLE)}
    starts = [columns[name] for name in (HEADER_NUMBER, HEADER_TASK) if name in columns]
    cells_of = {number: cells for number, cells in rows}
    for area in merged:
        if area.min_col != area.max_col or area.min_col not in unit_columns:
            continue
        col = area.min_col - 1
        top = cells_of.get(area.min_row)
        if top is None or col >= len(top) or not top[col].strip():
            continue
        for number in range(area.min_row + 1, area.max_row + 1):
            cells = cells_of.get(number)
            if cells is None or not any(i < len(cells) and cells[i].strip() for i in starts):
                continue
            cells.extend([""] * (col + 1 - len(cells)))
            cells[col] = top[col]


def read_csv(text: str, path: Path) -> list[Row]:
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise TableError(path, reader.line_num, f"CSV syntax error: {exc}") from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse_rows(rows: Iterable[Row], path: Path, fmt: str) -> ParsedTable:
    rows = list(rows)
    header_at, columns = _find_header(rows, path)
    table = ParsedTable(path=path, format=fmt, title=_title_before(rows, header_at))
    numbering = Numbering(path, what="row")
    section = ""
    task: ParsedTask | None = None

    def finish() -> None:
        if task is not None:
            check_task(path, task)
            table.tasks.append(task)

    for number, cells in rows[header_at + 1 :]:

        def cell(name: str, cells: list[str] = cells) -> str:
            col = columns.get(name)
            if col is None or col >= len(cells):
                return ""
            return normalise_digits(cells[col].strip().strip("\u3000").strip())

        seq, text = cell(HEADER_NUMBER), cell(HEADER_TASK)
        lead, resp = cell(HEADER_LEAD), cell(HEADER_RESPONSIBLE)
        if not any(c.strip() for c in cells):
            continue
        first = next(c.strip() for c in cells if c.strip())
        if "".join(seq.split()) == HEADER_NUMBER or "".join(text.split()) == HEADER_TASK:
            continue  # the header repeated (a printed table's second page)
        if NOTE_RE.match(first):
            table.note = first
            break
        if not seq.isdigit():
            numeral = SECTION_NUMERAL_RE.match(seq)
            section_match = SECTION_RE.match(text or first)
            if numeral and text:
                section_match = None
                finish()
                task, section = None, section_title(numeral.group(1), text)
                continue
            if section_match and not lead and not resp:
                finish()
                task = None
                section = section_title(section_match.group(1), section_match.group(2))
                continue
            task_match = TASK_RE.match(text)
            if not seq and task_match:
                seq, text = task_match.group(1), task_match.group(2)
            elif not seq and not text and (lead or resp):
                if task is None:
                    raise TableError(path, number, f"row {number} names units before any task")
                task.leads.extend(split_names(lead, number))
                task.responsible.extend(split_names(resp, number))
                continue
            elif seq:
                raise TableError(path, number, f"序号 {seq!r} in row {number} is not a number")
            else:
                raise TableError(
                    path, number, f"row {number} has task text but no 序号 (task number)"
                )
        finish()
        task_number = int(seq)
        numbering.check(task_number, number)
        prefix = TASK_RE.match(text)
        if prefix and int(prefix.group(1)) == task_number:
            text = prefix.group(2)
        task = ParsedTask(
            number=task_number,
            section=section,
            text=text.strip(),
            line=number,
            leads=split_names(lead, number),
            responsible=split_names(resp, number),
            deadline_text=cell(HEADER_DEADLINE),
        )
    finish()
    if not table.tasks:
        raise TableError(path, header_at + 1, "the table has a header row but no numbered task")
    return table


_WANTED = (HEADER_NUMBER, HEADER_TASK, HEADER_LEAD, HEADER_RESPONSIBLE, HEADER_DEADLINE)


def _header_index(rows: list[Row]) -> tuple[int, dict[str, int]] | None:
    for index, (_, cells) in enumerate(rows[:50]):
        names = ["".join(c.split()) for c in cells]
        columns = {name: names.index(name) for name in _WANTED if name in names}
        if all(k in columns for k in (HEADER_TASK, HEADER_LEAD, HEADER_RESPONSIBLE)):
            return index, columns
    return None


_REQUIRED = (HEADER_TASK, HEADER_LEAD, HEADER_RESPONSIBLE)


def has_header(rows: list[Row]) -> bool:
    """Whether one of the first rows holds the column names (a table to read by column)."""
    return _header_index(rows) is not None


def _find_header(rows: list[Row], path: Path) -> tuple[int, dict[str, int]]:
    found = _header_index(rows)
    if found is not None:
        return found
    for number, cells in rows[:50]:  # a header with a column missing or misspelt
        names = {"".join(c.split()) for c in cells}
        missing = [name for name in _REQUIRED if name not in names]
        if len(names & {HEADER_NUMBER, *_REQUIRED}) >= 2:
            raise TableError(
                path,
                number,
                f"the header row has no column {'、'.join(missing)} "
                "(needed: 主要工作任务, 牵头单位, 责任单位; optional: 序号, 完成时限)",
            )
    raise TableError(
        path,
        rows[0][0] if rows else 1,
        "no header row found: expected columns 序号, 主要工作任务, 牵头单位, 责任单位 "
        "(and optionally 完成时限) in the first 50 rows",
    )


def _title_before(rows: list[Row], header_at: int) -> str:
    for _, cells in reversed(rows[:header_at]):
        texts = [c.strip() for c in cells if c.strip()]
        if texts:
            return texts[0]
    return ""
