"""The `cells` layout: a table copied from a web page or document, one cell per line.

    序号 / 主要工作举措 / 牵头单位 / 配合单位 / 责任领导     the header (one line or one per line)
    一、优结构、谋发展                                   a section row
    1                                                   序号 alone on its line
    主动对接国家战略……                                  the task text, without a number
    区发改局、区工信局                                   牵头单位
    区商务局、各街道办事处                                配合单位 (responsible units)
    张三                                                责任领导 (optional)

The header says which columns there are and in what order. Empty cells leave no line, so a row
may have fewer cells than columns: the task text and the lead are always there; of the rest, a
cell that reads like a person's name or title goes to the leader column, one that reads like a
date to the deadline column, the others fill the remaining columns in order. A row with more
lines than columns has a task text that wrapped.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

from duban.importer.errors import TableError
from duban.importer.reading import (
    BEFORE,
    DEADLINE,
    HEADER,
    IGNORED,
    LEAD,
    LEADER,
    RESPONSIBLE,
    TASK,
    TEXT,
    Readings,
)
from duban.importer.text_fields import (
    BARE_NUMBER_RE,
    body,
    header_columns,
    heading,
    looks_like_deadline,
    looks_like_names,
    looks_like_person,
    preamble,
    task_line,
)

NAME = "cells"
NUMBER, TASK_COLUMN = "number", "task"


def find_header(lines: list[str]) -> tuple[int, int, list[str]] | None:
    """(first header line index, index after the header, column kinds) of the first header
    that has a task column and a lead column; the header's words may share a line or not."""
    for start, raw in enumerate(lines):
        columns = header_columns(raw.strip())
        if columns is None:
            continue
        index = start + 1
        while index < len(lines):
            more = header_columns(lines[index].strip()) if lines[index].strip() else []
            if more is None:
                break
            columns += more
            index += 1
        if TASK_COLUMN in columns and (LEAD in columns or RESPONSIBLE in columns):
            return start, index, columns
    return None


def read(lines: list[str], path: Path) -> Readings:
    found = find_header(lines)
    if found is None:
        raise TableError(
            path,
            1,
            "no table header found: the cells layout needs a header such as "
            "序号 / 主要工作举措 / 牵头单位 / 配合单位 / 责任领导",
        )
    start, header_end, columns = found
    readings = Readings(NAME)
    preamble(lines, readings, start, header_end)
    after_number = [c for c in columns if c != NUMBER]

    last = 0
    row: list[tuple[int, str]] = []  # the open row's cells after its number

    def finish() -> None:
        if row:
            for (number, value), kind in zip(row, _place(row, after_number), strict=True):
                readings.add(number, kind, value)
            row.clear()

    for number, line in body(lines, readings, header_end, started=True):
        bare = BARE_NUMBER_RE.match(line)
        numbered = task_line(line)
        head = heading(line)
        if header_columns(line) is not None:
            finish()
            readings.add(number, HEADER, line)  # repeated on a new page
        elif bare and int(bare.group(1)) == last + 1:
            finish()
            last = int(bare.group(1))
            readings.add(number, TASK, "", number=last)
        elif numbered and numbered[0] == last + 1 and not row:
            # the 序号 and the text in one cell (1.主动对接…)
            finish()
            last = numbered[0]
            readings.add(number, TASK, "", number=last)
            row.append((number, numbered[1]))
        elif head is not None and (not row or len(row) >= 2):
            finish()
            readings.add(number, head[0], head[1])
        elif last:
            row.append((number, line))
        else:
            readings.add(number, IGNORED, line, why=BEFORE)
    finish()
    return readings


_OPTIONAL = (LEADER, DEADLINE, IGNORED, RESPONSIBLE)  # dropped first when cells are missing


_GROWS = {TEXT: 0, LEAD: 1, RESPONSIBLE: 2}  # columns whose cell may wrap, the likeliest first


def _place(cells: list[tuple[int, str]], columns: list[str]) -> list[str]:
    """The column kind of each cell of a row: of every way to read the row (a cell wrapped
    over several lines, some optional cells empty), the one whose cells fit their columns
    best; on a tie, the fewest empty cells, wrapped text before wrapped names, the latest
    columns empty."""
    kinds = [TEXT if c == TASK_COLUMN else c for c in columns]
    values = [value for _, value in cells]
    n = len(values)
    optional = [i for i, k in enumerate(kinds) if k in _OPTIONAL]
    best: tuple[tuple[int, int, int, int], list[str]] | None = None
    for drop in range(len(optional) + 1):
        for dropped in combinations(optional, drop):
            kept = [k for i, k in enumerate(kinds) if i not in dropped]
            extra = n - len(kept)
            if extra < 0:
                continue
            rank = sum(_OPTIONAL.index(kinds[i]) for i in dropped)  # prefer LEADER empty
            for spread in _spreads(kept, extra):
                placed = [k for k, times in zip(kept, spread, strict=True) for _ in range(times)]
                score = sum(_fit(kind, value) for kind, value in zip(placed, values, strict=True))
                wrapped = sum((t - 1) * _GROWS.get(k, 9) for k, t in zip(kept, spread, strict=True))
                key = (score, -drop, -wrapped, -rank)
                if best is None or key > best[0]:
                    best = (key, placed)
    if best is None:  # fewer cells than the required columns: keep them in order
        return [k for k in kinds if k not in _OPTIONAL][:n]
    return best[1]


def _spreads(kept: list[str], extra: int) -> list[list[int]]:
    """How many lines each kept column's cell takes, `extra` lines more than one each. Past a
    few extra lines only the task text grows (a runaway row is not worth the combinations)."""
    grow = [i for i, k in enumerate(kept) if k in _GROWS and (extra <= 6 or k == TEXT)]
    if not grow:
        return [[1] * len(kept)] if extra == 0 else []
    out: list[list[int]] = []

    def fill(at: int, left: int, spread: list[int]) -> None:
        if at == len(grow) - 1:
            spread[grow[at]] += left
            out.append(list(spread))
            spread[grow[at]] -= left
            return
        for take in range(left + 1):
            spread[grow[at]] += take
            fill(at + 1, left - take, spread)
            spread[grow[at]] -= take

    fill(0, extra, [1] * len(kept))
    return out


def _fit(kind: str, value: str) -> int:
    """How well a cell's text fits a column: more is better."""
    person, date = looks_like_person(value), looks_like_deadline(value)
    prose = "。" in value or value.endswith(("，", ","))
    if kind == LEADER:
        return 1 if person else -1
    if kind == DEADLINE:
        return 1 if date else -1
    if kind in (LEAD, RESPONSIBLE):
        return -2 if prose else -1 if person or date else 0
    if kind == TEXT:
        return -1 if looks_like_names(value) and not prose else 0
    return 0
