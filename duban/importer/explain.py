"""`duban import FILE --explain`: how each line of a table was read, in the user's language.

    版式：inline（自动识别）
    行号  识别为        内容
       3  章节          一、优结构、谋发展
       4  任务 1        主动对接国家战略……
          责任领导      张伟
          牵头单位      区发改局

A spreadsheet has no lines to explain: its rows are shown as the tasks they gave.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from duban.importer.reading import (
    IGNORED,
    LEAD,
    LEADER,
    RESPONSIBLE,
    TASK,
    Reading,
    Readings,
)
from duban.importer.table import ParsedTable
from duban.terminal_table import render_table
from messages.render import Renderer

_TEXT_WIDTH = 60  # display columns of a line's text before it is cut


def explain_table(table: ParsedTable, locale: str) -> str:
    """The explanation of a table that parsed."""
    words = _Words(locale)
    readings = table.readings or list(_sheet_readings(table))
    head = words("layout_forced" if table.layout_forced else "layout_detected",
                 name=table.layout or table.format)  # fmt: skip
    summary = words("summary", tasks=len(table.tasks), sections=len(table.sections))
    return "\n".join([head, *_rows(readings, words), summary])


def explain_readings(readings: Readings, locale: str) -> str:
    """The explanation of what a text layout read before it met an error."""
    words = _Words(locale)
    head = words("layout_forced" if readings.forced else "layout_detected", name=readings.layout)
    return "\n".join([head, *_rows(readings.items, words)])


def _rows(readings: Iterable[Reading], words: _Words) -> list[str]:
    rows: list[tuple[str, str, str]] = []
    previous = None
    for r in sorted(readings, key=lambda r: r.line):
        what = words(r.kind)
        if r.kind == TASK:
            what = f"{what} {r.number}"
        elif r.kind == IGNORED and r.why:
            what = f"{what}·{words(r.why)}"
        rows.append(("" if r.line == previous else str(r.line), what, r.value))
        previous = r.line
    headers = [words("col_line"), words("col_what"), words("col_text")]
    return render_table(headers, rows, right=[True], limits=[None, None, _TEXT_WIDTH])


class _Words:
    def __init__(self, locale: str) -> None:
        self.renderer = Renderer(locale)

    def __call__(self, what: str, **values: object) -> str:
        if values:
            return self.renderer.render("import_explain.j2", what=what, **values)
        return _word(self.renderer.locale, what)


@cache
def _word(locale: str, what: str) -> str:
    return Renderer(locale).render("import_explain.j2", what=what)


def _sheet_readings(table: ParsedTable) -> Iterable[Reading]:
    for task in table.tasks:
        yield Reading(task.line, TASK, task.text, task.number)
        for kind, names in ((LEAD, task.leads), (RESPONSIBLE, task.responsible),
                            (LEADER, task.leaders)):  # fmt: skip
            if names:
                yield Reading(names[0].line, kind, "、".join(n.name for n in names))
