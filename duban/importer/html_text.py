"""A saved web page (.html): its visible text, one line per block element or table cell (read
as the text layout), and its table rows as cells (read like a sheet when a row holds the
column names: an empty 牵头单位 cell then stays empty instead of vanishing from the text)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

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
        self.rows: list[list[str]] = []  # every <tr>, its cells' text (<br> kept as a newline)
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
            return
        if tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and 0 < int(span) < 100 else 1
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
            self._row.extend([text.strip(), *[""] * (self._span - 1)])
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


def html_table_rows(text: str) -> list[tuple[int, list[str]]]:
    """The page's table rows as (line, cells): `line` is where the row's first cell stands in
    the visible text (html_to_lines), so that errors count the same lines in both readings."""
    parser = _parse(text)
    lines = _visible_lines(parser).splitlines()
    rows: list[tuple[int, list[str]]] = []
    cursor = 0
    for cells in parser.rows:
        first = next((c.splitlines()[0].strip() for c in cells if c.strip()), "")
        if not first:
            continue
        at = next((i for i in range(cursor, len(lines)) if lines[i] == first), cursor)
        rows.append((at + 1, cells))
        cursor = at + 1
    return rows


def _parse(text: str) -> _Text:
    parser = _Text()
    parser.feed(text)
    parser.close()
    return parser


def _visible_lines(parser: _Text) -> str:
    lines = "".join(parser.parts).split("\n")
    return "\n".join(line.strip() for line in lines if line.strip()) + "\n"
