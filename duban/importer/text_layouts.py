"""Which text layout a file is in, and reading it as that layout.

Layouts (`duban import FILE --layout NAME` forces one):
    table     the seed's: a header 主要工作任务 / 牵头单位 / 责任单位, then per task its unit lines
    labelled  牵头单位：… / 责任单位：… / 责任领导：… on lines of their own after each task
    inline    N.text（责任领导：…；牵头单位：…；责任单位：…） on the task's own line
    cells     one cell per line under a header such as 序号 / 主要工作举措 / 牵头单位 / 配合单位
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from duban.importer import text_cells, text_inline, text_labelled, text_table
from duban.importer.errors import TableError
from duban.importer.reading import Readings, assemble
from duban.importer.table import ParsedTable
from duban.importer.text_fields import LABEL_RE, clean, split_fields, task_line

Reader = Callable[[list[str], Path], Readings]
LAYOUTS: dict[str, Reader] = {
    text_table.NAME: text_table.read,
    text_labelled.NAME: text_labelled.read,
    text_inline.NAME: text_inline.read,
    text_cells.NAME: text_cells.read,
}


def detect(lines: list[str]) -> str | None:
    """The layout the lines are in, or None. Labels decide first (a task line that carries its
    fields: inline; label lines of their own: labelled), then the kind of header."""
    tasks = inline = labelled = 0
    for raw in lines:
        line = clean(raw)
        before, fields, _ = split_fields(line)
        if task_line(before) is not None:
            tasks += 1
            inline += bool(fields)
        elif fields and not before and LABEL_RE.match(line):
            labelled += 1
    if tasks and inline * 2 >= tasks:
        return text_inline.NAME
    if tasks and labelled >= tasks // 2 and labelled > inline:
        return text_labelled.NAME
    cells_header = text_cells.find_header(lines)
    if cells_header is not None:
        # the seed's own columns read best as `table` (its 牵头单位 cell spans several lines)
        seed_columns = set(cells_header[2]) <= {"number", "task", "lead", "responsible", "deadline"}
        table = seed_columns and text_table.header_at(lines) is not None
        return text_table.NAME if table else text_cells.NAME
    if inline or labelled:
        return text_inline.NAME if inline >= labelled else text_labelled.NAME
    return None


def read_text(text: str, path: Path, layout: str | None = None) -> ParsedTable:
    """Parse a text table in the given layout, or the detected one."""
    lines = text.splitlines()
    forced = layout is not None
    if layout is None:
        layout = detect(lines)
    if layout is None:
        first_task = next((i + 1 for i, raw in enumerate(lines) if task_line(clean(raw))), 1)
        raise TableError(
            path,
            first_task,
            "no table header found, and no other layout recognised: expected a header "
            "主要工作任务 / 牵头单位 / 责任单位, "
            "or 牵头单位：… lines after each task, or （牵头单位：…） at the end of each task; "
            f"try `duban import --explain --layout NAME` ({', '.join(LAYOUTS)})",
        )
    if layout not in LAYOUTS:
        raise TableError(path, None, f"unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
    readings = LAYOUTS[layout](lines, path)
    readings.forced = forced
    try:
        return assemble(readings, path)
    except TableError as exc:
        exc.readings = readings  # what was read up to the error, for --explain
        raise
