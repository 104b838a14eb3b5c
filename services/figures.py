"""Which figure a plain reply states toward which of its task's numeric targets.

"完成固定资产投资52.3亿元" on a task whose target is 固定资产投资 ≥ 2000亿元 records 52.3 (in the
target's unit: 5200万元 becomes 0.52 against an 亿元 target). A quantity whose unit fits no
target (8% against an 亿元 target) is left out, and the contact is told. A number that names
what it counts when no target names it (推进3个项目 against 2个先导型产业) is no figure either, and
neither is one that restates the target (占全年目标1087亿元的48%). When several pairs of
(quantity, target) remain, the words around each number pick the target whose label they share
(新增就业1.2万人 → 城镇新增就业, not 再就业); what is still ambiguous is asked with buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Target
from services.quantities import Quantity, convert, quantities
from services.target_progress import describe

RESTATING = ("目标", "任务数")  # context words of a number that is the target itself


@dataclass(frozen=True)
class Candidate:
    target_id: int
    ordinal: int
    label: str
    target: str  # the target as the task states it: ≥1087亿元
    figure: float  # in the target's unit
    unit_label: str  # the target's unit
    written: str  # as the contact wrote it: 52.3亿元


@dataclass(frozen=True)
class FigureMatch:
    candidates: list[Candidate]  # one: record it; several: ask which
    unfit: list[str]  # quantities whose unit fits none of the targets (8%, 3次)

    @property
    def figure(self) -> Candidate | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _shared(quantity: Quantity, target: Target) -> int:
    words = _bigrams(quantity.context) | _bigrams(quantity.noun)
    return len(words & _bigrams(target.label or ""))


def current_targets(session: Session, task_id: int) -> list[Target]:
    """The task's targets as its text states them now, in the order it states them."""
    return list(
        session.scalars(
            select(Target)
            .where(Target.task_id == task_id, Target.removed_at.is_(None))
            .order_by(Target.ordinal)
        )
    )


def match_figures(text: str, targets: Sequence[Target]) -> FigureMatch:
    """The figures `text` states toward `targets` (see the module docstring)."""
    pairs: list[tuple[int, Quantity, Target, float]] = []
    unfit: list[str] = []
    for q in quantities(text):
        fits = [(t, v) for t in targets if (v := convert(q, t.unit_label)) is not None]
        if not fits:
            unfit.append(q.written)
            continue
        if any(word in q.context for word in RESTATING):
            continue
        best = max(_shared(q, t) for t, _ in fits)
        if not best and q.noun:
            continue  # 推进3个项目: it counts something the targets do not name
        pairs.extend((best, q, t, v) for t, v in fits if _shared(q, t) == best)
    if any(score for score, *_ in pairs):  # some number names what it counts: trust those
        pairs = [p for p in pairs if p[0]]
    out: list[Candidate] = []
    for _, q, t, v in pairs:
        target = describe(t.comparator, t.value, t.unit_label)
        c = Candidate(t.id, t.ordinal, t.label, target, round(v, 6), t.unit_label, q.written)
        if c not in out:
            out.append(c)
    return FigureMatch(out, unfit)
