"""What a simulation is asked (SimOptions) and what it found (SimResult), and one planned
report of a simulated contact."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SimOptions:
    start: dt.date
    end: dt.date
    reply_rate: float = 0.8
    late_rate: float = 0.2
    seed: int = 1
    table: Path | None = None
    save_to: Path | None = None


@dataclass
class SimResult:
    events: list[dict[str, Any]] = field(default_factory=list)  # the jsonl objects, in order
    messages: int = 0  # digests delivered
    items_by_kind: Counter[str] = field(default_factory=Counter)  # their items, per kind
    ticks: int = 0
    reports: int = 0
    designations: int = 0  # 各相关X placeholders the simulated leads designated
    reviews: int = 0  # reports the simulated leads reviewed (accepted)
    # unit → (periods due in the window, reported on time, reported late)
    per_unit: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    dead: int = 0


@dataclass(frozen=True)
class Planned:
    at: dt.datetime
    task: int
    unit: str
    period_id: int
    contact_id: int
    due: dt.date
    status: str
