"""Word (DOCX) and PDF task tables: their table parsed like a sheet, else their text parsed
like the published text layouts.

The title is the table's title row or else the last paragraph above the table; the closing note
(注：…) is a row of the table or a paragraph below it. PDF errors also name the page.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from pathlib import Path

from duban.importer.columns import Row, header_index, names_only
from duban.importer.errors import TableError
from duban.importer.grid import unmerge
from duban.importer.layout import HEADER_NUMBER, HEADER_TASK, NOTE_RE, SECTION_RE, TASK_RE
from duban.importer.parse_sheet import parse_rows
from duban.importer.read_docx import read_docx
from duban.importer.read_pdf import read_pdf
from duban.importer.table import ParsedTable
from duban.importer.text_layouts import read_text


def parse_docx(path: Path, layout: str | None = None) -> ParsedTable:
    """`layout` forces a text layout for a document without a table."""
    content = read_docx(path)
    if content.grid is None:
        table = read_text("\n".join(content.lines), path, layout)
    else:
        rows, headings = unmerge(content.grid)
        table = parse_rows(rows, path, "docx", headings)
        _frame(table, content.before, content.after)
    table.format = "docx"
    return table


def parse_pdf(path: Path, layout: str | None = None) -> ParsedTable:
    """`layout` forces a text layout for a PDF without a ruled table."""
    content = read_pdf(path)
    if content.grid is None:
        # line numbers count the lines of all pages' text, one page after another
        starts = list(accumulate((t.count("\n") + 1 for t in content.page_texts), initial=1))
        try:
            table = read_text("\n".join(content.page_texts), path, layout)
        except TableError as exc:
            page = f"page {bisect_right(starts, exc.line)}" if exc.line else ""
            raise _on_page(exc, page) from exc
    else:
        rows, headings = unmerge(content.grid)
        rows = _join_split_rows(rows, content.page_starts, headings)
        try:
            table = parse_rows(rows, path, "pdf", headings)
        except TableError as exc:
            raise content.grid.locate(exc) from exc
        table.places = content.grid.places
        _frame(table, content.before, content.after)
    table.format = "pdf"
    return table


def _on_page(exc: TableError, where: str) -> TableError:
    return TableError(exc.path, exc.line, f"{exc.message} ({where})" if where else exc.message)


def _frame(table: ParsedTable, before: list[str], after: list[str]) -> None:
    """Title and closing note from the text around the table."""
    if not table.title:
        table.title = next((x.strip() for x in reversed(before) if x.strip()), "")
    if not table.note:
        lines = [x.strip() for text in after for x in text.splitlines() if x.strip()]
        start = next((i for i, x in enumerate(lines) if NOTE_RE.match(x)), None)
        if start is not None:
            table.note = "\n".join(lines[start:])


def _join_split_rows(rows: list[Row], page_starts: set[int], headings: set[int]) -> list[Row]:
    """A row cut by a page break goes on at the top of the next page without its 序号: join
    its cells to the row above, without a break (a name cut in two is whole again; two whole
    names glued are split again when resolved)."""
    found = header_index(rows)
    if found is None or HEADER_NUMBER not in found[1]:
        return rows
    columns = found[1]
    number_col, task_col = columns[HEADER_NUMBER], columns.get(HEADER_TASK)
    out: list[Row] = []
    last = -1  # the index in out of the last row that is no header
    at_top = False  # at the top of a page, before its first row that is no repeated header
    for number, cells in rows:
        at_top = at_top or number in page_starts
        if at_top and names_only(cells):
            out.append((number, cells))
            continue
        text = cells[task_col].strip() if task_col is not None and task_col < len(cells) else ""
        split = (
            at_top
            and last >= 0
            and number not in headings
            and number_col < len(cells)
            and not cells[number_col].strip()
            and text
            and not SECTION_RE.match(text)
            and not TASK_RE.match(text)
        )
        at_top = False
        if not split:
            last = len(out)
            out.append((number, cells))
            continue
        above = out[last][1]
        above.extend([""] * (len(cells) - len(above)))
        for i, cell in enumerate(cells):  # without a break: a name cut by the page is one
            above[i] = f"{above[i]}{cell.strip()}"
    return out
