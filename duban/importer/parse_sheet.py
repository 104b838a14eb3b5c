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
from collections.abc import Iterable, Set
from pathlib import Path
from typing import Any

from duban.importer.columns import (
    MORE_RESPONSIBLE,
    SHARED,
    Row,
    find_header,
    header_index,
    names_only,
)
from duban.importer.errors import TableError
from duban.importer.grid import Cell, Grid
from duban.importer.layout import (
    HEADER_DEADLINE,
    HEADER_LEAD,
    HEADER_LEADER,
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
from duban.importer.unit_cells import unit_roles


def read_xlsx(path: Path) -> Grid:
    """The visible worksheets that have a header, one after another (a workbook may hold a
    section per sheet), else the first worksheet; cells covered by a merged area marked as
    such. With several sheets, rows are counted through them and each knows its sheet."""
    from openpyxl import load_workbook

    try:
        # not read_only: a read-only sheet does not know its merged cells
        # a file object: openpyxl would refuse a workbook by its suffix (a misnamed .docx)
        with path.open("rb") as fh:
            book = load_workbook(fh, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(path, None, f"not a readable XLSX workbook ({exc})") from exc
    try:
        sheets = [(s.title, _sheet_grid(s)) for s in book.worksheets if s.sheet_state == "visible"]
    finally:
        book.close()
    found = [(title, grid, header_index(grid.plain())) for title, grid in sheets]
    tables = [(title, grid, set(f[1])) for title, grid, f in found if f is not None]
    # later sheets with the same columns continue the first (a 统计 sheet of counts does not)
    tables = [(title, grid) for title, grid, keys in tables if keys == tables[0][2]]
    if len(tables) < 2:
        return tables[0][1] if tables else sheets[0][1] if sheets else Grid([])
    grid = Grid([])
    for title, sheet in tables:
        grid.places.update(
            (len(grid.rows) + number, f"sheet {title!r}, row {number}") for number, _ in sheet.rows
        )
        grid.extend([cells for _, cells in sheet.rows])
    return grid


def _sheet_grid(sheet: Any) -> Grid:
    rows = [[Cell(_cell_text(v)) for v in values] for values in sheet.iter_rows(values_only=True)]
    for area in sheet.merged_cells.ranges:
        top = (area.min_row - 1, area.min_col - 1)
        for r in range(area.min_row - 1, min(area.max_row, len(rows))):
            cells = rows[r]
            for c in range(area.min_col - 1, area.max_col):
                if (r, c) != top:
                    cells.extend([Cell("")] * (c + 1 - len(cells)))
                    cells[c] = Cell("", top)
    return Grid([(number, cells) for number, cells in enumerate(rows, start=1)])


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


def parse_rows(
    rows: Iterable[Row], path: Path, fmt: str, headings: Set[int] = frozenset()
) -> ParsedTable:
    """Tasks from rows read by column. `headings`: row numbers that are section headings
    whatever their text (a merged cell across the row)."""
    rows = list(rows)
    header_at, columns = find_header(rows, path)
    table = ParsedTable(path=path, format=fmt, title=_title_before(rows, header_at))
    numbering = Numbering(path, what="row")
    section = ""
    task: ParsedTask | None = None
    # No 牵头单位 column: the one unit column lists the lead first (see unit_roles).
    lone = HEADER_LEAD not in columns

    def finish() -> None:
        if task is not None:
            if lone and not task.leads and task.responsible:
                task.leads.append(task.responsible.pop(0))
            check_task(path, task)
            table.tasks.append(task)

    for number, cells in rows[header_at + 1 :]:

        def cell(name: str, cells: list[str] = cells) -> str:
            col = columns.get(name)
            if col is None or col >= len(cells):
                return ""
            return normalise_digits(cells[col].strip().strip("\u3000").strip())

        seq, text = _bare_number(cell(HEADER_NUMBER)), _one_line(cell(HEADER_TASK))
        lead, resp = (
            cell(HEADER_LEAD),
            "\n".join(filter(None, (cell(HEADER_RESPONSIBLE), cell(MORE_RESPONSIBLE)))),
        )
        if not any(c.strip() for c in cells):
            continue
        first = next(c.strip() for c in cells if c.strip())
        if names_only(cells):
            continue  # the header repeated (a printed table's second page)
        if NOTE_RE.match(first):
            table.note = first
            break
        if number in headings or _lone_heading(cells, seq, columns):
            finish()
            task, section = None, _heading(first)
            continue
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
            elif not seq and not text:  # units continuing the task above, or a remark
                if task is None and (lead or resp):
                    raise TableError(path, number, f"row {number} names units before any task")
                if task is None:
                    continue
                leads, responsible = unit_roles(lead, resp, number, lone)
                task.leads.extend(leads)
                task.responsible.extend(responsible)
                task.leaders.extend(split_names(cell(HEADER_LEADER), number))
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
        leads, responsible = unit_roles(lead, resp, number, lone)
        task = ParsedTask(
            number=task_number,
            section=section,
            text=text.strip(),
            line=number,
            leads=leads,
            responsible=responsible,
            deadline_text=cell(HEADER_DEADLINE),
            leaders=split_names(cell(HEADER_LEADER), number),
        )
    finish()
    if not table.tasks:
        raise TableError(path, header_at + 1, "the table has a header row but no numbered task")
    return table


def _bare_number(seq: str) -> str:
    """`1.`, `1、`, `（1）` → `1`: a 序号 written with its punctuation."""
    bare = seq.strip("．.、（）() ")
    return bare if bare.isdigit() else seq


def _one_line(text: str) -> str:
    """A task cell's line breaks are wrapping (Chinese needs no space between the parts)."""
    return "".join(part.strip() for part in text.splitlines())


def _lone_heading(cells: list[str], seq: str, columns: dict[str, int]) -> bool:
    """A row whose only text, no number, is in its first cell (or the 序号 cell), outside the
    task and unit columns: a sub-heading (（一）…, 第一部分 …, or unnumbered)."""
    filled = [i for i, c in enumerate(cells) if c.strip()]
    first = columns.get(HEADER_NUMBER, min(columns.values()))
    return (
        len(filled) == 1
        and filled[0] in (0, first)
        and filled[0] not in {columns[k] for k in (HEADER_TASK, *SHARED) if k in columns}
        and not seq.isdigit()
        and not (TASK_RE.match(normalise_digits(cells[filled[0]].strip())))
    )


def _heading(text: str) -> str:
    title = _one_line(text)
    match = SECTION_RE.match(title)
    return section_title(match.group(1), match.group(2)) if match else title


def _title_before(rows: list[Row], header_at: int) -> str:
    for _, cells in reversed(rows[:header_at]):
        texts = [c.strip() for c in cells if c.strip()]
        if texts and not names_only(cells):  # not the first row of a two-row header
            return texts[0]
    return ""
