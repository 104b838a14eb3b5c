"""PDF task tables: ruled tables across pages (merged cells, rows cut by a page break, errors
naming the page), PDFs without a table read as text, and files an office suite wrote."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pytest
from document_builders import write_pdf, write_text_pdf
from import_checks import check_two_row_header_table, same_as_seed
from table_builders import DATA, seed_rows

from duban.config import Config
from duban.importer import TableError, load_table, resolve_table


def test_seed_as_a_pdf_table_across_pages(tmp_path: Path, seed_path: Path, config: Config) -> None:
    table = same_as_seed(write_pdf(tmp_path / "分解表.pdf", seed_rows(seed_path)), config, "pdf")
    assert table.note.startswith("注：各牵头部门分管区领导")


def test_pdf_of_the_two_row_header_table_reads_the_same() -> None:
    """The Word table above exported as PDF by LibreOffice 7.4 (merged cells become boxes
    spanning rows and columns)."""
    check_two_row_header_table(load_table(DATA / "merged_header_libreoffice.pdf"), "pdf")


def test_pdf_errors_name_the_row_and_the_page(tmp_path: Path, seed_path: Path) -> None:
    rows = seed_rows(seed_path)
    late = next(i for i, row in enumerate(rows) if row[0] == "80")
    rows[late][2] = ""  # task 80 loses its lead (it shares no merged cell: its own differs)
    rows[late][3] = ""
    path = write_pdf(tmp_path / "bad.pdf", rows, merge=False)
    with pytest.raises(TableError) as err:
        load_table(path)
    message = str(err.value)
    found = re.fullmatch(
        rf"{re.escape(str(path))}:\d+: task 80 has no lead unit \(牵头单位\) "
        r"\(page (\d+), row (\d+) of its table\)",
        message,
    )
    assert found, message
    page, row = int(found[1]), int(found[2])
    with pdfplumber.open(path) as pdf:  # that page's table shows task 80 on that row
        assert pdf.pages[page - 1].extract_tables()[0][row - 1][0] == "80"
    assert page > 1


def _pdf_pages(path: Path, pages: list[list[list[str]]], widths: list[int]) -> Path:
    """One ruled table per page, as a PDF cuts a long table (each cell a plain string)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = TableStyle(
        [("GRID", (0, 0), (-1, -1), 0.5, "black"), ("FONTNAME", (0, 0), (-1, -1), "STSong-Light")]
    )
    flow: list = []
    for rows in pages:
        flow += [Table(rows, colWidths=widths, style=style), PageBreak()]
    SimpleDocTemplate(str(path), pagesize=A4).build(flow[:-1])
    return path


def test_pdf_row_cut_by_a_page_break_is_joined(tmp_path: Path, config: Config) -> None:
    header = ["序号", "主要工作任务", "牵头单位", "责任单位"]
    path = _pdf_pages(
        tmp_path / "cut.pdf",
        [
            [header, ["1", "第一项任务，", "区发改局", "区工信局"]],
            [header, ["", "跨页继续。", "", "区商务局"], ["2", "第二项。", "区财政局", ""]],
        ],
        [30, 200, 100, 100],
    )
    got = resolve_table(load_table(path), config).as_json()
    assert [(t["number"], t["text"], t["lead"], t["responsible"]) for t in got] == [
        (1, "第一项任务，跨页继续。", ["区发改局"], ["区工信局", "区商务局"]),
        (2, "第二项。", ["区财政局"], []),
    ]


def test_pdf_without_any_text_is_refused(tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "scan.pdf"
    canvas = Canvas(str(path))
    canvas.rect(50, 50, 200, 100)  # a picture of a table, no text
    canvas.save()
    with pytest.raises(TableError) as err:
        load_table(path)
    assert (
        str(err.value)
        == f"{path}: the PDF has no text (a scanned image?): import the original file"
    )


def test_seed_text_in_a_pdf_reads_like_the_text(
    tmp_path: Path, seed_path: Path, config: Config
) -> None:
    """No ruled table: the PDF's text is read as the text layout, task lines that wrapped at the
    margin joined again."""
    lines = [x for x in seed_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    same_as_seed(write_text_pdf(tmp_path / "text.pdf", lines), config, "pdf")


def test_text_pdf_errors_name_the_page(tmp_path: Path) -> None:
    lines = ["任务分解表", "主要工作任务", "牵头单位", "责任单位", "1.第一项。", "区发改局"]
    lines += ["1.又一项。", "区商务局"]  # on page 2: task number 1 again
    path = write_text_pdf(tmp_path / "bad.pdf", lines, break_before=6)
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value) == f"{path}:7: task number 1 is repeated (first at line 5) (page 2)"


@pytest.mark.parametrize("name", ["seed_table_libreoffice.docx", "seed_table_libreoffice.pdf"])
def test_seed_table_saved_by_an_office_suite(name: str, config: Config) -> None:
    """Files an office suite wrote (LibreOffice 7.4 re-saved write_docx's seed table as DOCX and
    exported it as PDF, with its own fonts, cell margins and line breaking): the PDF cuts rows
    and merged 牵头单位 cells at page ends and wraps names before 、."""
    same_as_seed(DATA / name, config, name.rsplit(".", 1)[1])
