"""The 台账 (ledger): every task with its units' states, targets, latest figures and a light.

Two halves, so that the bot's /export and the charts reuse the first:

* ``collect_ledger(session, cfg, as_of)`` reads the database into plain dataclasses (no openpyxl);
* ``write_ledger(ledger, dest)`` turns them into an XLSX workbook; ``build_ledger`` does both.

Definitions (as of a date D, in the configured time zone):

* **overdue**: a period in state OPEN or RETURNED whose effective due date (an approved
  extension, else the scheduled date) is before D. Days overdue are *calendar* days, D − due:
  the working-day calendar lives in the engine (jobs/), which this module does not depend on.
* **due soon**: OPEN or RETURNED with the effective due date from D to D + 3 days.
* **light**: 红 when any unit of the task has an overdue period; 黄 when one is due soon or a
  report was returned (the unit must report again); 绿 otherwise (on track, reported or done).

Period states are read as they are now; reports are counted up to the end of D, so ``--at`` in
the past shows figures and reports as they were then.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models.periods import ACCEPTED, CANCELLED, DONE, OPEN, RETURNED, SUBMITTED, Period
from db.models.reports import REVIEW_RETURNED, Report
from db.models.tasks import LEAD, Assignment, Target, Task
from duban.config import Config
from duban.targets import describe, format_number, progress

RED, YELLOW, GREEN = "红", "黄", "绿"
DUE_SOON_DAYS = 3
ACTIVE = (OPEN, RETURNED)
ROLE_NAMES = {LEAD: "牵头", "responsible": "责任"}
_LIGHT_RANK = {GREEN: 0, YELLOW: 1, RED: 2}


# ----------------------------------------------------------------------------- data (pure)


@dataclass
class TargetStatus:
    target_id: int
    ordinal: int
    label: str
    comparator: str
    value: float
    unit_label: str
    figure: float | None = None
    figure_at: dt.datetime | None = None
    figure_unit: str = ""  # who reported the figure

    @property
    def text(self) -> str:
        return f"{self.label}{describe(self.comparator, self.value, self.unit_label)}"

    @property
    def progress(self) -> float | None:
        if self.figure is None:
            return None
        return progress(self.comparator, self.value, self.figure)


@dataclass
class OverdueItem:
    task_number: int
    task_text: str
    section: str
    unit: str
    role: str
    leads: list[str]
    period_label: str
    due: dt.date
    days_overdue: int
    state: str


@dataclass
class UnitStatus:
    unit: str
    role: str  # LEAD | RESPONSIBLE
    state: str  # overdue | returned | due_soon | submitted | accepted | done | open | none
    text: str  # 逾期3天, 已报送…
    light: str
    due: dt.date | None  # the due date that matters now (oldest overdue, else the next one)
    days_overdue: int = 0
    last_report_at: dt.datetime | None = None
    last_report_text: str = ""


@dataclass
class LedgerRow:
    number: int
    section: str
    text: str
    leads: list[str]
    responsibles: list[str]
    targets: list[TargetStatus]
    units: list[UnitStatus]
    last_report_at: dt.datetime | None
    last_report_unit: str
    last_report_text: str
    days_overdue: int
    light: str


@dataclass
class UnitOnTime:
    unit: str
    due: int  # periods whose due date has passed
    on_time: int  # … reported by their due date

    @property
    def rate(self) -> float:
        return self.on_time / self.due if self.due else 0.0


@dataclass
class Ledger:
    as_of: dt.date
    tz: ZoneInfo
    rows: list[LedgerRow]
    overdue: list[OverdueItem]
    on_time: list[UnitOnTime] = field(default_factory=list)
    reports_per_week: list[tuple[dt.date, int]] = field(default_factory=list)

    def by_lead(self) -> dict[str, list[tuple[LedgerRow, UnitStatus]]]:
        """Each lead department's tasks, unit by unit (the lead's own line first)."""
        out: dict[str, list[tuple[LedgerRow, UnitStatus]]] = defaultdict(list)
        for row in self.rows:
            for lead in row.leads:
                out[lead].extend((row, u) for u in row.units)
        return dict(out)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()


def short_section(section: str) -> str:
    """一、优结构、谋发展，在加快构建… → 一、优结构、谋发展 (up to the first comma)."""
    return section.split("，")[0].split(",")[0].strip()


def days_overdue(due: dt.date, as_of: dt.date) -> int:
    """Calendar days past the due date (0 when not past). See the module docstring."""
    return max((as_of - due).days, 0)


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _unit_status(
    assignment: Assignment,
    periods: list[Period],
    reports: list[Report],
    as_of: dt.date,
) -> tuple[UnitStatus, list[Period]]:
    name, role = assignment.unit.name, assignment.role
    periods = sorted(periods, key=lambda p: (p.effective_due, p.id))
    overdue = [p for p in periods if p.state in ACTIVE and p.effective_due < as_of]
    soon = [
        p
        for p in periods
        if p.state in ACTIVE and 0 <= (p.effective_due - as_of).days <= DUE_SOON_DAYS
    ]
    returned = [p for p in periods if p.state == RETURNED and p not in overdue]
    last = max(reports, key=lambda r: r.submitted_at, default=None)
    common: dict[str, Any] = {
        "unit": name,
        "role": role,
        "last_report_at": last.submitted_at if last else None,
        "last_report_text": last.text if last else "",
    }
    if overdue:
        first = overdue[0]
        days = days_overdue(first.effective_due, as_of)
        text = f"逾期{days}天" + (f"（{len(overdue)}期未报）" if len(overdue) > 1 else "")
        status = UnitStatus(
            state="overdue",
            text=text,
            light=RED,
            due=first.effective_due,
            days_overdue=days,
            **common,
        )
        return status, overdue
    if returned:
        due = returned[0].effective_due
        status = UnitStatus(
            state="returned", text=f"被退回，{_md(due)}前重报", light=YELLOW, due=due, **common
        )
        return status, []
    if soon:
        due = soon[0].effective_due
        left = (due - as_of).days
        text = "今日到期" if left == 0 else f"{left}天后到期（{_md(due)}）"
        return UnitStatus(state="due_soon", text=text, light=YELLOW, due=due, **common), []
    upcoming = [p for p in periods if p.state == OPEN and p.effective_due > as_of]
    closed = [p for p in periods if p.state in (SUBMITTED, ACCEPTED, DONE)]
    if closed and closed[-1].state == DONE:
        return UnitStatus(state="done", text="已办结", light=GREEN, due=None, **common), []
    parts = []
    state = "open" if upcoming else "none"
    if closed:
        state = "submitted" if closed[-1].state == SUBMITTED else "accepted"
        parts.append("已报送，待审核" if state == "submitted" else "已报送")
    if upcoming:
        parts.append(f"下期{_md(upcoming[0].effective_due)}截止")
    text = "；".join(parts) or "未排期"
    due = upcoming[0].effective_due if upcoming else None
    return UnitStatus(state=state, text=text, light=GREEN, due=due, **common), []


def collect_ledger(session: Session, cfg: Config, as_of: dt.date) -> Ledger:
    """Read the database into a Ledger as of the end of `as_of` (in cfg.tz)."""
    tz = cfg.tz
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tz)
    tasks = session.scalars(
        select(Task)
        .where(Task.removed_at.is_(None))
        .order_by(Task.number)
        .options(
            selectinload(Task.assignments).selectinload(Assignment.unit),
            selectinload(Task.targets),
        )
    ).all()
    periods_by_assignment: dict[int, list[Period]] = defaultdict(list)
    for period in session.scalars(
        select(Period).where(Period.starts_on <= as_of, Period.state != CANCELLED)
    ):
        periods_by_assignment[period.assignment_id].append(period)
    reports_by_assignment: dict[int, list[Report]] = defaultdict(list)
    all_reports: list[Report] = []
    for report, assignment_id in session.execute(
        select(Report, Period.assignment_id)
        .join(Period, Report.period_id == Period.id)
        .where(Report.submitted_at < cutoff)
        .order_by(Report.submitted_at, Report.id)
    ):
        reports_by_assignment[assignment_id].append(report)
        all_reports.append(report)

    rows: list[LedgerRow] = []
    overdue_items: list[OverdueItem] = []
    on_time: dict[str, list[int]] = {}
    for task in tasks:
        assignments = sorted(
            (a for a in task.assignments if a.removed_at is None),
            key=lambda a: (a.role != LEAD, a.position, a.id),
        )
        leads = [a.unit.name for a in assignments if a.role == LEAD]
        responsibles = [a.unit.name for a in assignments if a.role != LEAD]
        units: list[UnitStatus] = []
        task_reports: list[tuple[Report, str]] = []
        for a in assignments:
            periods = periods_by_assignment.get(a.id, [])
            reports = reports_by_assignment.get(a.id, [])
            status, late = _unit_status(a, periods, reports, as_of)
            units.append(status)
            task_reports.extend((r, a.unit.name) for r in reports)
            for p in late:
                overdue_items.append(
                    OverdueItem(
                        task_number=task.number,
                        task_text=task.text,
                        section=task.section,
                        unit=a.unit.name,
                        role=a.role,
                        leads=leads,
                        period_label=p.label,
                        due=p.effective_due,
                        days_overdue=days_overdue(p.effective_due, as_of),
                        state=p.state,
                    )
                )
            counts = on_time.setdefault(a.unit.name, [0, 0])
            for _due, ok in _on_time(periods, reports, as_of, tz):
                counts[0] += 1
                counts[1] += ok
        task_reports.sort(key=lambda ru: (ru[0].submitted_at, ru[0].id))
        last = task_reports[-1] if task_reports else None
        rows.append(
            LedgerRow(
                number=task.number,
                section=task.section,
                text=task.text,
                leads=leads,
                responsibles=responsibles,
                targets=_target_statuses(task.targets, task_reports),
                units=units,
                last_report_at=last[0].submitted_at if last else None,
                last_report_unit=last[1] if last else "",
                last_report_text=last[0].text if last else "",
                days_overdue=max((u.days_overdue for u in units), default=0),
                light=max((u.light for u in units), key=_LIGHT_RANK.__getitem__, default=GREEN),
            )
        )
    overdue_items.sort(key=lambda o: (-o.days_overdue, o.task_number, o.unit))
    weeks: dict[dt.date, int] = defaultdict(int)
    for r in all_reports:
        day = r.submitted_at.astimezone(tz).date()
        weeks[day - dt.timedelta(days=day.weekday())] += 1
    return Ledger(
        as_of=as_of,
        tz=tz,
        rows=rows,
        overdue=overdue_items,
        on_time=[UnitOnTime(u, c[0], c[1]) for u, c in on_time.items() if c[0]],
        reports_per_week=sorted(weeks.items()),
    )


def _on_time(
    periods: list[Period], reports: list[Report], as_of: dt.date, tz: ZoneInfo
) -> Iterable[tuple[dt.date, bool]]:
    """For each period whose due date has passed: was it reported by then?"""
    first: dict[int, dt.date] = {}
    for r in reports:  # in submission order
        first.setdefault(r.period_id, r.submitted_at.astimezone(tz).date())
    for p in periods:
        if p.effective_due >= as_of:
            continue
        if p.state == DONE and p.id not in first:
            continue  # closed by completion (办结), nothing was due
        reported = first.get(p.id)
        yield p.effective_due, reported is not None and reported <= p.effective_due


def _target_statuses(
    targets: list[Target], reports: list[tuple[Report, str]]
) -> list[TargetStatus]:
    current = [t for t in targets if t.removed_at is None]
    out = {
        t.id: TargetStatus(t.id, t.ordinal, t.label, t.comparator, t.value, t.unit_label)
        for t in current
    }
    for report, unit in reports:  # oldest first: the latest figure wins
        if report.figure is None or report.review_state == REVIEW_RETURNED:
            continue
        target_id = report.target_id
        if target_id is None and len(current) == 1:
            target_id = current[0].id  # one target: a bare figure is toward it
        status = out.get(target_id) if target_id is not None else None
        if status is not None:
            status.figure, status.figure_at, status.figure_unit = (
                report.figure,
                report.submitted_at,
                unit,
            )
    return sorted(out.values(), key=lambda s: s.ordinal)


# ----------------------------------------------------------------------------- XLSX


HEADERS = [
    ("序号", 6),
    ("所属板块", 18),
    ("主要工作任务", 48),
    ("牵头单位", 14),
    ("责任单位", 24),
    ("目标", 24),
    ("最新数值", 14),
    ("完成进度", 11),
    ("各单位状态", 32),
    ("最近报送日期", 13),
    ("最近报送内容", 36),
    ("逾期天数（自然日）", 10),
    ("状态灯", 7),
]
OVERDUE_HEADERS = [
    ("序号", 6),
    ("主要工作任务", 48),
    ("单位", 16),
    ("角色", 6),
    ("周期", 10),
    ("应报日期", 12),
    ("逾期天数（自然日）", 10),
    ("牵头单位", 16),
    ("所属板块", 18),
]
LEAD_HEADERS = [
    ("序号", 6),
    ("主要工作任务", 48),
    ("单位", 16),
    ("角色", 6),
    ("状态", 22),
    ("应报日期", 12),
    ("逾期天数（自然日）", 10),
    ("最近报送日期", 13),
    ("最近报送内容", 36),
    ("状态灯", 7),
]
LIGHT_STYLE = {  # fill, font colour
    RED: ("FFC7CE", "9C0006"),
    YELLOW: ("FFEB9C", "9C5700"),
    GREEN: ("C6EFCE", "006100"),
}
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})
DATE_FORMAT = "yyyy-mm-dd"


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (≤31 characters, none of []:*?/\\)."""
    base = name.translate(_BAD_SHEET_CHARS).strip("'") or "Sheet"
    title, n = base[:31], 1
    while title.lower() in taken:
        n += 1
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def _target_cells(row: LedgerRow) -> tuple[Any, Any, Any]:
    """目标, 最新数值, 完成进度: numbers for a single target, numbered lines for several."""
    ts = row.targets
    if not ts:
        return "", "", ""
    if len(ts) == 1:
        t = ts[0]
        figure = t.figure if t.figure is not None else ""
        prog = round(t.progress, 4) if t.progress is not None else ""
        return t.text, figure, prog
    targets = "\n".join(f"{i}. {t.text}" for i, t in enumerate(ts, 1))
    figures = "\n".join(
        f"{i}. {format_number(t.figure)}{t.unit_label}" if t.figure is not None else f"{i}. —"
        for i, t in enumerate(ts, 1)
    )
    progs = "\n".join(
        f"{i}. {t.progress:.1%}" if t.progress is not None else f"{i}. —"
        for i, t in enumerate(ts, 1)
    )
    return targets, figures, progs


def write_ledger(ledger: Ledger, dest: str | Path | io.BytesIO) -> None:
    """Write the workbook: 台账, 逾期, one sheet per lead department, 说明."""
    from openpyxl import Workbook

    wb = Workbook()
    taken = {"台账", "逾期", "说明"}
    ws = wb.active
    ws.title = "台账"
    body = []
    for row in ledger.rows:
        target, figure, prog = _target_cells(row)
        last_date = ledger.local_date(row.last_report_at) if row.last_report_at else None
        last_text = f"{row.last_report_unit}：{row.last_report_text}" if last_date else ""
        body.append(
            [
                row.number,
                short_section(row.section),
                row.text,
                "、".join(row.leads),
                "、".join(row.responsibles),
                target,
                figure,
                prog,
                "；\n".join(f"{u.unit}：{u.text}" for u in row.units),
                last_date,
                last_text,
                row.days_overdue,
                row.light,
            ]
        )
    _fill_sheet(ws, HEADERS, body, light_col=13, percent_col=8)

    ws = wb.create_sheet("逾期")
    body = [
        [
            o.task_number,
            o.task_text,
            o.unit,
            ROLE_NAMES.get(o.role, o.role),
            o.period_label,
            o.due,
            o.days_overdue,
            "、".join(o.leads),
            short_section(o.section),
        ]
        for o in ledger.overdue
    ]
    _fill_sheet(ws, OVERDUE_HEADERS, body)

    for lead, items in sorted(ledger.by_lead().items()):
        ws = wb.create_sheet(sheet_title(lead, taken))
        body = [
            [
                row.number,
                row.text,
                u.unit,
                ROLE_NAMES.get(u.role, u.role),
                u.text,
                u.due,
                u.days_overdue,
                ledger.local_date(u.last_report_at) if u.last_report_at else None,
                u.last_report_text,
                u.light,
            ]
            for row, u in items
        ]
        _fill_sheet(ws, LEAD_HEADERS, body, light_col=10)

    ws = wb.create_sheet("说明")
    notes = [
        ["截至日期", ledger.as_of],
        ["任务数", len(ledger.rows)],
        ["逾期事项", len(ledger.overdue)],
        ["红", "有单位逾期未报（含被退回后逾期）"],
        ["黄", f"{DUE_SOON_DAYS}天内到期，或报送被退回待重报"],
        ["绿", "按计划推进、已报送或已办结"],
        ["逾期天数", "自然日：截至日期减应报日期（有批准的延期时按延期后的日期）"],
        ["完成进度", "最新数值 ÷ 目标值；“不超过”类目标未超限为100%，超限为 目标值 ÷ 最新数值"],
    ]
    _fill_sheet(ws, [("项目", 12), ("说明", 70)], notes, light_col=None, filters=False)
    for r, (key, _) in enumerate(notes, 2):
        if key in LIGHT_STYLE:
            _paint(ws.cell(row=r, column=1), key)
    wb.save(dest)


def _paint(cell: Any, light: str) -> None:
    from openpyxl.styles import Font, PatternFill

    fill, colour = LIGHT_STYLE[light]
    cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
    cell.font = Font(color=colour, bold=True)


LINE_HEIGHT = 15  # points per line of 11-point text


def _lines(text: str, width: float) -> int:
    """About how many lines `text` takes wrapped in a column `width` characters wide."""
    total = 0
    for line in text.split("\n"):
        w = sum(1.8 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in line)
        total += max(1, math.ceil(w / max(width - 1.5, 1)))
    return total


def _fill_sheet(
    ws: Any,
    headers: list[tuple[str, int]],
    body: list[list[Any]],
    light_col: int | None = None,
    percent_col: int | None = None,
    filters: bool = True,
) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([h for h, _ in headers])
    for i, (_, width) in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="top", wrap_text=True)
    for values in body:
        ws.append(values)
        r = ws.max_row
        for c, value in enumerate(values, 1):
            cell = ws.cell(row=r, column=c)
            cell.border = border
            cell.alignment = centre if isinstance(value, int | float) or c == light_col else wrap
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
                cell.alignment = centre
            if c == percent_col and isinstance(value, float):
                cell.number_format = "0.0%"
        if light_col is not None and values[light_col - 1] in LIGHT_STYLE:
            _paint(ws.cell(row=r, column=light_col), values[light_col - 1])
        # Spreadsheet programs do not all grow rows for wrapped text on opening: set heights.
        lines = max(
            (_lines(v, headers[c][1]) for c, v in enumerate(values) if isinstance(v, str)),
            default=1,
        )
        ws.row_dimensions[r].height = min(LINE_HEIGHT * lines + 4, 400)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if filters:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(ws.max_row, 2)}"
    ws.row_dimensions[1].height = 30


def build_ledger(
    session: Session, cfg: Config, as_of: dt.date, dest: str | Path | None = None
) -> bytes:
    """The ledger workbook as XLSX bytes (also written to `dest` when given).
    For the bot's /export: ``await bot.send_document(chat, build_ledger(...), filename=...)``."""
    buf = io.BytesIO()
    write_ledger(collect_ledger(session, cfg, as_of), buf)
    data = buf.getvalue()
    if dest is not None:
        Path(dest).write_bytes(data)
    return data


def ledger_filename(as_of: dt.date) -> str:
    return f"督办台账_{as_of:%Y%m%d}.xlsx"
