"""The units of one table row: which lead and which are responsible.

With a 牵头单位 column the columns say it. Tables with one unit column (责任单位 only) mark the
lead inside the cell — `区发改局（牵头）`, `区发改局牵头，区工信局配合`, labelled lines
`牵头单位：… 配合单位：…` — or list it first (the usual note: 排在首位的为牵头单位).
"""

from __future__ import annotations

import re

from duban.importer.layout import split_names
from duban.importer.table import RawName

_LABEL = re.compile(
    r"(牵头(?:单位|部门)?|主责(?:单位|部门)?|(?:责任|配合|协办|协同|参与|协助)(?:单位|部门)?)\s*[:：]"
)
_MARK = re.compile(r"\s*[（(]\s*(牵头|主责|配合|协办)\s*[）)]\s*$|(牵头|主责|配合|协办)$")


def unit_roles(
    lead: str, responsible: str, line: int, lone: bool
) -> tuple[list[RawName], list[RawName]]:
    """(leads, responsible) named by a row's lead and responsible cells. `lone`: the table has
    no lead column, so `responsible` is its only unit column (the caller lets the first name
    lead when nothing in the cells marks one)."""
    leads: list[RawName] = []
    others: list[RawName] = []
    for text, is_lead in ((lead, True), (responsible, False)):
        for part, labelled in _labelled_parts(text):
            role = is_lead if labelled is None else labelled
            for raw in split_names(part, line):
                name, marked = _marked(raw.name)
                if not name:
                    continue
                if marked is not None and (lone or labelled is None):
                    role = marked
                (leads if role else others).append(RawName(name, line))
                role = is_lead if labelled is None else labelled
    return leads, others


def _labelled_parts(text: str) -> list[tuple[str, bool | None]]:
    """The cell's text cut at role labels: (text, True for lead / False / None unlabelled)."""
    parts: list[tuple[str, bool | None]] = []
    last, role = 0, None
    for match in _LABEL.finditer(text):
        parts.append((text[last : match.start()], role))
        role = match.group(1).startswith(("牵头", "主责"))
        last = match.end()
    parts.append((text[last:], role))
    return [(part, r) for part, r in parts if part.strip(" \n;；。.")]


def _marked(name: str) -> tuple[str, bool | None]:
    """`区发改局（牵头）` → (区发改局, True); `区工信局配合` → (区工信局, False)."""
    match = _MARK.search(name)
    if match is None:
        return name, None
    word = match.group(1) or match.group(2)
    return name[: match.start()].strip(), word in ("牵头", "主责")
