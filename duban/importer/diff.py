"""What an import changed (or, on a dry run, would change)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskChange:
    number: int
    changes: dict[str, tuple[str, str]]  # field → (old, new)


@dataclass(frozen=True)
class AssignmentChange:
    task: int
    unit: str
    role: str  # "lead" | "responsible"
    via_group: str | None = None


@dataclass(frozen=True)
class DesignationChange:
    task: int
    group: str
    role: str
    designated: bool = False  # settled by a [[designations]] entry of the config


@dataclass(frozen=True)
class UnitAdded:
    name: str
    kind: str


@dataclass
class ImportDiff:
    tasks_added: list[int] = field(default_factory=list)  # new, or back after a removal
    tasks_removed: list[int] = field(default_factory=list)
    tasks_changed: list[TaskChange] = field(default_factory=list)
    assignments_added: list[AssignmentChange] = field(default_factory=list)
    assignments_removed: list[AssignmentChange] = field(default_factory=list)
    designations_added: list[DesignationChange] = field(default_factory=list)
    designations_removed: list[DesignationChange] = field(default_factory=list)
    units_added: list[UnitAdded] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.tasks_added,
                self.tasks_removed,
                self.tasks_changed,
                self.assignments_added,
                self.assignments_removed,
                self.designations_added,
                self.designations_removed,
                self.units_added,
            )
        )

    def summary(self) -> dict[str, int]:
        return {
            "tasks_added": len(self.tasks_added),
            "tasks_removed": len(self.tasks_removed),
            "tasks_changed": len(self.tasks_changed),
            "assignments_added": len(self.assignments_added),
            "assignments_removed": len(self.assignments_removed),
            "designations_added": len(self.designations_added),
            "designations_removed": len(self.designations_removed),
            "units_added": len(self.units_added),
        }

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tasks_changed"] = [
            {"number": c.number, "changes": {k: list(v) for k, v in c.changes.items()}}
            for c in self.tasks_changed
        ]
        data["summary"] = self.summary()
        return data
