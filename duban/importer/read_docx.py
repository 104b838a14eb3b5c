"""A Word document (DOCX): its table read by column, or its paragraphs read as text.

A table whose header names the columns (see columns.py) is read like a sheet; merged cells
(w:gridSpan across, w:vMerge down) become covered cells of a Grid. Rows are numbered as the
document shows them: row 1 is the table's first row, and a table split into several Word tables
(one per section, or per page) keeps counting. A document without such a table is handed to the
text layouts: one line per paragraph, and one line per table cell, in document order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duban.importer.columns import has_header
from duban.importer.errors import TableError
from duban.importer.grid import Cell, Grid
from duban.importer.layout import NOTE_RE

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_BREAKS = {f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}tab": "\t"}


@dataclass
class DocxContent:
    grid: Grid | None  # the rows of the tables from the first one that has a header
    before: list[str] = field(default_factory=list)  # paragraphs before that table
    after: list[str] = field(default_factory=list)  # paragraphs after it
    lines: list[str] = field(default_factory=list)  # the whole document as text lines


def read_docx(path: Path) -> DocxContent:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
        body = document.element.body
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise TableError(path, None, f"not a readable Word (DOCX) document ({exc})") from exc
    content = DocxContent(grid=None)
    width, ended = 0, False
    numbers = _Numbering(
        {  # paragraph styles that number their paragraphs (List Number …): style id → list id
            style.get(f"{_W}styleId"): num.get(f"{_W}val")
            for style in document.styles.element.iterchildren(f"{_W}style")
            if (num := style.find(f"{_W}pPr/{_W}numPr/{_W}numId")) is not None
        }
    )
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            text = _text(child)
            content.lines.extend(text.splitlines() or [""])
            (content.before if content.grid is None else content.after).append(text)
        elif child.tag == f"{_W}tbl":
            table = _table_cells(child, numbers)
            content.lines.extend(c.text for row in table for c in row if c.origin is None)
            if content.grid is None:
                grid = Grid([(i, cells) for i, cells in enumerate(table, start=1)])
                if has_header(grid.plain()):
                    content.grid, width = grid, max(map(len, table))
            elif ended or max(map(len, table), default=0) != width or _has_note(content.after):
                ended = True
            else:  # the same table continued (one Word table per section or page)
                # a paragraph between the two is a heading: one cell across the row
                for text in filter(str.strip, content.after):
                    content.grid.extend([[Cell(text)] + [Cell("", (0, 0))] * (width - 1)])
                content.after = []
                content.grid.extend(table)
    if content.grid is None:  # the table inside another one (a page laid out as a table)
        for nested in body.iter(f"{_W}tbl"):
            grid = Grid(list(enumerate(_table_cells(nested, numbers), start=1)))
            if nested.getparent().tag == f"{_W}tc" and has_header(grid.plain()):
                content.grid = grid
                break
    return content


def _has_note(paragraphs: list[str]) -> bool:
    return any(NOTE_RE.match(p.strip()) for p in paragraphs)


def _table_cells(tbl: Any, numbers: _Numbering) -> list[list[Cell]]:
    """Each row's cells by grid column; a cell covered by a merge points to the area's top-left
    (row index, column)."""
    table: list[list[Cell]] = []
    for tr in tbl.iterchildren(f"{_W}tr"):
        r = len(table)
        cells: list[Cell] = [Cell("")] * (tr.grid_before or 0)
        for tc in tr.iterchildren(f"{_W}tc"):
            col, span = len(cells), tc.grid_span or 1
            if tc.vMerge == "continue" and r > 0 and col < len(table[r - 1]):
                above = table[r - 1][col]
                top = above.origin or (r - 1, col)
                cells.extend(Cell("", top) for _ in range(span))
                continue
            cells.append(Cell(_text(tc) or _auto_number(tc, numbers)))
            cells.extend(Cell("", (r, col)) for _ in range(span - 1))
        table.append(cells)
    return table


@dataclass
class _Numbering:
    """Word's automatic numbering, counted in document order: list id → last number."""

    styles: dict[str | None, str | None]
    last: dict[str | None, int] = field(default_factory=dict)


def _auto_number(tc: Any, numbers: _Numbering) -> str:
    """The number Word shows in an otherwise empty cell whose paragraph is a numbered list item
    (a 序号 column filled by automatic numbering holds no text of its own)."""
    paragraph = tc.find(f"{_W}p")
    if paragraph is None:
        return ""
    num_id = paragraph.find(f"{_W}pPr/{_W}numPr/{_W}numId")
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    if num_id is not None:
        key = num_id.get(f"{_W}val")
    elif style is not None and style.get(f"{_W}val") in numbers.styles:
        key = numbers.styles[style.get(f"{_W}val")]
    else:
        return ""
    numbers.last[key] = numbers.last.get(key, 0) + 1
    return str(numbers.last[key])


def _text(element: Any) -> str:
    """The text of a paragraph, or of a cell's paragraphs one per line (nested tables too)."""
    if element.tag == f"{_W}p":
        return "".join(
            _BREAKS.get(node.tag, node.text or "")
            for node in element.iter(f"{_W}t", f"{_W}br", f"{_W}cr", f"{_W}tab")
        )
    return "\n".join(_text(p) for p in element.iter(f"{_W}p"))
