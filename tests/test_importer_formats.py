"""The same table as XLSX, CSV (UTF-8, UTF-8 with BOM, GB18030) and GB18030 text."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from table_builders import COLUMNS, expected_seed, seed_rows, write_csv, write_xlsx

from duban.config import Config
from duban.importer import TableError, load_table, resolve_table
from duban.importer.html_text import html_to_lines


def _same_as_text(path: Path, config: Config, fmt: str) -> None:
    table = load_table(path)
    assert table.format == fmt
    assert resolve_table(table, config).as_json() == expected_seed()


def test_xlsx_gives_the_same_tasks(tmp_path: Path, seed_path: Path, config: Config) -> None:
    path = write_xlsx(tmp_path / "table.xlsx", seed_rows(seed_path))
    _same_as_text(path, config, "xlsx")
    assert load_table(path).title == "任务分解表"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_gives_the_same_tasks(
    tmp_path: Path, seed_path: Path, config: Config, encoding: str
) -> None:
    path = write_csv(tmp_path / "table.csv", seed_rows(seed_path), encoding=encoding)
    _same_as_text(path, config, "csv")


def test_csv_is_detected_by_content(tmp_path: Path, seed_path: Path, config: Config) -> None:
    path = write_csv(tmp_path / "table.txt", seed_rows(seed_path), encoding="gb18030")
    _same_as_text(path, config, "csv")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_text_in_other_encodings(
    tmp_path: Path, seed_path: Path, config: Config, encoding: str
) -> None:
    path = tmp_path / "table.txt"
    path.write_bytes(seed_path.read_text(encoding="utf-8").encode(encoding))
    _same_as_text(path, config, "text")


def test_sheet_with_numeral_sections_deadlines_and_merged_rows(
    tmp_path: Path, config: Config
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["沈河区任务分解表"])  # title row
    sheet.append([])
    sheet.append(COLUMNS)
    sheet.append(["一", "优结构、谋发展", None, None, None])  # 序号 holds the numeral
    sheet.append(
        [1, "1.第一项任务。", "区发改局、区工信局", "区商务局，各街道办事处", "2024年6月底"]
    )
    sheet.append([None, None, "区商务局", None, None])  # a merged cell continued
    sheet.append(["二、抓创新、强赋能", None, None, None, None])  # section across the row
    sheet.append([2, "第二项任务。", "政府办", None, None])  # one lead, no responsible
    sheet.append(["注：各牵头部门分管区领导负责组织推进相关工作"])
    book.save(tmp_path / "t.xlsx")
    table = load_table(tmp_path / "t.xlsx")
    assert [(t.number, t.line, t.deadline_text) for t in table.tasks] == [
        (1, 5, "2024年6月底"),
        (2, 8, ""),
    ]
    assert table.note.startswith("注：各牵头部门")
    resolved = resolve_table(table, config).as_json()
    assert resolved == [
        {
            "number": 1,
            "section": "一、优结构、谋发展",
            "text": "第一项任务。",
            "lead": ["区发改局", "区工信局", "区商务局"],
            "responsible": ["区商务局", "各街道办事处"],
        },
        {
            "number": 2,
            "section": "二、抓创新、强赋能",
            "text": "第二项任务。",
            "lead": ["区政府办"],
            "responsible": [],
        },
    ]


def test_saved_web_page(tmp_path: Path, seed_path: Path, config: Config) -> None:
    """The published page itself: each line of the seed in a table cell or paragraph."""
    lines = [x.strip() for x in seed_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    cells = "".join(f"<tr><td>{line}</td></tr>" for line in lines[17:-7])
    page = (
        "<!DOCTYPE html><html><head><title>沈河区</title><style>p{color:red}</style></head>"
        f"<body><p>{'</p><p>'.join(lines[:17])}</p><table>{cells}</table>"
        f"<p>{'</p><p>'.join(lines[-7:])}</p><script>var a = '1.x';</script></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="gb18030")
    table = load_table(path)
    assert table.format == "html"
    assert table.note == "注:各牵头部门分管区领导负责组织推进相关工作"
    assert resolve_table(table, config).as_json() == expected_seed()


def _html_table(rows: list[list[str]]) -> str:
    def tr(cells: list[str]) -> str:
        return "<tr>" + "".join(f"<td>{c.replace(chr(10), '<br>')}</td>" for c in cells) + "</tr>"

    body = "".join(tr(r) if r[0] else f'<tr><td colspan="5">{r[1]}</td></tr>' for r in rows)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>沈河区</title></head><body>'
        f"<p>2024年政府工作报告主要工作任务分解表</p><table>{tr(COLUMNS)}{body}</table>"
        "<p>注:各牵头部门分管区领导负责组织推进相关工作</p></body></html>"
    )


def test_web_page_with_a_real_table_is_read_by_column(
    tmp_path: Path, seed_path: Path, config: Config
) -> None:
    """A page whose table has a row of column names: cells, not lines, so that an empty 牵头单位
    cell is an error rather than the 责任单位 silently read as the lead."""
    rows = seed_rows(seed_path)
    path = tmp_path / "page.html"
    path.write_text(_html_table(rows), encoding="utf-8")
    table = load_table(path)
    assert table.format == "html" and table.note.startswith("注:各牵头部门")
    assert resolve_table(table, config).as_json() == expected_seed()

    index = next(i for i, r in enumerate(rows) if r[0] == "3")
    rows[index][2] = ""  # task 3 loses its lead; its 责任单位 cell is still there
    path.write_text(_html_table(rows), encoding="utf-8")
    lines = html_to_lines(path.read_text(encoding="utf-8")).splitlines()
    line = next(i for i, x in enumerate(lines, 1) if x == "3")
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value) == f"{path}:{line}: task 3 has no lead unit (牵头单位)"


def test_xlsx_table_on_a_later_sheet(tmp_path: Path, config: Config) -> None:
    book = Workbook()
    book.active.append(["说明：本表由区政府办编制"])
    sheet = book.create_sheet("分解表")
    sheet.append(COLUMNS)
    sheet.append([1, "任务一。", "区发改局", "区工信局", None])
    book.save(tmp_path / "t.xlsx")
    table = load_table(tmp_path / "t.xlsx")
    assert [(t.number, t.line) for t in table.tasks] == [(1, 2)]


def test_sheet_with_a_lead_cell_merged_over_several_tasks(tmp_path: Path, config: Config) -> None:
    """Tasks 1 and 2 share one merged 牵头单位 cell; task 1's own 序号 and text cells are
    merged over two rows whose 责任单位 cells are split (a continued task)."""
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    sheet.append(["", "一、优结构、谋发展", None, None, None])
    sheet.append([1, "第一项任务。", "区发改局", "区商务局", None])  # row 3
    sheet.append([None, None, None, "区金融局", None])  # row 4: task 1 continued
    sheet.append([2, "第二项任务。", None, "各街道办事处", None])  # row 5: lead merged from 3
    sheet.append([3, "第三项任务。", "区工信局", None, None])
    for area in ("A3:A4", "B3:B4", "C3:C5"):
        sheet.merge_cells(area)
    book.save(tmp_path / "t.xlsx")
    resolved = resolve_table(load_table(tmp_path / "t.xlsx"), config).as_json()
    assert [(t["number"], t["lead"], t["responsible"]) for t in resolved] == [
        (1, ["区发改局"], ["区商务局", "区金融局"]),
        (2, ["区发改局"], ["各街道办事处"]),
        (3, ["区工信局"], []),
    ]
