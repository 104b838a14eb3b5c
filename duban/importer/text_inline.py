"""The `inline` layout: each task's units in brackets at the end of its own text.

    一、优结构、谋发展                                   a section (also 第一部分 …)
    （一）壮大新兴产业                                    a subsection
    推动数字经济发展                                      an unnumbered sub-heading
    1.主动对接国家战略……（责任领导：张三、李四；牵头单位：区发改局；责任单位：区工信局）

Fields are split by `；` or `;` (or just follow each other), any of them may be absent, and
`（` `(` `：` `:` are alike. A task whose text wraps continues until its bracket of fields
closes; fields on a heading apply to the tasks under it that name none of their own.
"""

from __future__ import annotations

from pathlib import Path

from duban.importer.reading import (
    BEFORE,
    HEADER,
    IGNORED,
    SUBSECTION,
    TASK,
    TEXT,
    TITLE,
    Readings,
)
from duban.importer.text_fields import (
    body,
    header_columns,
    heading,
    is_title,
    skip_numbered_notice,
    split_fields,
    strip_block_end,
    task_line,
)

NAME = "inline"


def read(lines: list[str], path: Path) -> Readings:
    readings = Readings(NAME)
    in_task = False
    has_fields = False  # the open task has had its bracket of fields
    open_kind: str | None = None  # a bracket of fields wrapped: the field it is in
    text_done = False  # the open task's text ended with 。 and named no fields
    for number, line in body(lines, readings):
        if open_kind is not None:  # inside a bracket of fields that wrapped
            before, fields, _ = split_fields(line)
            closed = False
            for kind, value in [(open_kind, before)] * bool(before) + fields:
                value, closed_here = strip_block_end(value)
                readings.add(number, kind, value)
                open_kind, closed = kind, closed or closed_here
            open_kind = None if closed else open_kind
            continue
        before, fields, still_open = split_fields(line)
        head = heading(before) if before else None
        task = task_line(before) if before and head is None else None
        if head is not None:
            readings.add(number, head[0], head[1])
            in_task = False
        elif task is not None:
            readings.add(number, TASK, task[1], number=task[0])
            in_task, has_fields = True, False
            text_done = task[1].endswith("。") and not fields
        elif before and header_columns(before) is not None:
            readings.add(number, HEADER, before)
        elif before and not readings.tasks:
            title = is_title(before) and not fields
            readings.add(number, TITLE if title else IGNORED, before, why=BEFORE)
        elif before and in_task and not has_fields and not text_done:
            readings.add(number, TEXT, before)  # the task text wraps
            text_done = before.endswith("。") and not fields
        elif before:
            readings.add(number, SUBSECTION, before)  # an unnumbered sub-heading
            in_task = False
        for kind, value in fields:
            readings.add(number, kind, value)
            open_kind = kind if still_open else None
        has_fields = has_fields or bool(fields)
    return skip_numbered_notice(readings)
