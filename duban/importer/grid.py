"""A table as its reader sees it, merged cells included, turned into rows to parse by column.

XLSX, DOCX and PDF tables all merge cells: a 牵头单位 cell spanning the consecutive tasks it
leads, a 序号 and task cell spanning a task's several unit rows, a section heading spanning the
whole row. Each reader gives a Grid where a cell covered by a merged area knows the area's
top-left cell; `unmerge` decides what the covered cell means once the columns are known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from duban.importer.columns import SHARED, STARTS, Columns, Row, header_index
from duban.importer.errors import TableError
from duban.importer.layout import HEADER_TASK


@dataclass(frozen=True)
class Cell:
    text: str
    origin: tuple[int, int] | None = None  # covered: (row index, column) of its area's top-left


@dataclass
class Grid:
    rows: list[tuple[int, list[Cell]]]  # (row number as the user finds it, cells)
    # where a row is, when its number alone does not say: "page 7, row 11 of its table"
    places: dict[int, str] = field(default_factory=dict)

    def locate(self, exc: TableError) -> TableError:
        """The error with its row's place added."""
        where = self.places.get(exc.line or 0)
        return TableError(exc.path, exc.line, f"{exc.message} ({where})") if where else exc

    def extend(self, table: list[list[Cell]]) -> None:
        """Append a table that continues this one (its next page, or the next Word table):
        rows numbered on from the last, merged areas pointing into the appended rows."""
        offset = len(self.rows)
        for r, cells in enumerate(table):
            shifted = [
                c if c.origin is None else Cell("", (c.origin[0] + offset, c.origin[1]))
                for c in cells
            ]
            self.rows.append((offset + r + 1, shifted))

    def plain_row(self, index: int) -> list[str]:
        return [c.text if c.origin is None else "" for c in self.rows[index][1]]

    def plain(self) -> list[Row]:
        """Texts as printed: a covered cell is blank."""
        return [(n, [c.text if c.origin is None else "" for c in cells]) for n, cells in self.rows]


def unmerge(grid: Grid) -> tuple[list[Row], set[int]]:
    """Rows to parse by column, and the row numbers that are section headings (one merged
    cell across the row). A covered cell in a SHARED column takes its area's text when its row
    starts a task of its own (has its own 序号 or task text); otherwise it stays blank, so a
    row under a merged 序号 and task cell continues that task."""
    plain = grid.plain()
    found = header_index(plain)
    if found is None:
        return plain, set()
    header_at, columns = found
    starts = [columns[k] for k in STARTS if k in columns]
    shared = {columns[k] for k in SHARED if k in columns}
    headings: set[int] = set()
    rows: list[Row] = plain[: header_at + 1]
    for index in range(header_at + 1, len(grid.rows)):
        number, cells = grid.rows[index]
        texts = list(plain[index][1])
        if _is_heading(index, cells, columns):
            headings.add(number)
        elif any(i < len(cells) and cells[i].origin is None and texts[i].strip() for i in starts):
            for col in shared:
                cell = cells[col] if col < len(cells) else None
                if cell is not None and cell.origin is not None and cell.origin[1] == col:
                    texts[col] = grid.rows[cell.origin[0]][1][col].text
        rows.append((number, texts))
    return rows, headings


def _is_heading(index: int, cells: list[Cell], columns: Columns) -> bool:
    """All the row's text in one cell that spans the task column and another one."""
    own = [(i, c) for i, c in enumerate(cells) if c.origin is None and c.text.strip()]
    if len(own) != 1:
        return False
    start, cell = own[0]
    spanned = {start} | {i for i, c in enumerate(cells) if c.origin == (index, start)}
    return columns.get(HEADER_TASK) in spanned and len(spanned) >= 2 and not cell.text.isdigit()
