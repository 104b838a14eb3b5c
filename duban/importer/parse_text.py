"""The published text layout (the seed: a government web page saved as text).

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

import re
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
    Numbering,
    check_task,
    normalise_digits,
    section_title,
    split_names,
)
from duban.importer.table import ParsedTable, ParsedTask, RawName

# Lines of the web page around the table; the first of them after the table ends it.
CHROME_RE = re.compile(
    r"^(文件链接|相关链接|相关文件|附件[:：]|主办[:：]|承办[:：]|技术支持|政府网站标识码|网站标识码|"
    r"上一篇|下一篇|【?打印|【?关闭|扫一扫|分享到|ICP备案)"
)
PAGE_NUMBER_RE = re.compile(r"^(第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|[-—–]\s*\d+\s*[-—–])$")
_LONGEST_NAME = 30  # characters; a longer "name" on the line after a task is wrapped task text
_HEADER_WORDS = (HEADER_NUMBER, HEADER_TASK, HEADER_LEAD, HEADER_RESPONSIBLE, HEADER_DEADLINE)


def parse_text(text: str, path: Path) -> ParsedTable:
    lines = text.splitlines()
    header_end, header_line, title = _find_header(lines, path)
    table = ParsedTable(path=path, format="text", title=title)
    numbering = Numbering(path)
    section = ""
    task: ParsedTask | None = None
    unit_lines: list[tuple[int, str]] = []

    def finish() -> None:
        if task is None:
            return
        for number, unit_line in unit_lines[:-1] if len(unit_lines) > 1 else unit_lines:
            task.leads.extend(split_names(unit_line, number))
        if len(unit_lines) > 1:
            number, unit_line = unit_lines[-1]
            task.responsible.extend(split_names(unit_line, number))
        check_task(path, task)
        table.tasks.append(task)

    index = header_end
    while index < len(lines):
        number = index + 1
        line = normalise_digits(lines[index].strip().strip("\u3000\ufeff").strip())
        index += 1
        if not line or PAGE_NUMBER_RE.match(line) or _is_header(line):
            continue  # blank, a page number, or the header repeated on a new page
        if NOTE_RE.match(line):
            note = [line]
            while index < len(lines) and not CHROME_RE.match(lines[index].strip()):
                if lines[index].strip():
                    note.append(lines[index].strip())
                index += 1
            table.note = "\n".join(note)
            break
        if CHROME_RE.match(line):
            break
        section_match = SECTION_RE.match(line)
        if section_match:
            finish()
            task, unit_lines = None, []
            section = section_title(section_match.group(1), section_match.group(2))
            continue
        if line.isdigit() and int(line) == numbering.last + 1:
            # 序号 in a cell of its own (a web page's table): the task text is the next line
            following = _next_text(lines, index)
            if following is not None:
                index, text_line = following
                line = f"{line}.{text_line}"
        task_match = TASK_RE.match(line)
        wrapped = task is not None and not unit_lines and _continues(line)
        if task_match and (int(task_match.group(1)) == numbering.last + 1 or not wrapped):
            finish()
            task_number = int(task_match.group(1))
            numbering.check(task_number, number)
            task = ParsedTask(task_number, section, task_match.group(2).strip(), number)
            unit_lines = []
            continue
        if task is None:
            raise TableError(
                path, number, f"unit line {line[:40]!r} comes before any numbered task"
            )
        if wrapped:
            task.text += line
            continue
        unit_lines.append((number, line))
    finish()
    if not table.tasks:
        raise TableError(path, header_line, "the table has a header but no numbered task")
    return table


def _is_header(line: str) -> bool:
    return all(word in _HEADER_WORDS for word in line.split())


def _next_text(lines: list[str], index: int) -> tuple[int, str] | None:
    """The next non-blank line from index if it is plain text (not a section, task, note or
    chrome), with the index after it."""
    while index < len(lines):
        line = normalise_digits(lines[index].strip())
        index += 1
        if not line:
            continue
        if any(p.match(line) for p in (SECTION_RE, TASK_RE, NOTE_RE, CHROME_RE)):
            return None
        return index, line
    return None


def _continues(line: str) -> bool:
    """Does this line, right after a task line, read as more task text rather than units?"""
    return "。" in line or any(len(part.name) > _LONGEST_NAME for part in split_names(line, 0))


def _find_header(lines: list[str], path: Path) -> tuple[int, int, str]:
    """The index of the first line after the header, the header's last line, and the title."""
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
                header_line = index  # 1-based: the line holding 责任单位
                # an optional 完成时限 column header may follow (on the same or the next line)
                while index < len(lines) and lines[index].split() in ([], [HEADER_DEADLINE]):
                    if lines[index].split() == [HEADER_DEADLINE]:
                        index += 1
                        break
                    index += 1
                return index, header_line, _title_before(lines, start)
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


def _title_before(lines: list[str], start: int) -> str:
    for raw in reversed(lines[:start]):
        if raw.strip():
            return raw.strip()
    return ""


def names_of(raw: list[RawName]) -> list[str]:
    return [r.name for r in raw]
