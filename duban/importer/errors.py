"""Errors of the table importer. Every one names the file and the line (or spreadsheet row)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class TableError(Exception):
    """A task table that cannot be imported. `str()` is `FILE:LINE: message`."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        self.readings: object = None  # a text layout's Readings, when it got that far
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class UnknownName:
    name: str
    lines: tuple[int, ...]
    suggestions: tuple[str, ...]
    place: str = ""  # where its first line is, when the number alone does not say (PDF page)

    @property
    def line(self) -> int:
        return self.lines[0]

    def describe(self, path: Path) -> str:
        hint = "、".join(self.suggestions) if self.suggestions else "(none)"
        more = f" (also lines {', '.join(map(str, self.lines[1:]))})" if len(self.lines) > 1 else ""
        place = f" ({self.place})" if self.place else ""
        return (
            f"{path}:{self.line}: unknown unit {self.name!r}{place}{more}; closest known: {hint}"
        )


class UnknownNamesError(TableError):
    """Names the table uses that are neither a unit, a group nor an alias: all of them at once."""

    def __init__(self, path: Path | str, unknown: list[UnknownName]) -> None:
        self.unknown = unknown
        super().__init__(path, unknown[0].line if unknown else None, "unknown unit names")

    def __str__(self) -> str:
        lines = [
            f"{self.path}: {len(self.unknown)} unknown unit name(s); nothing was imported.",
            *(u.describe(self.path) for u in self.unknown),
            "Add them to the config (as units or [aliases]) and run `duban init`, "
            "or import with --add-units to register them as new units.",
        ]
        return "\n".join(lines)
