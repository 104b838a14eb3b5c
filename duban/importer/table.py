"""The parsed table: what a file says, before any name is looked up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duban.importer.reading import Reading


@dataclass(frozen=True)
class RawName:
    """One unit or group name as written, with the line (or spreadsheet row) it is on."""

    name: str
    line: int


@dataclass
class ParsedTask:
    number: int
    section: str
    text: str
    line: int  # where the task starts
    leads: list[RawName] = field(default_factory=list)
    responsible: list[RawName] = field(default_factory=list)
    deadline_text: str = ""
    leaders: list[RawName] = field(default_factory=list)  # 责任领导 / 分管区领导, as written


@dataclass
class ParsedTable:
    path: Path
    format: str  # "text" | "html" | "xlsx" | "csv" | "docx" | "pdf"
    tasks: list[ParsedTask] = field(default_factory=list)
    title: str = ""
    note: str = ""  # the closing note (注：…), kept verbatim
    sha256: str = ""
    # where a row is when its number alone does not say: "page 7, row 11 of its table"
    places: dict[int, str] = field(default_factory=dict)
    layout: str = ""  # the text layout it was read as (duban.importer.layouts), else ""
    readings: list[Reading] = field(default_factory=list)  # line by line, for --explain
    layout_forced: bool = False  # --layout asked for it

    @property
    def sections(self) -> list[str]:
        seen: dict[str, None] = {}
        for task in self.tasks:
            seen.setdefault(task.section, None)
        return list(seen)

    def where(self, line: int) -> str:
        return f"{self.path}:{line}"
