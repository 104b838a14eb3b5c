"""The `labelled` layout: each task's units on lines of their own, introduced by a label.

    一、优结构、谋发展                       a section (also （一）… and 第一部分 …)
    1.主动对接国家战略……                     a task: `N.` / `N、` / `N．` then its text
    牵头单位：区发改局、区工信局               its lead units (、 ， , mixed)
    责任单位：区商务局，各街道办事处            its responsible units (配合单位 too)
    责任领导：张三                            its leader in charge (分管区领导 too)

There is no table header. Lines before the first task are the notice around the table. A line
between a task and its first label continues the task text; a line after a label that reads
like names continues that label's list; any other line after the labels is a sub-heading.
Several labels may share a line (牵头单位：X；责任单位：Y).
"""

from __future__ import annotations

from pathlib import Path

from duban.importer.reading import (
    BEFORE,
    HEADER,
    IGNORED,
    NAME_KINDS,
    SUBSECTION,
    TASK,
    TEXT,
    TITLE,
    UNREAD,
    Readings,
)
from duban.importer.text_fields import (
    body,
    header_columns,
    heading,
    is_title,
    looks_like_names,
    skip_numbered_notice,
    split_fields,
    task_line,
)

NAME = "labelled"


def read(lines: list[str], path: Path) -> Readings:
    readings = Readings(NAME)
    in_task = False
    last_kind: str | None = None  # the kind of the last label read for the open task
    waiting = False  # that label had no value: its value is on the next line
    for number, line in body(lines, readings):
        before, fields, _ = split_fields(line)
        head = heading(before) if before else None
        task = task_line(before) if before and head is None else None
        if head is not None:
            readings.add(number, head[0], head[1])
            in_task, last_kind = False, None
        elif task is not None:
            readings.add(number, TASK, task[1], number=task[0])
            in_task, last_kind = True, None
        elif before and header_columns(before) is not None:
            readings.add(number, HEADER, before)
            continue
        elif before and not readings.tasks:
            title = is_title(before) and not fields
            readings.add(number, TITLE if title else IGNORED, before, why=BEFORE)
        elif before and in_task and last_kind is None:
            readings.add(number, TEXT, before)
        elif before and last_kind in NAME_KINDS and (waiting or looks_like_names(before)):
            readings.add(number, last_kind, before)  # the list wrapped onto this line
        elif before and in_task and not fields:
            readings.add(number, SUBSECTION, before)  # an unnumbered sub-heading
            in_task, last_kind = False, None
        elif before:
            readings.add(number, IGNORED, before, why=UNREAD)
        waiting = False
        for kind, value in fields:
            readings.add(number, kind, value)
            last_kind, waiting = kind, not value
    return skip_numbered_notice(readings)
