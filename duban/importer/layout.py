"""Shapes shared by the text and spreadsheet readers: section titles, task numbers, name lists,
and the numbering rule (1, 2, 3 … with no repeat and no gap)."""

from __future__ import annotations

import re
from pathlib import Path

from duban.importer.errors import TableError
from duban.importer.table import ParsedTask, RawName

HEADER_TASK = "主要工作任务"
HEADER_LEAD = "牵头单位"
HEADER_RESPONSIBLE = "责任单位"
HEADER_NUMBER = "序号"
HEADER_DEADLINE = "完成时限"
HEADER_LEADER = "责任领导"  # or 分管区领导: the district leader in charge of the task

CHINESE_NUMERALS = "一二三四五六七八九十百零〇"
# 一、优结构… / 十二．… ; a bare numeral (spreadsheet 序号 cell) is matched separately.
SECTION_RE = re.compile(rf"^([{CHINESE_NUMERALS}]+)\s*[、.．]\s*(\S.*)$")
SECTION_NUMERAL_RE = re.compile(rf"^([{CHINESE_NUMERALS}]+)\s*[、.．]?$")
# 5.加快推进… / 5、… / 5．… (full-width digits are folded by normalise_digits first)
TASK_RE = re.compile(r"^(\d{1,4})\s*[.．、]\s*(\S.*)$")
NOTE_RE = re.compile(r"^注\s*[:：]")
# Name lists: 、 is the table's own separator; commas, semicolons, spaces and newlines also occur.
NAME_SEPARATORS = re.compile(r"[、，,；;/／\s\u3000]+")

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalise_digits(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS)


_OPENERS, _CLOSERS = "（(【[〔", "）)】]〕"


def split_names(text: str, line: int) -> list[RawName]:
    """A list of names. A separator inside brackets belongs to the name:
    区委办（区政府办、区档案局） is one name."""
    parts: list[str] = []
    depth, start = 0, 0
    text = text.strip()
    for i, ch in enumerate(text):
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(depth - 1, 0)
        elif depth == 0 and NAME_SEPARATORS.fullmatch(ch):
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    # "区工信局、区商务局等": no unit's name ends in 等 (and so on)
    parts = [p[:-1] if len(p) > 2 and p.endswith("等") else p for p in parts]
    return [RawName(part, line) for part in parts if part]


def section_title(numeral: str, rest: str) -> str:
    """One spelling for every section: `一、title`."""
    return f"{numeral}、{rest.strip()}"


class Numbering:
    """Task numbers must run 1, 2, 3 … : a repeat or a gap is an error naming the line."""

    def __init__(self, path: Path, what: str = "line") -> None:
        self.path = path
        self.what = what
        self.seen: dict[int, int] = {}
        self.last = 0

    def check(self, number: int, line: int) -> None:
        if number in self.seen:
            restart = (
                "; the numbering starts again (per section?): number the tasks 1, 2, 3 … "
                "through the whole table"
                if number == 1 and self.last > 1
                else ""
            )
            raise TableError(
                self.path,
                line,
                f"task number {number} is repeated (first at {self.what} {self.seen[number]})"
                + restart,
            )
        expected = self.last + 1
        if number != expected:
            kind = "out of order" if number < expected else "skips a number"
            raise TableError(
                self.path,
                line,
                f"task number {number} {kind}: expected {expected} after {self.last}",
            )
        self.seen[number] = line
        self.last = number


# Longer than any real table has (the seed's longest task text is 154 characters) and than the
# database keeps (sections, 完成时限, names): a cell or line that swallowed others.
MAX_TEXT = 2000
MAX_SECTION = 300
MAX_DEADLINE = 100
MAX_NAME = 100


def check_task(path: Path, task: ParsedTask) -> None:
    """A finished task has a lead, and no text, title or name longer than a table holds."""
    if not task.leads:
        raise TableError(path, task.line, f"task {task.number} has no lead unit (牵头单位)")
    for what, value, limit in (
        ("task text", task.text, MAX_TEXT),
        ("section title", task.section, MAX_SECTION),
        ("完成时限", task.deadline_text, MAX_DEADLINE),
    ):
        if len(value) > limit:
            raise TableError(
                path,
                task.line,
                f"task {task.number}: its {what} has {len(value)} characters (at most {limit}): "
                "did a cell or line swallow the ones after it?",
            )
    for raw in (*task.leads, *task.responsible):
        if len(raw.name) > MAX_NAME:
            raise TableError(
                path,
                raw.line,
                f"task {task.number}: a unit name of {len(raw.name)} characters (at most "
                f"{MAX_NAME}): {raw.name[:20]}…",
            )
