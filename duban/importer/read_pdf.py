"""A PDF: its ruled table read by column (pdfplumber), or its text read as text.

pdfplumber finds each page's table from the drawn lines and gives every cell's box; a box
spanning several rows or columns is a merged cell, and the Grid marks what it covers. The
text of a cell is re-flowed: a line that ran into the cell's right edge was wrapped (joined
without a break, so 区工信\\n局 stays one name), a shorter line ended on purpose (one unit per
line). Pages continue one table: rows are counted across pages, and a row cut by a page break
(no 序号 at the top of the next page) is joined to the row it continues.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from duban.importer.columns import has_header, header_index, names_only
from duban.importer.errors import TableError
from duban.importer.grid import Cell, Grid
from duban.importer.layout import CHINESE_NUMERALS, HEADER_LEAD, normalise_digits

_ITEM_START = re.compile(
    rf"^(\d{{1,4}}\s*[.．、]|\d{{1,4}}$|[{CHINESE_NUMERALS}]+\s*[、.．]|[（(][{CHINESE_NUMERALS}]+[）)]|"
    rf"第[{CHINESE_NUMERALS}]+部分|注\s*[:：])"
)
_NO_LINE_START = set("、，,。.；;：:）)」』”’！!？?%")
_SPACE = 3.0  # points: a wider gap between two characters is a space (pdfplumber's default)
_PADDING = 6.0  # points: at most the inner margin of a table cell (Word ≈ 5.4, others 6)


@dataclass
class PdfContent:
    grid: Grid | None  # the table's rows across pages, from the first page with a header
    page_starts: set[int]  # row numbers that are the first row of a page's table
    before: list[str]  # text above the table on its first page (the title)
    after: list[str]  # text below the table on its last page (the closing note)
    page_texts: list[str]  # without a table: the whole document as text, page by page


def read_pdf(path: Path) -> PdfContent:
    # imported here: pdfminer and pypdfium2 take a while to load, and only PDFs need them
    import pdfplumber
    from pdfminer.pdfexceptions import PDFException
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    try:
        with pdfplumber.open(path) as pdf:
            return _read(path, pdf)
    except (MalformedPDFException, PdfminerException, PDFException, PSException) as exc:
        raise TableError(path, None, f"not a readable PDF ({exc})") from exc


def _read(path: Path, pdf: Any) -> PdfContent:
    content = PdfContent(None, set(), [], [], [])
    width, ended = 0, False
    for page_number, raw_page in enumerate(pdf.pages, start=1):
        page = raw_page.dedupe_chars()  # bold faked by drawing each character twice
        for table in page.find_tables():
            cells = _table_cells(page, table)
            if content.grid is None:
                if not has_header(Grid(list(enumerate(cells, start=1))).plain()):
                    continue
                content.grid, width = Grid([]), max(map(len, cells))
                content.before = _outside(page, top=table.bbox[1])
            elif ended or max(map(len, cells), default=0) != width:
                ended = True  # another table after ours (a signature block, an annex)
                continue
            grid = content.grid
            content.page_starts.add(len(grid.rows) + 1)
            grid.places.update(
                (len(grid.rows) + r, f"page {page_number}, row {r} of its table")
                for r in range(1, len(cells) + 1)
            )
            grid.extend(cells)
            _continue_areas(grid, len(grid.rows) - len(cells))
            content.after = _outside(page, bottom=table.bbox[3])
    if content.grid is None:  # no table to read: the text is
        content.page_texts = [_page_text(page.dedupe_chars()) for page in pdf.pages]
    if content.grid is None and not any(t.strip() for t in content.page_texts):
        raise TableError(
            path, None, "the PDF has no text (a scanned image?): import the original file"
        )
    return content


def _continue_areas(grid: Grid, start: int) -> None:
    """A merged cell cut by a page break leaves an empty box at the top of the next page. When
    the cell above the break is covered by a merge going down to the page's end, the empty box
    (and what it covers) belongs to that merge; so does an empty 牵头单位 box under any lead
    (a task always has a lead: an empty one is a cut merged cell, not a missing value)."""
    if start == 0:
        return
    found = header_index(grid.plain())
    lead = found[1].get(HEADER_LEAD) if found else None
    first = next(
        (i for i in range(start, len(grid.rows)) if not names_only(grid.plain_row(i))), None
    )
    if first is None:
        return
    above, top = grid.rows[start - 1][1], grid.rows[first][1]
    for col in range(min(len(above), len(top))):
        cell = above[col]
        origin = cell.origin if cell.origin is not None else (start - 1, col)
        vertical = cell.origin is not None and cell.origin[1] == col
        if top[col].origin is not None or top[col].text.strip():
            continue
        if not (vertical or (col == lead and cell.origin is None and cell.text.strip())):
            continue
        for index in range(first, len(grid.rows)):
            row = grid.rows[index][1]
            if index == first or (col < len(row) and row[col].origin == (first, col)):
                row[col] = Cell("", origin)


def _table_cells(page: Any, table: Any) -> list[list[Cell]]:
    """The table's cells on a grid of its distinct column and row edges."""
    xs = sorted({round(x, 1) for box in table.cells for x in (box[0], box[2])})
    ys = sorted({round(y, 1) for box in table.cells for y in (box[1], box[3])})
    xs, ys = _dedupe(xs), _dedupe(ys)
    grid: list[list[Cell | None]] = [[None] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    # by the height of their middle, so that each cell looks only at its own band of the page
    chars = sorted(
        (c for c in page.chars if c.get("upright", True)), key=lambda c: c["top"] + c["bottom"]
    )
    middles = [c["top"] + c["bottom"] for c in chars]
    for box in sorted(table.cells, key=lambda b: (b[1], b[0])):
        c0, c1 = _index(xs, box[0]), _index(xs, box[2])
        r0, r1 = _index(ys, box[1]), _index(ys, box[3])
        band = chars[bisect_left(middles, 2 * box[1]) : bisect_right(middles, 2 * box[3])]
        grid[r0][c0] = Cell(_cell_text(box, band))
        for r in range(r0, max(r1, r0 + 1)):
            for c in range(c0, max(c1, c0 + 1)):
                if (r, c) != (r0, c0):
                    grid[r][c] = Cell("", (r0, c0))
    return [[c or Cell("") for c in row] for row in grid]


def _dedupe(edges: list[float]) -> list[float]:
    """Edges closer than 2 points are one line drawn twice."""
    out: list[float] = []
    for edge in edges:
        if not out or edge - out[-1] > 2:
            out.append(edge)
    return out


def _index(edges: list[float], value: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - value))


def _cell_text(box: tuple[float, float, float, float], chars: list[dict[str, Any]]) -> str:
    x0, _, x1, _ = box
    inside = [c for c in chars if x0 <= (c["x0"] + c["x1"]) / 2 <= x1]
    lines: list[list[dict[str, Any]]] = []
    for char in sorted(inside, key=lambda c: (round(c["top"]), c["x0"])):
        if lines and abs(char["top"] - lines[-1][0]["top"]) < char["size"] / 2:
            lines[-1].append(char)
        else:
            lines.append([char])
    for line in lines:
        line.sort(key=lambda c: c["x0"])
    pad = min([_PADDING, *(line[0]["x0"] - x0 for line in lines)])
    out = ""
    for i, line in enumerate(lines):
        out += line[0]["text"] + "".join(
            (" " if c["x0"] - before["x1"] > _SPACE else "") + c["text"]
            for before, c in pairwise(line)
        )
        if i + 1 < len(lines):
            room = x1 - pad - line[-1]["x1"]
            out += "" if room < _unbreakable_width(lines[i + 1]) else "\n"
    return out.strip()


def _page_text(page: Any) -> str:
    """The page's text, a line per line as printed, except that a line which runs to the right
    margin was wrapped (a long task) and goes on in the next: they are joined. A line ending a
    sentence (。；) or followed by what starts an item (`5.`, `一、`, `（一）`, `注：`) stays."""
    lines = page.extract_text_lines(return_chars=True)
    if not lines:
        return ""
    # the right margin: as far as the text goes, and at least mirroring the left one (a page of
    # short lines has none that reaches it)
    right = max(page.width - min(line["x0"] for line in lines), *(line["x1"] for line in lines))
    out = [lines[0]["text"]]
    for line, after in pairwise(lines):
        size = line["chars"][-1]["size"] if line["chars"] else 10.0
        wrapped = (
            right - line["x1"] < 1.5 * size
            and not line["text"].endswith(("。", "；", ";", "：", ":"))
            and not _ITEM_START.match(normalise_digits(after["text"]))
        )
        out.append(("" if wrapped else "\n") + after["text"])
    return "".join(out)


def _unbreakable_width(line: list[dict[str, Any]]) -> float:
    """The width the start of a line needed on the line before: its first character, with the
    punctuation that may not begin a line (、，。) that the typesetter moved along with it."""
    width = line[0]["x1"] - line[0]["x0"]
    for char in line[1:3]:
        if char["text"] not in _NO_LINE_START:
            break
        width += char["x1"] - char["x0"]
    return width


def _outside(page: Any, top: float | None = None, bottom: float | None = None) -> list[str]:
    """The page's text lines above `top` or below `bottom`."""
    box = (0, 0, page.width, top) if top is not None else (0, bottom, page.width, page.height)
    if box[3] - box[1] < 1:
        return []
    text = page.within_bbox(box).extract_text() or ""
    return [line.strip() for line in text.splitlines() if line.strip()]
