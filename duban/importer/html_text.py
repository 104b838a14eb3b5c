"""A saved web page (.html): its visible text, one line per block element or table cell (read
as the text layout), and its table rows as cells (read like a sheet when a row holds the
column names: an empty 牵头单位 cell then stays empty instead of vanishing from the text)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from duban.importer.grid import Cell, Grid

_BLOCKS = {
    "p", "div", "br", "tr", "td", "th", "li", "table", "tbody", "thead",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "ul", "ol", "title",
}  # fmt: skip
_SKIP = {"script", "style", "noscript", "head"}
HTML_START = re.compile(r"^\s*(<!doctype\s+html|<html|<meta|<head|<body|<table)", re.I)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        # every <tr>: its cells as (text with <br> kept as a newline, colspan, rowspan)
        self.rows: list[list[tuple[str, int, int]]] = []
        self.table_starts: set[int] = set()  # indexes in rows where a <table> begins
        self._row: list[tuple[str, int, int]] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
            return
        if tag == "table":
            self._end_row()
            self.table_starts.add(len(self.rows))
        elif tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            self._cell = []
            self._span = (_span(attrs, "colspan"), _span(attrs, "rowspan"))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data.replace("\n", " "))
            if self._cell is not None:
                self._cell.append(data.replace("\n", " "))

    def close(self) -> None:
        super().close()
        self._end_row()

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            text = "\n".join(part.strip() for part in "".join(self._cell).split("\n"))
            self._row.append((text.strip(), *self._span))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None:
            self.rows.append(self._row)
        self._row = None


def looks_like_html(text: str) -> bool:
    return bool(HTML_START.match(text[:2000].lstrip("\ufeff")))


def html_to_lines(text: str) -> str:
    """The visible text, one line per block; line numbers then refer to this text."""
    return _visible_lines(_parse(text))


def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
    value = dict(attrs).get(name) or "1"
    return int(value) if value.isdigit() and 0 < int(value) < 100 else 1


def html_table_grid(text: str) -> Grid:
    """The page's table rows as a Grid, cells covered by a colspan or rowspan marked as such.
    A row's number is the line where its first text stands in the visible text
    (html_to_lines), so that errors count the same lines in both readings."""
    parser = _parse(text)
    lines = _visible_lines(parser).splitlines()
    placed = _place(parser.rows, parser.table_starts)
    rows: list[tuple[int, list[Cell]]] = []
    cursor = 0
    for cells in placed:
        first = next((c.text.splitlines()[0].strip() for c in cells if c.text.strip()), "")
        at = next((i for i in range(cursor, len(lines)) if lines[i] == first), cursor)
        rows.append((at + 1, cells))
        cursor = at + 1 if first else cursor
    return Grid(rows)


def _place(rows: list[list[tuple[str, int, int]]], table_starts: set[int]) -> list[list[Cell]]:
    """HTML's table model: a cell with rowspan holds its columns in the rows below, and each
    later cell takes the next free column."""
    placed: list[list[Cell]] = []
    below: dict[int, tuple[int, tuple[int, int]]] = {}  # column → (rows left, origin)
    for r, html_cells in enumerate(rows):
        if r in table_starts:
            below = {}
        cells: list[Cell] = []
        for text, colspan, rowspan in html_cells:
            _fill_covered(cells, below)
            col = len(cells)
            cells.append(Cell(text))
            cells.extend(Cell("", (r, col)) for _ in range(colspan - 1))
            if rowspan > 1:
                for c in range(col, col + colspan):
                    below[c] = (rowspan - 1, (r, col))
        while below and len(cells) <= max(below):
            _fill_covered(cells, below)
            if below and len(cells) <= max(below) and len(cells) not in below:
                cells.append(Cell(""))
        placed.append(cells)
    return placed


def _fill_covered(cells: list[Cell], below: dict[int, tuple[int, tuple[int, int]]]) -> None:
    """Add the cells that rowspans from above cover at the row's next columns."""
    while len(cells) in below:
        left, origin = below[len(cells)]
        if left > 1:
            below[len(cells)] = (left - 1, origin)
        else:
            del below[len(cells)]
        cells.append(Cell("", origin))


def _parse(text: str) -> _Text:
    parser = _Text()
    parser.feed(text)
    parser.close()
    return parser


def _visible_lines(parser: _Text) -> str:
    lines = "".join(parser.parts).split("\n")
    return "\n".join(line.strip() for line in lines if line.strip()) + "\n"
