"""The one intermediate every text layout produces: what each line was read as.

A layout turns the file's lines into Readings, in line order (a line may give several: a task
line with its 牵头单位 in parentheses gives a task and a lead). `assemble` turns Readings into the
ParsedTable, the same way for every layout: sections, task numbering 1, 2, 3 …, text that
wraps, units and leaders. `duban import --explain` prints the Readings themselves.

A reader of another format (a DOCX paragraph list, a PDF page's text) can produce Readings too
and get the same checks and the same explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from duban.importer.errors import TableError
from duban.importer.layout import Numbering, check_task, split_names
from duban.importer.table import ParsedTable, ParsedTask, RawName

# What a line (or part of one) was understood as.
TITLE = "title"
HEADER = "header"
SECTION = "section"
SUBSECTION = "subsection"  # （一）… under a 一、… section, or an unnumbered sub-heading
TASK = "task"
TEXT = "text"  # more of the current task's text (a wrapped line)
LEAD = "lead"
RESPONSIBLE = "responsible"
LEADER = "leader"  # 责任领导 / 分管区领导
DEADLINE = "deadline"
NOTE = "note"
IGNORED = "ignored"
KINDS = (
    TITLE, HEADER, SECTION, SUBSECTION, TASK, TEXT, LEAD, RESPONSIBLE, LEADER, DEADLINE, NOTE,
    IGNORED,
)  # fmt: skip
NAME_KINDS = (LEAD, RESPONSIBLE, LEADER)
# A note saying the first unit listed leads (排名第一的为牵头单位 / 排在首位的单位牵头 …)
FIRST_LEADS_RE = re.compile(r"(排名|排在|列)?(第一|首位|第一位|首个).{0,8}(为|是)?牵头")

# Why a line was IGNORED
BEFORE = "before"  # before the table (the notice around it)
AFTER = "after"  # after the table (web page chrome)
PAGE_NUMBER = "page_number"
UNREAD = "unread"  # inside the table but no task, heading, label or name list


@dataclass
class Reading:
    line: int  # 1-based line number in the file
    kind: str  # one of KINDS
    value: str = ""  # the text as read (a task's text without its number, a name list …)
    number: int | None = None  # a task's number
    why: str = ""  # for IGNORED: why the line was left out (BEFORE, AFTER, …)

    def names(self) -> list[RawName]:
        return split_names(self.value, self.line) if self.kind in NAME_KINDS else []


@dataclass
class Readings:
    """A layout's result: the readings plus the layout's name."""

    layout: str
    items: list[Reading] = field(default_factory=list)
    tasks: int = 0  # how many TASK readings so far
    forced: bool = False  # the layout was asked for (--layout), not detected

    def add(
        self, line: int, kind: str, value: str = "", number: int | None = None, why: str = ""
    ) -> Reading:
        reading = Reading(line, kind, value.strip(), number, why)
        self.items.append(reading)
        self.tasks += kind == TASK
        return reading


def assemble(readings: Readings, path: Path, fmt: str = "text") -> ParsedTable:
    """The ParsedTable the readings describe. Lead, responsible and leader lines that come after
    a heading but before its first task apply to every task under that heading that names none
    of its own (tables that give one 牵头单位 for a whole subsection)."""
    table = ParsedTable(
        path=path,
        format=fmt,
        layout=readings.layout,
        readings=readings.items,
        layout_forced=readings.forced,
    )
    numbering = Numbering(path)
    section = ""
    task: ParsedTask | None = None
    # names given under a heading: [0] the section's, [1] the subsection's (it wins)
    defaults: tuple[dict[str, list[RawName]], dict[str, list[RawName]]] = ({}, {})
    level = 0  # the heading the names seen while no task is open belong to
    # Tables that give only 责任单位 and say the first one listed leads
    first_leads = any(
        FIRST_LEADS_RE.search(r.value)
        for r in readings.items
        if r.kind in (NOTE, IGNORED, TITLE, HEADER)
    )

    def finish() -> None:
        if task is None:
            return
        for kind, target in (
            (LEAD, task.leads),
            (RESPONSIBLE, task.responsible),
            (LEADER, task.leaders),
        ):
            if not target:
                target.extend(defaults[1].get(kind) or defaults[0].get(kind, []))
        if first_leads and not task.leads and task.responsible:
            task.leads.append(task.responsible.pop(0))
        check_task(path, task)
        table.tasks.append(task)

    for r in sorted(readings.items, key=lambda r: r.line):
        if r.kind == TITLE and not table.tasks and task is None:
            table.title = r.value  # the last one before the table: the nearest names it
        elif r.kind == NOTE:
            table.note = f"{table.note}\n{r.value}" if table.note else r.value
        elif r.kind in (SECTION, SUBSECTION):
            if r.kind == SUBSECTION and not section and r.value[:1] in "（(":
                r.kind = SECTION  # a table whose top headings are （一）…: they are its sections
            finish()
            task = None
            if r.kind == SECTION:
                section, level = r.value, 0
                defaults[0].clear()
            else:
                level = 1
            defaults[1].clear()
        elif r.kind == TASK:
            finish()
            assert r.number is not None
            numbering.check(r.number, r.line)
            task = ParsedTask(r.number, section, r.value, r.line)
        elif r.kind == TEXT:
            if task is None:
                raise TableError(path, r.line, f"text {r.value[:40]!r} before any numbered task")
            task.text += r.value
        elif r.kind == DEADLINE:
            if task is not None:
                task.deadline_text = r.value
        elif r.kind in NAME_KINDS:
            names = r.names()
            if task is not None:
                {LEAD: task.leads, RESPONSIBLE: task.responsible, LEADER: task.leaders}[
                    r.kind
                ].extend(names)
            elif section or level or numbering.last:
                defaults[level].setdefault(r.kind, []).extend(names)
            else:
                raise TableError(
                    path, r.line, f"unit line {r.value[:40]!r} comes before any numbered task"
                )
    finish()
    if not table.tasks:
        header = [r.line for r in readings.items if r.kind == HEADER]
        raise TableError(
            path,
            header[-1] if header else 1,
            f"the table has a header but no numbered task (read as the {readings.layout} layout)"
            if header
            else f"no numbered task found (read as the {readings.layout} layout)",
        )
    return table
