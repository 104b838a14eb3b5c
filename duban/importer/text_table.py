"""The `table` layout (the seed: a government web page saved as text).

    …web page chrome…                  ignored
    2024年政府工作报告主要工作任务分解表    the title (the last line before the header)
    主要工作任务 / 牵头单位 / 责任单位        the header: three lines (or one line, or 序号 first)
    一、优结构、谋发展…                    a section
    5.加快推进“五型经济”…                  a task: `N.` / `N、` / `N．` then its text
    区发改局                               one line per lead unit (may hold several, 、-separated)
    区工信局
    区商务局
    各街道办事处                            the LAST unit line: the responsible units
    注：各牵头部门分管区领导负责组织推进相关工作   the closing note (kept in ParsedTable.note)
    文件链接:…                             page chrome again: the table ends

Blank lines anywhere are ignored. A task with a single unit line has that line as its lead and
no responsible units: a task always has a lead, and the published tables list the lead first.
A line right after the task line that reads like prose (has 。 or a very long "name") continues
the task text, for tables whose long tasks wrap onto a second line.
"""

from __future__ import annotations

from pathlib import Path

from duban.importer.errors import TableError
from duban.importer.layout import (
    HEADER_DEADLINE,
    HEADER_LEAD,
    HEADER_NUMBER,
    HEADER_RESPONSIBLE,
    HEADER_TASK,
    NOTE_RE,
    SECTION_RE,
    TASK_RE,
    normalise_digits,
    section_title,
    split_names,
)
from duban.importer.reading import (
    HEADER,
    LEAD,
    RESPONSIBLE,
    SECTION,
    TASK,
    TEXT,
    Readings,
)
from duban.importer.text_fields import CHROME_RE, body, preamble

NAME = "table"
_LONGEST_NAME = 30  # characters; a longer "name" on the line after a task is wrapped task text
_HEADER_WORDS = (HEADER_NUMBER, HEADER_TASK, HEADER_LEAD, HEADER_RESPONSIBLE, HEADER_DEADLINE)


def read(lines: list[str], path: Path) -> Readings:
    readings = Readings(NAME)
    header_end, header_start = find_header(lines, path)
    preamble(lines, readings, header_start, header_end)

    last = 0  # the last task number read
    in_task = False
    unit_lines: list[tuple[int, str]] = []

    def finish() -> None:
        for i, (number, unit_line) in enumerate(unit_lines):
            last_line = i == len(unit_lines) - 1 and len(unit_lines) > 1
            readings.add(number, RESPONSIBLE if last_line else LEAD, unit_line)
        unit_lines.clear()

    items = list(body(lines, readings, header_end, started=True))
    index = 0
    while index < len(items):
        number, line = items[index]
        index += 1
        if _is_header(line):
            readings.add(number, HEADER, line)  # the header repeated on a new page
            continue
        section_match = SECTION_RE.match(line)
        if section_match:
            finish()
            in_task = False
            title = section_title(section_match.group(1), section_match.group(2))
            readings.add(number, SECTION, title)
            continue
        if line.isdigit() and int(line) == last + 1 and index < len(items):
            # 序号 in a cell of its own (a web page's table): the task text is the next line
            text_at, text = items[index]
            if _plain(text):
                index += 1
                finish()
                last, in_task = int(line), True
                readings.add(number, TASK, "", number=last)
                readings.add(text_at, TEXT, text)
                continue
        task_match = TASK_RE.match(line)
        wrapped = in_task and not unit_lines and _continues(line)
        if task_match and (int(task_match.group(1)) == last + 1 or not wrapped):
            finish()
            last, in_task = int(task_match.group(1)), True
            readings.add(number, TASK, task_match.group(2).strip(), number=last)
            continue
        if not in_task:
            raise TableError(
                path, number, f"unit line {line[:40]!r} comes before any numbered task"
            )
        if wrapped:
            readings.add(number, TEXT, line)
            continue
        unit_lines.append((number, line))
    finish()
    return readings


def _is_header(line: str) -> bool:
    return all(word in _HEADER_WORDS for word in line.split())


def _plain(line: str) -> bool:
    """Plain text: no section, task, note or chrome line."""
    return not any(p.match(line) for p in (SECTION_RE, TASK_RE, NOTE_RE, CHROME_RE))


def _continues(line: str) -> bool:
    """Does this line, right after a task line, read as more task text rather than units?"""
    return "。" in line or any(len(part.name) > _LONGEST_NAME for part in split_names(line, 0))


def find_header(lines: list[str], path: Path) -> tuple[int, int]:
    """The index of the first line after the header, and the index of the header's first line.
    Raises TableError when there is none."""
    found = header_at(lines)
    if found is not None:
        return found
    first_task = next(
        (i + 1 for i, raw in enumerate(lines) if TASK_RE.match(normalise_digits(raw.strip()))),
        1,
    )
    raise TableError(
        path,
        first_task,
        "no table header found: expected the lines 主要工作任务 / 牵头单位 / 责任单位 "
        "before the first task",
    )


def header_at(lines: list[str]) -> tuple[int, int] | None:
    for start, raw in enumerate(lines):
        words = raw.split()
        if not words or words[0] not in (HEADER_NUMBER, HEADER_TASK):
            continue
        found: list[str] = []
        index = start
        while index < len(lines):
            words = lines[index].split()
            if words and not all(w in _HEADER_WORDS for w in words):
                break
            found.extend(words)
            index += 1
            if [w for w in found if w != HEADER_NUMBER][:3] == [
                HEADER_TASK,
                HEADER_LEAD,
                HEADER_RESPONSIBLE,
            ]:
                # an optional 完成时限 column header may follow (on the same or the next line)
                while index < len(lines) and lines[index].split() in ([], [HEADER_DEADLINE]):
                    if lines[index].split() == [HEADER_DEADLINE]:
                        index += 1
                        break
                    index += 1
                return index, start
    return None
