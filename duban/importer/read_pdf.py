"""A PDF: its ruled table read by column (pdfplumber), or its text read as text.

pdfplumber finds each page's table from the drawn lines and gives every cell's box; a box
spanning several rows or columns is a merged cell, and the Grid marks what it covers. The
text of a cell is re-flowed: a line that ran into the cell's right edge was wrapped (joined
without a break, so 区工信\\n局 stays one name), a shorter line ended on purpose (one unit per
line). Pages continue one table: rows are counted across pages, and a row cut by a page break
(no 序号 at the top of the next page) is joined to the row it continues.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from duban.importer.columns import has_header
from duban.importer.errors import TableError
from duban.importer.grid import Cell, Grid

_SPACE = 3.0  # points: a wider gap between two characters is a space (pdfplumber's default)
_PADDING = 6.0  # points: at most the inner margin of a table cell (Word ≈ 5.4, others 6)


@dataclass
class PdfContent:
    grid: Grid | None  # the table's rows across pages, from the first page with a header
    pages: dict[int, tuple[int, int]]  # row number → (page, row of the page's table)
    page_starts: set[int]  # row numbers that are the first row of a page's table
    before: list[str]  # text above the table on its first page (the title)
    after: list[str]  # text below the table on its last page (the closing note)
    page_texts: list[str]  # the whole document as text, page by page


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
    content = PdfContent(None, {}, set(), [], [], [])
    width, ended = 0, False
    for page_number, raw_page in enumerate(pdf.pages, start=1):
        page = raw_page.dedupe_chars()  # bold faked by drawing each character twice
        content.page_texts.append(page.extract_text() or "")
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
            content.pages.update(
                (len(grid.rows) + r, (page_number, r)) for r in range(1, len(cells) + 1)
            )
            grid.extend(cells)
            content.after = _outside(page, bottom=table.bbox[3])
    if content.grid is None and not any(t.strip() for t in content.page_texts):
        raise TableError(
            path, None, "the PDF has no text (a scanned image?): import the original file"
        )
    return content


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
            out += "" if room < lines[i + 1][0]["x1"] - lines[i + 1][0]["x0"] else "\n"
    return out.strip()


def _outside(page: Any, top: float | None = None, bottom: float | None = None) -> list[str]:
    """The page's text lines above `top` or below `bottom`."""
    box = (0, 0, page.width, top) if top is not None else (0, bottom, page.width, page.height)
    if box[3] - box[1] < 1:
        return []
    text = page.within_bbox(box).extract_text() or ""
    return [line.strip() for line in text.splitlines() if line.strip()]
