"""Numeric targets (量化目标) stated in a task's text, and their Target rows.

A target is an Arabic number followed directly by a measure word (亿元, 家, 个, 条, 万人, %…):
"服务业增加值达到1087亿元" → (>=, 1087, 亿元, label 服务业增加值). The rules, chosen so that the
numbers of a government work report that are *names* are left alone:

* only Arabic digits count: 五型经济, 十项举措, 三争取, 千百工程 name programmes, not targets;
* a number inside quotes or book-title marks (“15条”, “12345”, 《…》) is a name;
* a number that is part of a formula (2+5+N, 17+1), an ordinal (第3个) or followed by something
  that is not a measure word (2024年, 3月25日, 72号, 5A级, 12345热线, 8大项) is not a target;
* comparators come from the words around the number: 达到/不少于/不低于/至少/以上 → ">=",
  突破/超过/40余/40多 → ">", 控制在…以内/以下, 不超过/不高于 → "<=", 低于 → "<";
  a plain quantity after a verb (打造100个, 新增学位360个, 1.95万人) is something to achieve, so
  ">=" as well; "下降5%" is a decrease to achieve: (>=, 5, %) with 下降 in the label.

Progress toward a target is ``progress(target, figure)`` (services/target_progress.py, with
the aggregation of several units' figures): figure ÷ value for ">=" / ">" / "=";
for "<=" / "<" (a ceiling) it is 100 % while the figure stays within the limit and value ÷ figure
once it goes over.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.reports import Report
from db.models.tasks import Target, Task

# Measure words, longest first so that 亿元 wins over 元 and 个百分点 over 个.
_BASE_UNITS = (
    "个百分点",
    "百分点",
    "人次",
    "平方米",
    "公里",
    "千米",
    "公顷",
    "元",
    "人",
    "户",
    "家",
    "个",
    "条",
    "项",
    "所",
    "座",
    "处",
    "场",
    "次",
    "件",
    "台",
    "辆",
    "套",
    "间",
    "张",
    "名",
    "批",
    "栋",
    "吨",
    "亩",
    "米",
    "倍",
    "%",
)
_UNIT_RE = "(?:(?:亿|万|千)?(?:" + "|".join(re.escape(u) for u in _BASE_UNITS) + "))"
_NUMBER = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)(?P<approx>余|多)?(?P<unit>" + _UNIT_RE + r")(?P<after>以上|以内|以下)?"
)
# Words right before the number that set the comparator, longest first.
_BEFORE = (
    ("控制在", "<="),
    ("不少于", ">="),
    ("不低于", ">="),
    ("不超过", "<="),
    ("不高于", "<="),
    ("力争突破", ">"),
    ("力争达到", ">="),
    ("达到", ">="),
    ("突破", ">"),
    ("超过", ">"),
    ("至少", ">="),
    ("低于", "<"),
    ("达", ">="),
)
# Words that open a clause but say nothing about what is measured (力争金融机构总数).
_LEADING = ("力争", "全年", "确保", "实现")
_AFTER = {"以上": ">=", "以内": "<=", "以下": "<="}
_CLAUSE_END = "，,。；;：:！!？?\n"
_SUFFIX_END = _CLAUSE_END + "、和及与等（(0123456789"
_QUOTES = {"“": "”", "「": "」", "『": "』", "《": "》", "‘": "’", '"': '"'}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
LABEL_MAX = 60


@dataclass(frozen=True)
class ParsedTarget:
    comparator: str  # ">=", ">", "<=", "<" ("=" is never produced by the parser)
    value: float
    unit_label: str  # 亿元, 家, %, 万人…
    label: str  # what is measured: 服务业增加值
    raw: str  # the words of the text that state it: 达到1087亿元

    @property
    def key(self) -> tuple[str, float, str, str]:
        """What identifies a target across re-imports of an unchanged text."""
        return (self.comparator, self.value, self.unit_label, self.raw)


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        close = _QUOTES.get(text[i])
        if close is not None:
            j = text.find(close, i + 1)
            if j != -1:
                spans.append((i, j + 1))
                i = j + 1
                continue
        i += 1
    return spans


def _is_name(text: str, start: int, end: int, quoted: list[tuple[int, int]]) -> bool:
    if any(a <= start < b for a, b in quoted):
        return True
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before and (before in "+第.-/" or (before.isascii() and before.isalnum())):
        return True
    return after == "+"


def parse_targets(text: str) -> list[ParsedTarget]:
    """Every numeric target stated in a task's text, in reading order."""
    norm = text.translate(_FULLWIDTH)
    quoted = _quoted_spans(norm)
    found: list[ParsedTarget] = []
    prev_end = 0
    for m in _NUMBER.finditer(norm):
        if _is_name(norm, m.start(), m.end("num"), quoted):
            continue
        clause_start = max(
            prev_end, max((norm.rfind(c, 0, m.start()) + 1 for c in _CLAUSE_END), default=0)
        )
        prefix = norm[clause_start : m.start()].lstrip("、 　")
        comparator, raw_start = ">=", m.start()
        for word, comp in _BEFORE:
            if prefix.endswith(word):
                comparator, raw_start = comp, m.start() - len(word)
                prefix = prefix[: -len(word)]
                break
        if m.group("approx"):
            comparator = ">"
        if m.group("after"):
            comparator = _AFTER[m.group("after")]
        # The noun after the measure word when the number stands inside the phrase
        # (打造100个特色打卡地 → 特色打卡地).
        suffix_end = m.end()
        while suffix_end < len(norm) and norm[suffix_end] not in _SUFFIX_END:
            suffix_end += 1
        suffix = norm[m.end() : suffix_end]
        if _NUMBER.search(suffix) or any(word in suffix for word, _ in _BEFORE):
            suffix = ""
        label = prefix.strip()
        stripped = True
        while stripped:
            stripped = False
            for word in _LEADING:
                if label.startswith(word) and len(label) > len(word):
                    label, stripped = label[len(word) :], True
        label = (label + suffix.strip())[:LABEL_MAX]
        found.append(
            ParsedTarget(
                comparator=comparator,
                value=float(m.group("num")),
                unit_label=m.group("unit"),
                label=label,
                raw=text[raw_start : m.end()],
            )
        )
        prev_end = m.end()
    return found


def current_targets(task: Task) -> list[Target]:
    """The task's targets as its text states them now (kept-but-dropped ones left out)."""
    return [t for t in task.targets if t.removed_at is None]


def sync_task_targets(session: Session, task: Task, now: dt.datetime | None = None) -> bool:
    """(Re)write the Target rows of one task from its text. Idempotent: an unchanged text keeps
    every Target row and id. A target the text no longer states is deleted, unless a report
    points to it: then it is kept, marked ``removed_at`` and moved to ordinal ``-id``.
    Returns True when something changed."""
    now = now or dt.datetime.now(dt.UTC)
    parsed = parse_targets(task.text)
    # A text may state the same quantity twice (新建幼儿园2所 … 扩建2所): match as a multiset.
    existing: dict[tuple[str, float, str, str], list[Target]] = {}
    for t in current_targets(task):
        existing.setdefault((t.comparator, t.value, t.unit_label, t.raw), []).append(t)
    wanted = [(p, existing[p.key].pop(0) if existing.get(p.key) else None) for p in parsed]
    leftover = [t for rows in existing.values() for t in rows]
    changed = False
    referenced: set[int] = set()
    if leftover:
        ids = [t.id for t in leftover if t.id is not None]
        if ids:
            referenced = set(
                session.scalars(
                    select(Report.target_id).where(Report.target_id.in_(ids)).distinct()
                )
            )
    # Park every row that changes place at a negative ordinal first: (task_id, ordinal) is unique.
    for t in leftover:
        changed = True
        if t.id in referenced:
            t.removed_at = now
            t.ordinal = -t.id
        else:
            task.targets.remove(t)
            session.delete(t)
    moved = [(i, p, t) for i, (p, t) in enumerate(wanted, 1) if t is not None and t.ordinal != i]
    for _, _, t in moved:
        t.ordinal = -1_000_000 - t.id
    if leftover or moved:
        session.flush()
    for ordinal, (p, t) in enumerate(wanted, 1):
        if t is None:
            task.targets.append(
                Target(
                    ordinal=ordinal,
                    comparator=p.comparator,
                    value=p.value,
                    unit_label=p.unit_label,
                    label=p.label,
                    raw=p.raw,
                )
            )
            changed = True
        else:
            if t.ordinal != ordinal:
                t.ordinal = ordinal
                changed = True
            if t.label != p.label:
                t.label = p.label
                changed = True
    session.flush()
    return changed


def sync_targets(session: Session, now: dt.datetime | None = None) -> int:
    """Sync the targets of every task still in the table; returns how many tasks changed."""
    tasks = session.scalars(select(Task).where(Task.removed_at.is_(None))).all()
    return sum(sync_task_targets(session, task, now) for task in tasks)
