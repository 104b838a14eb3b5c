"""Unit names as written → canonical unit and group names.

Spellings come from the database (units, groups, aliases, as `duban init` loaded them from the
config) or straight from a config. A name that is no known spelling but is two or more known
spellings glued together (区文旅局古城发展中心) splits into them. Everything unknown is reported
at once, with its lines and the closest known names.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Group, Unit, UnitAlias
from duban.config import Config
from duban.importer.errors import TableError, UnknownName, UnknownNamesError
from duban.importer.table import ParsedTable, RawName


def _key(name: str) -> str:
    """Lookup key: NFKC (full-width brackets and digits) without any whitespace."""
    return "".join(unicodedata.normalize("NFKC", name).split())


# A 各相关X / 各有关X name: units to be designated per task, never a task's lead.
PLACEHOLDER_RE = re.compile(r"^各(相关|有关)")


@dataclass
class NameIndex:
    spellings: dict[str, str]  # every spelling → canonical unit or group name
    groups: set[str] = field(default_factory=set)  # canonical group names
    placeholders: set[str] = field(default_factory=set)  # canonical 各相关X group names

    def __post_init__(self) -> None:
        self._by_key = {_key(s): c for s, c in self.spellings.items()}

    @classmethod
    def from_config(cls, cfg: Config) -> NameIndex:
        return cls(
            cfg.name_index(),
            {g.name for g in cfg.groups},
            {g.name for g in cfg.groups if g.relevant_of},
        )

    @classmethod
    def from_session(cls, session: Session) -> NameIndex:
        spellings: dict[str, str] = {}
        for name in session.scalars(select(Unit.name)):
            spellings[name] = name
        groups = set(session.scalars(select(Group.name)))
        placeholders = set(
            session.scalars(select(Group.name).where(Group.relevant_of_id.is_not(None)))
        )
        for name in groups:
            spellings[name] = name
        rows = session.execute(
            select(UnitAlias.alias, Unit.name, Group.name)
            .outerjoin(Unit, UnitAlias.unit_id == Unit.id)
            .outerjoin(Group, UnitAlias.group_id == Group.id)
        )
        for alias, unit_name, group_name in rows:
            target = unit_name or group_name
            if target:
                spellings[alias] = target
        return cls(spellings, groups, placeholders)

    def lookup(self, name: str) -> str | None:
        return self.spellings.get(name) or self._by_key.get(_key(name))

    def segment(self, name: str) -> list[str] | None:
        """Split a glued name into two or more known spellings, longest first; None unless the
        whole name splits cleanly."""
        key = _key(name)
        keys = sorted(self._by_key, key=len, reverse=True)

        @cache
        def rest(start: int) -> tuple[str, ...] | None:
            if start == len(key):
                return ()
            for k in keys:
                if k and key.startswith(k, start):
                    tail = rest(start + len(k))
                    if tail is not None:
                        return (self._by_key[k], *tail)
            return None

        parts = rest(0)
        return list(parts) if parts is not None and len(parts) >= 2 else None

    def closest(self, name: str, n: int = 3, cutoff: float = 0.5) -> tuple[str, ...]:
        """Known names that look like name: similar spellings (difflib), then spellings that
        contain it or that it contains."""
        found: list[str] = []
        contains = [s for s in self.spellings if len(s) > 1 and (s in name or name in s)]
        similar = difflib.get_close_matches(name, list(self.spellings), n=n + 2, cutoff=cutoff)
        for spelling in [*similar, *sorted(contains, key=len, reverse=True)]:
            canonical = self.spellings[spelling]
            if canonical not in found:
                found.append(canonical)
        return tuple(found[:n])

    def is_group(self, canonical: str) -> bool:
        return canonical in self.groups

    def is_placeholder(self, canonical: str) -> bool:
        return canonical in self.placeholders or bool(PLACEHOLDER_RE.match(canonical))


def guess_kind(name: str) -> str:
    """The kind of a unit registered by --add-units."""
    if name.endswith(("街道", "街道办事处", "街道办")):
        return "subdistrict"
    if name.endswith(("镇", "乡", "镇人民政府", "乡人民政府")):
        return "township"
    return "department"


@dataclass(frozen=True)
class NewUnit:
    name: str
    kind: str
    lines: tuple[int, ...]
    closest: tuple[str, ...] = ()  # known names it resembles: a typo rather than a new unit?


@dataclass
class ResolvedTask:
    number: int
    section: str
    text: str
    line: int
    lead: list[str]  # canonical unit or group names, in table order, no repeats
    responsible: list[str]
    deadline_text: str = ""
    leaders: list[str] = field(default_factory=list)  # 责任领导 / 分管区领导 names, as written

    @property
    def leaders_text(self) -> str:
        """As the database keeps them (Task.leaders): 、-joined, at most 300 characters."""
        return "、".join(self.leaders)[:300]

    def as_json(self) -> dict[str, Any]:
        """The dry-run contract: keys in this order, canonical names, groups unexpanded."""
        return {
            "number": self.number,
            "section": self.section,
            "text": self.text,
            "lead": list(self.lead),
            "responsible": list(self.responsible),
        }


@dataclass
class ResolvedTable:
    parsed: ParsedTable
    tasks: list[ResolvedTask]
    groups: set[str]  # which canonical names are groups
    new_units: list[NewUnit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # worth a word, not an error

    def as_json(self) -> list[dict[str, Any]]:
        return [t.as_json() for t in self.tasks]


def resolve_table(
    parsed: ParsedTable,
    names: Session | NameIndex | Mapping[str, str] | Config,
    add_units: bool = False,
    placeholder_lead: str = "",
) -> ResolvedTable:
    """Resolve every name; raise UnknownNamesError listing all unknown names (unless add_units,
    which turns them into new units, listed in ResolvedTable.new_units).

    A 各相关X placeholder cannot lead: beside a real lead it joins the responsible units; a task
    led by placeholders only is an error naming the task and its line, unless
    `placeholder_lead` (the config's [importer] placeholder_lead) names the unit that leads it.
    """
    index = _as_index(names)
    unknown: dict[str, list[int]] = {}

    def resolve(raws: list[RawName]) -> list[str]:
        out: list[str] = []
        for raw in raws:
            canonical = index.lookup(raw.name)
            found = [canonical] if canonical else index.segment(raw.name)
            if found is None:
                unknown.setdefault(raw.name, []).append(raw.line)
                found = [raw.name]
            out.extend(n for n in found if n not in out)
        return out

    tasks = [
        ResolvedTask(
            number=t.number,
            section=t.section,
            text=t.text,
            line=t.line,
            lead=resolve(t.leads),
            responsible=resolve(t.responsible),
            deadline_text=t.deadline_text,
            leaders=list(dict.fromkeys(r.name for r in t.leaders)),
        )
        for t in parsed.tasks
    ]
    if unknown and not add_units:
        raise UnknownNamesError(
            parsed.path,
            [
                UnknownName(
                    name,
                    tuple(dict.fromkeys(lines)),
                    index.closest(name, cutoff=0.7),
                    parsed.places.get(lines[0], ""),
                )
                for name, lines in sorted(unknown.items(), key=lambda item: item[1][0])
            ],
        )
    warnings = _no_placeholder_leads(parsed, tasks, index, placeholder_lead)
    new_units = [
        NewUnit(
            name, guess_kind(name), tuple(dict.fromkeys(lines)), index.closest(name, cutoff=0.7)
        )
        for name, lines in unknown.items()
    ]
    return ResolvedTable(parsed, tasks, set(index.groups), new_units, warnings)


def _no_placeholder_leads(
    parsed: ParsedTable, tasks: list[ResolvedTask], index: NameIndex, fallback: str
) -> list[str]:
    """Move 各相关X leads to the responsible units (see resolve_table); the warnings to give."""
    warnings: list[str] = []
    leaderless: list[ResolvedTask] = []
    lead_unit = index.lookup(fallback) if fallback else None
    for task in tasks:
        placeholders = [n for n in task.lead if index.is_placeholder(n)]
        if not placeholders:
            continue
        real = [n for n in task.lead if n not in placeholders]
        if not real and lead_unit is None:
            leaderless.append(task)
            continue
        moved = "、".join(placeholders)
        if real:
            warnings.append(
                f"{parsed.where(task.line)}: task {task.number}: {moved} cannot lead; "
                "made responsible"
            )
        else:
            real = [lead_unit]  # type: ignore[list-item]
            warnings.append(
                f"{parsed.where(task.line)}: task {task.number} has no real lead unit: "
                f"{lead_unit} leads it ([importer] placeholder_lead), {moved} made responsible"
            )
        task.lead = real
        task.responsible = [*placeholders, *(n for n in task.responsible if n not in placeholders)]
        task.responsible = [n for n in task.responsible if n not in real]
    if leaderless:
        first = leaderless[0]
        listed = ", ".join(f"task {t.number} (line {t.line})" for t in leaderless)
        raise TableError(
            parsed.path,
            first.line,
            f"{listed}: a 各相关X placeholder ({'、'.join(first.lead)}) cannot lead and there "
            "is no other lead unit; nothing was imported. Name the lead unit in the table, or "
            "set [importer] placeholder_lead in the config to the unit that leads such tasks",
        )
    return warnings


def _as_index(names: Session | NameIndex | Mapping[str, str] | Config) -> NameIndex:
    if isinstance(names, NameIndex):
        return names
    if isinstance(names, Session):
        return NameIndex.from_session(names)
    if isinstance(names, Config):
        return NameIndex.from_config(names)
    return NameIndex(dict(names))
