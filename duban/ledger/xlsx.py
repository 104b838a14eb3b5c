"""The ledger as an XLSX workbook: 台账, 逾期, one sheet per lead department, 说明."""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from db.models.tasks import LEAD
from duban.config import Config
from duban.ledger import marker
from duban.ledger.collect import collect_ledger
from duban.ledger.model import Ledger, LedgerRow
from messages.render import short_section
from messages.vocabulary import (
    STATUS_MEANINGS,
    Light,
    light_meanings,
    light_word,
    status_word,
)
from services.target_progress import format_number

ROLE_NAMES = {LEAD: "牵头", "responsible": "责任"}
HEADERS = [
    ("序号", 6),
    ("所属板块", 18),
    ("主要工作任务", 48),
    ("牵头单位", 14),
    ("责任单位", 24),
    ("完成时限", 12),
    ("目标", 24),
    ("完成数值", 14),
    ("完成进度", 11),
    ("各单位状态", 32),
    ("最近报送日期", 13),
    ("最近报送内容", 36),
    ("逾期工作日", 10),
    ("累计逾期（期）", 9),
    ("进展状态", 9),
    ("状态灯", 7),
    ("分管区领导", 14),
]
OVERDUE_HEADERS = [
    ("序号", 6),
    ("主要工作任务", 48),
    ("单位", 16),
    ("角色", 6),
    ("周期", 10),
    ("应报日期", 12),
    ("逾期工作日", 10),
    ("牵头单位", 16),
    ("所属板块", 18),
    ("状态灯", 7),
]
LEAD_HEADERS = [
    ("序号", 6),
    ("主要工作任务", 48),
    ("单位", 16),
    ("角色", 6),
    ("状态", 22),
    ("应报日期", 12),
    ("逾期工作日", 10),
    ("最近报送日期", 13),
    ("最近报送内容", 36),
    ("累计逾期（期）", 9),
    ("状态灯", 7),
]
LIGHT_STYLE = {  # the light's word → fill, font colour
    light_word(Light.RED): ("FFC7CE", "9C0006"),
    light_word(Light.YELLOW): ("FFEB9C", "9C5700"),
    light_word(Light.GREEN): ("C6EFCE", "006100"),
}
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})
DATE_FORMAT = "yyyy-mm-dd"


def _column(headers: list[tuple[str, int]], name: str) -> int:
    """The 1-based column of a header."""
    return [h for h, _ in headers].index(name) + 1


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
    """目标, 完成数值, 完成进度: numbers for a single target, numbered lines for several."""
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
    wb.properties.creator = marker.CREATOR  # the importer refuses a workbook marked so
    wb.properties.keywords = marker.KEYWORDS
    wb.properties.title = f"督办台账（截至{ledger.as_of}）"
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
                row.deadline_cell,
                target,
                figure,
                prog,
                "；\n".join(f"{u.unit}：{u.text}" for u in row.units),
                last_date,
                last_text,
                row.days_overdue,
                row.missed,
                status_word(row.status),
                light_word(row.light),
                "、".join(row.leaders),
            ]
        )
    light, percent = _column(HEADERS, "状态灯"), _column(HEADERS, "完成进度")
    _fill_sheet(ws, HEADERS, body, light_col=light, percent_col=percent)

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
            light_word(o.light),
        ]
        for o in ledger.overdue
    ]
    _fill_sheet(ws, OVERDUE_HEADERS, body, light_col=len(OVERDUE_HEADERS))

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
                u.missed,
                light_word(u.light),
            ]
            for row, u in items
        ]
        _fill_sheet(ws, LEAD_HEADERS, body, light_col=len(LEAD_HEADERS))

    ws = wb.create_sheet("说明")
    notes = [
        [marker.AS_OF, ledger.as_of],
        ["任务数", len(ledger.rows)],
        ["逾期事项", len(ledger.overdue)],
        *[
            [light_word(light), meaning]
            for light, meaning in light_meanings(ledger.warn_within, ledger.lead_after)
        ],
        *[[status_word(status), meaning] for status, meaning in STATUS_MEANINGS.items()],
        [
            "逾期工作日",
            "应报日期之后至截至日期（含）的工作日数，按工作日历（法定节假日与调休）计算；"
            "有批准的延期时按延期后的日期",
        ],
        [
            "累计逾期",
            "已到应报日期、未按期报送的期次数（含已由后续报送结清的漏报期次和逾期补报）；"
            "漏报期次在后续报送后不再催办、不再计入“逾期”表",
        ],
        [
            "逾期表",
            "仍待报送且已过应报日期的期次，以及已过完成时限仍未办结的任务（周期：完成时限）",
        ],
        [
            "完成时限",
            "任务的最终期限：配置 [[deadlines]] 所设，否则任务分解表“完成时限”列所写的日期；"
            "过期仍未完成（“已完成”未经牵头单位审核通过）的单位继续按催办阶梯催办",
        ],
        [
            "完成数值",
            "各单位最新报送数值（按目标单位折算，被退回的不计）的合计；配置 [figures] 可按任务"
            "或目标改为取最大值（max）或最新一次报送（latest）",
        ],
        ["完成进度", "完成数值 ÷ 目标值；“不超过”类目标未超限为100%，超限为 目标值 ÷ 完成数值"],
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
