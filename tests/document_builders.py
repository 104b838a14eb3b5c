"""Real Word and PDF task tables for importer tests, built from sheet rows
([序号, task, lead, responsible, 完成时限], as table_builders.seed_rows gives them).

Both merge cells the way published tables do: a section heading spans the whole row, and
consecutive tasks with the same 牵头单位 share one vertically merged cell.
"""

from __future__ import annotations

from pathlib import Path

from table_builders import COLUMNS

NOTE = "注：各牵头部门分管区领导负责组织推进相关工作"
TITLE = "2024年政府工作报告主要工作任务分解表"


def _lead_runs(rows: list[list[str]], lead_col: int) -> list[tuple[int, int]]:
    """(first, last) row indexes of consecutive task rows with the same lead text."""
    runs: list[tuple[int, int]] = []
    for i, row in enumerate(rows):
        if not row[0]:
            continue
        if runs and runs[-1][1] == i - 1 and rows[runs[-1][0]][lead_col] == row[lead_col]:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return [run for run in runs if run[1] > run[0]]


def write_docx(
    path: Path,
    rows: list[list[str]],
    columns: list[str] = COLUMNS,
    merge: bool = True,
) -> Path:
    """A title paragraph, the table (header row first), the closing note as a paragraph."""
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = document.styles["Table Grid"]  # ruled, as published tables are
    grid = [row.cells for row in table.rows]  # table.cell() walks the whole table each call
    for col, name in enumerate(columns):
        grid[0][col].text = name
    lead_col = _lead_column(columns)
    runs = _lead_runs(rows, 2) if merge and lead_col is not None else []
    shared = {i for a, b in runs for i in range(a + 1, b + 1)}
    for r, row in enumerate(rows, start=1):
        if not row[0] and merge:  # a section: one cell across the row
            grid[r][0].text = row[1]
            grid[r][0].merge(grid[r][-1])
            continue
        for col, value in enumerate(_ordered(row, columns)):
            if col != lead_col or r - 1 not in shared:  # else covered by the lead cell above
                grid[r][col].text = value
    for a, b in runs:
        grid[a + 1][lead_col].merge(grid[b + 1][lead_col])
    document.add_paragraph(NOTE)
    document.save(str(path))
    return path


def _lead_column(columns: list[str]) -> int | None:
    seed_names = [SYNONYM_OF.get(c, c) for c in columns]
    return seed_names.index("牵头单位") if "牵头单位" in seed_names else None


def _ordered(row: list[str], columns: list[str]) -> list[str]:
    """The row's values in the order of `columns` (names from COLUMNS or their synonyms)."""
    by_name = dict(zip(COLUMNS, row, strict=True))
    return [by_name.get(SYNONYM_OF.get(name, name), "") for name in columns]


# Column names other districts use, mapped to the seed's.
SYNONYM_OF = {
    "主要工作举措": "主要工作任务",
    "重点任务": "主要工作任务",
    "牵头部门": "牵头单位",
    "配合单位": "责任单位",
    "完成时间": "完成时限",
    "时间节点": "完成时限",
}


def write_pdf(path: Path, rows: list[list[str]], *, merge: bool = True) -> Path:
    """A ruled table drawn by reportlab with the built-in Adobe CID font STSong-Light (no font
    file needed; pdfplumber maps its glyphs back to Unicode), repeated header on every page."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cell", fontName="STSong-Light", fontSize=9, leading=12)

    def para(text: str) -> Paragraph:
        return Paragraph(text.replace("\n", "<br/>"), style)

    columns = COLUMNS
    widths = {"序号": 30, "牵头单位": 110, "责任单位": 170, "完成时限": 60}
    col_widths = [widths.get(SYNONYM_OF.get(c, c), 330) for c in columns]
    lead_col = _lead_column(columns)
    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, "black"),
        ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    data = [[para(c) for c in columns]]
    for r, row in enumerate(rows, start=1):
        if not row[0] and merge:
            data.append([para(row[1])] + [""] * (len(columns) - 1))
            commands.append(("SPAN", (0, r), (-1, r)))
        else:
            data.append([para(v) for v in _ordered(row, columns)])
    if lead_col is not None and merge:
        for a, b in _lead_runs(rows, 2):
            for r in range(a + 2, b + 2):
                data[r][lead_col] = ""
            commands.append(("SPAN", (lead_col, a + 1), (lead_col, b + 1)))
    table = Table(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    document = SimpleDocTemplate(str(path), pagesize=landscape(A4))
    document.build([para(TITLE), table, para(NOTE)])
    return path


def write_text_pdf(path: Path, lines: list[str], break_before: int | None = None) -> Path:
    """Lines as paragraphs (long ones wrap at the margin), no table: a text layout in a PDF.
    `break_before`: start a new page at that line."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("p", fontName="STSong-Light", fontSize=10, leading=14)
    flow: list = [Paragraph(line, style) for line in lines]
    if break_before is not None:
        flow.insert(break_before, PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4).build(flow)
    return path
