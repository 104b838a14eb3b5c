"""Which column is which: the header row of a task table, found by its column names.

Districts name the same columns differently (主要工作任务 / 重点任务 / 主要工作举措, 牵头单位 /
牵头部门, 责任单位 / 配合单位, 责任领导 / 分管区领导, 完成时限 / 时间节点 …) and put them in any
order, often under a title row, sometimes under a group cell (责任单位 spanning 牵头单位 and
配合单位 on a second header row). Every column is keyed by the seed's own name (HEADER_*).
"""

from __future__ import annotations

import re
from pathlib import Path

from duban.importer import layout
from duban.importer.errors import TableError

Row = tuple[int, list[str]]  # (row number, cell texts)
Columns = dict[str, int]  # HEADER_* → column index

# A row with its own value in one of these starts a task; a cell of the others merged down over
# several tasks holds for each of them (the same lead for three tasks).
STARTS = (layout.HEADER_NUMBER, layout.HEADER_TASK)
# A second responsible column (牵头单位 | 责任单位 | 配合单位): its units are responsible too.
MORE_RESPONSIBLE = "配合单位"
SHARED = (
    layout.HEADER_LEAD,
    layout.HEADER_RESPONSIBLE,
    MORE_RESPONSIBLE,
    layout.HEADER_LEADER,
    layout.HEADER_DEADLINE,
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Exact names (after removing spaces and bracketed remarks), then the words a longer or
# unlisted name is recognised by. The leader test comes first: 牵头区领导 is no unit column.
_EXACT: dict[str, tuple[str, ...]] = {
    layout.HEADER_NUMBER: _names("序号 编号 序 No NO"),
    layout.HEADER_TASK: _names(
        "主要工作任务 工作任务 任务 主要任务 "
        "重点任务 重点工作任务 任务内容 具体任务 主要工作举措 工作举措 "
        "主要举措 具体举措 工作措施 主要措施 具体措施 重点工作 主要工作 "
        "工作内容 工作事项 任务事项 目标任务 任务名称"
    ),
    layout.HEADER_LEAD: _names(
        "牵头单位 牵头部门 牵头责任单位 牵头科室 主责单位 主责部门 主办单位"
    ),
    layout.HEADER_RESPONSIBLE: _names(
        "责任单位 配合单位 责任部门 配合部门 协办单位 协同单位 参与单位 "
        "协助单位 配合责任单位 参加单位"
    ),
    layout.HEADER_LEADER: _names(
        "责任领导 分管区领导 分管领导 牵头区领导 责任区领导 区级领导 包保领导 联系区领导 牵头领导"
    ),
    layout.HEADER_DEADLINE: _names("完成时限 完成时间 时间节点 时限 完成期限 时限要求 时间要求"),
}
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (layout.HEADER_LEADER, re.compile(r"领导$")),
    (layout.HEADER_LEAD, re.compile(r"牵头|主责")),
    (layout.HEADER_RESPONSIBLE, re.compile(r"(配合|协办|协同|参与|协助|责任)(单位|部门)")),
    (layout.HEADER_DEADLINE, re.compile(r"时限|完成时间|时间节点|时间安排")),
    (layout.HEADER_TASK, re.compile(r"任务|举措|措施|目标|事项")),
)
_REMARK = re.compile(r"[（(【\[].*?[）)】\]]")
_BY_NAME = {name: key for key, names in _EXACT.items() for name in names}


def column_key(cell: str) -> tuple[str, bool] | None:
    """The column a header cell names, and whether by an exact name."""
    name = _REMARK.sub("", "".join(cell.split())).rstrip(":：")
    if not name or len(name) > 12:  # a header cell is a short name, not a sentence
        return None
    if name in _BY_NAME:
        return _BY_NAME[name], True
    for key, words in _WORDS:
        if words.search(name):
            return key, False
    return None


def columns_of(cells: list[str]) -> Columns:
    """Each column key → the first cell naming it (an exact name wins over a guessed one).
    Two unit columns and no lead one (责任单位 | 配合单位, 主责单位 | 协办单位): the first leads;
    two after a lead column (牵头单位 | 责任单位 | 配合单位): both are responsible."""
    found: dict[str, tuple[bool, int]] = {}
    units: list[int] = []
    for index, cell in enumerate(cells):
        key = column_key(cell)
        if key is None:
            continue
        name, exact = key
        if name == layout.HEADER_RESPONSIBLE:
            units.append(index)
        if name not in found or (exact and not found[name][0]):
            found[name] = (exact, index)
    columns = {name: index for name, (_, index) in found.items()}
    if layout.HEADER_LEAD not in columns and len(units) >= 2:
        columns[layout.HEADER_LEAD], columns[layout.HEADER_RESPONSIBLE] = units[:2]
        units = units[1:]
    if len(units) >= 2:
        columns[layout.HEADER_RESPONSIBLE], columns[MORE_RESPONSIBLE] = units[:2]
    return columns


def _is_header(columns: Columns) -> bool:
    return layout.HEADER_TASK in columns and (
        layout.HEADER_LEAD in columns or layout.HEADER_RESPONSIBLE in columns
    )


def header_index(rows: list[Row]) -> tuple[int, Columns] | None:
    """The index of the (last) header row and its columns, among the first 50 rows. A second
    header row under a group cell (责任单位 or 责任分工 over 牵头单位 | 配合单位) refines the
    first: its names replace the group cell's."""
    for index, (_, cells) in enumerate(rows[:50]):
        columns = columns_of(cells)
        if layout.HEADER_TASK not in columns:
            continue
        if index + 1 < len(rows) and names_only(rows[index + 1][1]):
            below = columns_of(rows[index + 1][1])
            if layout.HEADER_TASK not in below:
                merged = {k: v for k, v in columns.items() if v not in below.values()}
                merged.update(below)
                if _is_header(merged):
                    return index + 1, merged
        if _is_header(columns):
            return index, columns
    return None


def names_only(cells: list[str]) -> bool:
    """A header row (or the second row of one): every filled cell is a column name."""
    names = [c for c in cells if c.strip()]
    return len(names) >= 2 and all(column_key(c) for c in names)


def has_header(rows: list[Row]) -> bool:
    """Whether one of the first rows holds the column names (a table to read by column)."""
    return header_index(rows) is not None


def find_header(rows: list[Row], path: Path) -> tuple[int, Columns]:
    found = header_index(rows)
    if found is not None:
        return found
    for number, cells in rows[:50]:  # a header with a column missing or misspelt
        columns = columns_of(cells)
        if len(columns) >= 2 or (len(columns) == 1 and layout.HEADER_NUMBER in columns):
            missing = (
                "主要工作任务" if layout.HEADER_TASK not in columns else "牵头单位 or 责任单位"
            )
            raise TableError(
                path,
                number,
                f"the header row has no column {missing} (needed: the task and its units, "
                "e.g. 主要工作任务, 牵头单位, 责任单位; optional: 序号, 责任领导, 完成时限)",
            )
    raise TableError(
        path,
        rows[0][0] if rows else 1,
        "no header row found: expected columns such as 序号, 主要工作任务, 牵头单位, 责任单位 "
        "(and optionally 责任领导, 完成时限) in the first 50 rows",
    )
