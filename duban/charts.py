"""PNG charts of the ledger, in Chinese, drawn with matplotlib's Agg backend (no display).

The glyphs come from Noto Sans CJK (SIL Open Font License 1.1) shipped by the PyPI package
``manimgx-fonts-cjk``, a project dependency: the font is registered with matplotlib's font
manager at first use and every text of every chart is set in its Simplified Chinese face, so
no chart depends on the fonts of the machine.

Charts (``CHARTS``): on-time rate by unit, overdue items by section, overdue items by lead
department, tasks by status per section (with the light counts), reports per week, progress
toward targets. ``render_chart(name, session, cfg,
as_of)`` returns one PNG as bytes (the bot's /export uses it); ``write_charts`` writes them all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: never a display

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sqlalchemy.orm import Session

from duban.config import Config
from duban.ledger import Ledger, collect_ledger, short_section
from messages.vocabulary import Light, Status, light_word, status_word

CJK_FAMILY = "Noto Sans CJK SC"
FONT_FILE = "NotoSansCJK-VF.otf.ttc"
DPI = 120
BLUE, RED, GREEN, GREY = "#4472C4", "#C0504D", "#70AD47", "#A6A6A6"
_registered: Path | None = None


def cjk_font_path() -> Path:
    """The Noto Sans CJK file inside the installed ``manimgx_fonts_cjk`` package."""
    import manimgx_fonts_cjk

    path = Path(manimgx_fonts_cjk.__file__).with_name(FONT_FILE)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Noto Sans CJK missing; reinstall manimgx-fonts-cjk")
    return path


def ensure_cjk_font() -> Path:
    """Register the CJK font with matplotlib once; returns its file."""
    global _registered
    if _registered is None:
        path = cjk_font_path()
        fm = font_manager.fontManager
        fm.addfont(str(path))
        # The file is a variable font whose named default is "Thin" but which renders at its
        # regular weight; register it as normal so that lookups match without a warning.
        fm.ttflist = [
            dataclasses.replace(e, weight=400) if Path(e.fname) == path else e for e in fm.ttflist
        ]
        cache = getattr(fm, "_findfont_cached", None)
        if cache is not None:
            cache.cache_clear()
        found = fm.findfont(
            font_manager.FontProperties(family=CJK_FAMILY), fallback_to_default=False
        )
        if Path(found) != path:
            raise RuntimeError(f"matplotlib does not find {CJK_FAMILY} in {path} (got {found})")
        _registered = path
    return _registered


def cjk_font_properties() -> font_manager.FontProperties:
    ensure_cjk_font()
    return font_manager.FontProperties(family=CJK_FAMILY)


def _rc() -> dict[str, object]:
    ensure_cjk_font()
    return {
        "font.family": [CJK_FAMILY],
        "font.size": 10,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _short_section(section: str, limit: int = 16) -> str:
    return _short(short_section(section), limit)


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=14, color=GREY)
    ax.set_axis_off()


def _barh(ax: Axes, labels: list[str], values: list[float], color: str) -> None:
    ys = range(len(labels))
    ax.barh(list(ys), values, color=color)
    ax.set_yticks(list(ys), labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.grid(axis="x", alpha=0.3)


def _height(n: int) -> float:
    return max(3.0, 1.4 + 0.32 * n)


def chart_on_time(ledger: Ledger) -> Figure:
    stats = sorted(ledger.on_time, key=lambda s: (s.rate, -s.due, s.unit))
    fig = Figure(figsize=(8, _height(len(stats))))
    ax = fig.add_subplot()
    ax.set_title(f"各单位按时报送率（截至{ledger.as_of:%Y-%m-%d}）")
    if not stats:
        _empty(ax, "尚无到期的报送周期")
        return fig
    labels = [f"{s.unit}（{s.on_time}/{s.due}）" for s in stats]
    rates = [s.rate * 100 for s in stats]
    colors = [RED if r < 60 else BLUE if r < 90 else GREEN for r in rates]
    ys = list(range(len(stats)))
    ax.barh(ys, rates, color=colors)
    ax.set_yticks(ys, labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xlim(0, 105)
    ax.set_xlabel("按时报送率（%）")
    ax.grid(axis="x", alpha=0.3)
    for y, r in zip(ys, rates, strict=True):
        ax.text(r + 1, y, f"{r:.0f}%", va="center", fontsize=8)
    return fig


def chart_overdue_by_section(ledger: Ledger) -> Figure:
    sections: list[str] = []
    for row in ledger.rows:
        if row.section not in sections:
            sections.append(row.section)
    counts = Counter(o.section for o in ledger.overdue)
    fig = Figure(figsize=(8, _height(len(sections))))
    ax = fig.add_subplot()
    ax.set_title(f"各板块逾期事项（截至{ledger.as_of:%Y-%m-%d}，共{len(ledger.overdue)}项）")
    if not sections:
        _empty(ax, "尚无任务")
        return fig
    values = [counts.get(s, 0) for s in sections]
    _barh(ax, [_short_section(s) for s in sections], values, RED)
    ax.set_xlabel("逾期事项数")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return fig


def chart_overdue_by_lead(ledger: Ledger) -> Figure:
    counts: Counter[str] = Counter()
    for o in ledger.overdue:
        for lead in o.leads:
            counts[lead] += 1
    ranked = counts.most_common()
    fig = Figure(figsize=(8, _height(len(ranked))))
    ax = fig.add_subplot()
    ax.set_title(f"各牵头单位名下逾期事项（截至{ledger.as_of:%Y-%m-%d}）")
    if not ranked:
        _empty(ax, "无逾期事项")
        return fig
    _barh(ax, [u for u, _ in ranked], [n for _, n in ranked], RED)
    ax.set_xlabel("逾期事项数（含责任单位）")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return fig


# Colours of the status vocabulary (messages/vocabulary.py), mildest to most settled.
STATUS_COLOURS = {
    Status.NOT_STARTED: GREY,
    Status.ON_SCHEDULE: BLUE,
    Status.BEHIND: RED,
    Status.COMPLETED: GREEN,
    Status.CLOSED: "#375623",
}


def chart_status_by_section(ledger: Ledger) -> Figure:
    """Tasks per section by status, stacked; the title counts the lights (jobs/lights.py)."""
    sections: list[str] = []
    for row in ledger.rows:
        if row.section not in sections:
            sections.append(row.section)
    counts = Counter((row.section, row.status) for row in ledger.rows)
    lights = Counter(row.light for row in ledger.rows)
    fig = Figure(figsize=(8, _height(len(sections)) + 0.6))
    ax = fig.add_subplot()
    summary = "，".join(
        f"{light_word(light)}{lights[light]}" for light in (Light.RED, Light.YELLOW, Light.GREEN)
    )
    ax.set_title(f"各板块任务进展状态（截至{ledger.as_of:%Y-%m-%d}；状态灯：{summary}）")
    if not sections:
        _empty(ax, "尚无任务")
        return fig
    ys = list(range(len(sections)))
    left = [0] * len(sections)
    for status, colour in STATUS_COLOURS.items():
        values = [counts.get((s, status), 0) for s in sections]
        ax.barh(ys, values, left=left, color=colour, label=status_word(status))
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(ys, [_short_section(s) for s in sections])
    ax.set_ylim(len(sections) - 0.4, -0.6)
    ax.set_xlabel("任务数")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def chart_reports_per_week(ledger: Ledger) -> Figure:
    weeks = ledger.reports_per_week
    fig = Figure(figsize=(9, 3.8))
    ax = fig.add_subplot()
    ax.set_title(f"每周报送数量（截至{ledger.as_of:%Y-%m-%d}）")
    if not weeks:
        _empty(ax, "尚无报送")
        return fig
    counts = dict(weeks)
    first, last = weeks[0][0], weeks[-1][0]
    mondays = [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    xs = list(range(len(mondays)))
    ax.bar(xs, [counts.get(d, 0) for d in mondays], color=BLUE)
    step = max(1, -(-len(mondays) // 12))
    ax.set_xticks(xs[::step], [f"{d.month}/{d.day}" for d in mondays][::step])
    ax.set_xlabel("周（周一日期）")
    ax.set_ylabel("报送条数")
    ax.grid(axis="y", alpha=0.3)
    return fig


def chart_target_progress(ledger: Ledger) -> Figure:
    items = [(row.number, t) for row in ledger.rows for t in row.targets if t.figure is not None]
    missing = sum(1 for row in ledger.rows for t in row.targets if t.figure is None)
    fig = Figure(figsize=(8, _height(len(items))))
    ax = fig.add_subplot()
    title = f"量化目标完成进度（截至{ledger.as_of:%Y-%m-%d}）"
    if missing:
        title += f"\n另有{missing}项目标尚无报送数值"
    ax.set_title(title)
    if not items:
        _empty(ax, "尚无目标数值")
        return fig
    labels = [f"{n}. {_short(t.label)}（{t.unit_label}）" for n, t in items]
    values = [min((t.progress or 0) * 100, 150) for _, t in items]
    colors = [GREEN if v >= 100 else BLUE for v in values]
    ys = list(range(len(items)))
    ax.barh(ys, values, color=colors)
    ax.set_yticks(ys, labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.axvline(100, color=RED, linewidth=1, linestyle="--")
    ax.set_xlim(0, 160)
    ax.set_xlabel("完成进度（%，完成数值 ÷ 目标值）")
    ax.grid(axis="x", alpha=0.3)
    for y, (_, t) in zip(ys, items, strict=True):
        ax.text(min((t.progress or 0) * 100, 150) + 1, y, f"{(t.progress or 0):.0%}", va="center")
    return fig


CHARTS: dict[str, tuple[str, Callable[[Ledger], Figure]]] = {
    "on_time_by_unit": ("各单位按时报送率", chart_on_time),
    "overdue_by_section": ("各板块逾期事项", chart_overdue_by_section),
    "overdue_by_lead": ("各牵头单位逾期事项", chart_overdue_by_lead),
    "status_by_section": ("各板块任务进展状态", chart_status_by_section),
    "reports_per_week": ("每周报送数量", chart_reports_per_week),
    "target_progress": ("量化目标完成进度", chart_target_progress),
}


def render_ledger_chart(name: str, ledger: Ledger) -> bytes:
    """One chart of an already collected ledger, as PNG bytes."""
    if name not in CHARTS:
        raise KeyError(f"unknown chart {name!r}; choose one of {', '.join(CHARTS)}")
    with rc_context(_rc()):
        fig = CHARTS[name][1](ledger)
        fig.set_layout_engine("tight")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def render_chart(name: str, session: Session, cfg: Config, as_of: dt.date) -> bytes:
    """One chart (a key of CHARTS) as PNG bytes, for the bot's /export and the weekly digest."""
    return render_ledger_chart(name, collect_ledger(session, cfg, as_of))


def write_charts(session: Session, cfg: Config, as_of: dt.date, outdir: Path) -> list[Path]:
    """Every chart into `outdir` as <name>.png; returns the paths written."""
    ledger = collect_ledger(session, cfg, as_of)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in CHARTS:
        path = outdir / f"{name}.png"
        path.write_bytes(render_ledger_chart(name, ledger))
        paths.append(path)
    return paths
