"""Word (DOCX) task tables, and sheets and web-page tables laid out as other districts lay
them out: columns in any order under other names, title rows, merged cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
from document_builders import write_docx, write_pdf
from import_checks import check_two_row_header_table, read_small, same_as_seed
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from table_builders import expected_seed, seed_rows, write_xlsx

from db.engine import transaction
from db.models import Assignment, Task, Unit
from duban.config import Config
from duban.importer import (
    TableError,
    UnknownNamesError,
    import_file,
    load_table,
    resolve_table,
)

NOW = dt.datetime(2024, 3, 20, 2, 0, tzinfo=dt.UTC)


def test_seed_as_a_word_table_with_merged_cells(
    tmp_path: Path, seed_path: Path, config: Config
) -> None:
    path = write_docx(tmp_path / "分解表.docx", seed_rows(seed_path))
    table = same_as_seed(path, config, "docx")
    assert table.title == "2024年政府工作报告主要工作任务分解表"
    assert table.note.startswith("注：各牵头部门分管区领导")
    # the lead cells of consecutive tasks with the same lead are merged (w:vMerge) in the file
    assert docx.Document(str(path)).element.body.xml.count("<w:vMerge/>") > 10


def test_seed_as_a_word_table_with_shuffled_renamed_columns(
    tmp_path: Path, seed_path: Path, config: Config
) -> None:
    columns = ["牵头部门", "时间节点", "序号", "配合单位", "主要工作举措"]
    path = write_docx(tmp_path / "其他区.docx", seed_rows(seed_path), columns=columns)
    same_as_seed(path, config, "docx")


def _docx(path: Path, header: list[list[str]], rows: list[list[str]]) -> docx.Document:
    document = docx.Document()
    document.add_paragraph("某区重点工作任务分解表")
    table = document.add_table(rows=len(header) + len(rows), cols=len(header[0]))
    for r, values in enumerate([*header, *rows]):
        cells = table.rows[r].cells
        for c, value in enumerate(values):
            cells[c].text = value
    document.save(str(path))
    return document


def test_word_table_with_a_two_row_header_and_a_task_over_two_unit_rows(
    tmp_path: Path, config: Config
) -> None:
    """责任单位 spans 牵头单位|配合单位 on a second header row; task 1's 序号 and text cells span
    two rows, one per lead; task 2 and 3 share one merged 牵头单位 cell; a section row spans all."""
    path = tmp_path / "t.docx"
    header = [
        ["序号", "重点任务", "责任单位", "", "责任领导", "时间节点"],
        ["", "", "牵头单位", "配合单位", "", ""],
    ]
    rows = [
        ["（一）产业发展", "", "", "", "", ""],
        ["1", "第一项任务。", "区发改局", "区工信局", "张三", "2024年6月"],
        ["", "", "区商务局", "各街道办事处", "", ""],
        ["2", "第二项任务。", "区财政局", "", "李四", "2024年底"],
        ["3", "第三项任务。", "", "区文旅局", "", "2024年底"],
    ]
    _docx(path, header, rows)
    document = docx.Document(str(path))
    grid = document.tables[0]
    cell = grid.cell
    cell(0, 2).merge(cell(0, 3))  # the group cell 责任单位
    for col in (0, 1, 4, 5):
        cell(0, col).merge(cell(1, col))
    cell(2, 0).merge(cell(2, 5))  # the section heading
    cell(3, 0).merge(cell(4, 0))  # task 1: 序号, text and leader over two rows
    cell(3, 1).merge(cell(4, 1))
    cell(3, 4).merge(cell(4, 4))
    cell(5, 2).merge(cell(6, 2))  # tasks 2 and 3: one lead cell
    document.save(str(path))

    check_two_row_header_table(load_table(path), "docx")


def test_word_document_without_a_table_is_read_as_text(
    tmp_path: Path, seed_path: Path, config: Config
) -> None:
    """Paragraphs (one per line of the published text layout) go to the text parser."""
    document = docx.Document()
    for line in seed_path.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    document.save(str(tmp_path / "text.docx"))
    table = load_table(tmp_path / "text.docx")
    assert table.format == "docx"
    assert resolve_table(table, config).as_json() == expected_seed()


def test_a_lone_unit_column_lists_the_lead_first_or_marks_it(
    tmp_path: Path, config: Config
) -> None:
    got = read_small(
        tmp_path / "lone.csv",
        config,
        "某区2024年重点任务清单\n"
        "序号,工作任务,责任单位,完成时限\n"
        "1,第一项。,区发改局、区工信局、区商务局,2024年底\n"
        "2,第二项。,区工信局、区发改局（牵头）,\n"
        "3,第三项。,牵头单位：区商务局；配合单位：区财政局、各街道办事处,\n",
    )
    assert [(t["lead"], t["responsible"]) for t in got] == [
        (["区发改局"], ["区工信局", "区商务局"]),
        (["区发改局"], ["区工信局"]),
        (["区商务局"], ["区财政局", "各街道办事处"]),
    ]


def test_word_errors_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    _docx(
        path,
        [["序号", "主要工作任务", "牵头单位", "责任单位"]],
        [["1", "第一项。", "区发改局", ""], ["3", "第三项。", "区发改局", ""]],
    )
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value) == f"{path}:3: task number 3 skips a number: expected 2 after 1"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("old.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "old binary Word (.doc)"),
        ("cut.pdf", b"%PDF-1.4\n garbage", "not a readable PDF"),
        ("cut.docx", b"PK\x03\x04 garbage", "not a readable Word (DOCX) document"),
    ],
)
def test_broken_documents_are_refused_by_name(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value).startswith(f"{path}: {words}")


def test_kind_comes_from_the_content_not_the_suffix(
    tmp_path: Path, seed_path: Path, config: Config
) -> None:
    rows = seed_rows(seed_path)[:8]
    word = write_docx(tmp_path / "table.xlsx", rows)  # a Word file misnamed
    sheet = write_xlsx(tmp_path / "table.docx", rows)  # and a workbook misnamed
    pdf = write_pdf(tmp_path / "table.txt", rows)
    assert [load_table(p).format for p in (word, sheet, pdf)] == ["docx", "xlsx", "pdf"]


def test_word_table_continued_in_a_second_table(tmp_path: Path, config: Config) -> None:
    """Word documents often hold one table per section: the later ones have no header."""
    document = docx.Document()
    document.add_paragraph("某区任务分解表")
    first = document.add_table(rows=3, cols=4)
    for r, values in enumerate(
        [
            ["序号", "工作任务", "牵头单位", "配合单位"],
            ["一、第一部分", "", "", ""],
            ["1", "第一项。", "区发改局", "区工信局"],
        ]
    ):
        for c, value in enumerate(values):
            first.rows[r].cells[c].text = value
    document.add_paragraph("二、第二部分")  # a heading between the tables, as a paragraph
    second = document.add_table(rows=1, cols=4)
    for c, value in enumerate(["2", "第二项。", "区商务局", ""]):
        second.rows[0].cells[c].text = value
    document.save(str(tmp_path / "two.docx"))
    got = resolve_table(load_table(tmp_path / "two.docx"), config).as_json()
    assert [(t["number"], t["section"], t["lead"]) for t in got] == [
        (1, "一、第一部分", ["区发改局"]),
        (2, "二、第二部分", ["区商务局"]),
    ]


def test_word_numbering_column_and_two_unit_columns_without_a_lead_one(
    tmp_path: Path, config: Config
) -> None:
    """序号 filled by Word's automatic numbering (no text in the cell), and 责任单位 | 配合单位
    with no 牵头单位 column: the first unit column leads."""
    document = docx.Document()
    table = document.add_table(rows=3, cols=4)
    for c, name in enumerate(["序号", "工作任务", "责任单位", "配合单位"]):
        table.rows[0].cells[c].text = name
    for r, (text, lead, resp) in enumerate(
        [("第一项。", "区发改局", "区工信局"), ("第二项。", "区商务局", "")], start=1
    ):
        cells = table.rows[r].cells
        cells[0].paragraphs[0].style = document.styles["List Number"]  # an automatic number
        cells[1].text, cells[2].text, cells[3].text = text, lead, resp
    document.save(str(tmp_path / "auto.docx"))
    got = resolve_table(load_table(tmp_path / "auto.docx"), config).as_json()
    assert [(t["number"], t["lead"], t["responsible"]) for t in got] == [
        (1, ["区发改局"], ["区工信局"]),
        (2, ["区商务局"], []),
    ]


def test_word_table_imports_the_seeds_assignments(
    tmp_path: Path, seed_path: Path, config: Config, sessions: sessionmaker[Session]
) -> None:
    """Into the database: the Word table, then the seed's own text, which changes nothing (the
    same tasks, texts, units and roles, groups expanded alike)."""
    path = write_docx(tmp_path / "分解表.docx", seed_rows(seed_path))
    with transaction(sessions) as session:
        first = import_file(session, config, path, now=NOW)
    with transaction(sessions) as session:
        assignments = session.execute(
            select(Task.number, Assignment.role, Unit.name)
            .join(Task, Assignment.task_id == Task.id)
            .join(Unit, Assignment.unit_id == Unit.id)
        ).all()
        again = import_file(session, config, seed_path, now=NOW)
    assert len(first.diff.tasks_added) == 91 and len(assignments) > 300
    assert not again.diff.changed, again.diff.summary()


def test_web_page_table_with_rowspan_and_colspan(tmp_path: Path, config: Config) -> None:
    """A published page's table (HTML) merges cells too: a 牵头单位 cell with rowspan leads
    both tasks, and the cells after it keep their columns."""
    got = read_small(
        tmp_path / "page.html",
        config,
        "<html><body><p>某区重点任务分解表</p><table>"
        "<tr><td>序号</td><td>主要任务</td><td>牵头单位</td><td>配合单位</td></tr>"
        '<tr><td colspan="4">一、产业发展</td></tr>'
        '<tr><td>1</td><td>第一项。</td><td rowspan="2">区发改局</td><td>区工信局</td></tr>'
        "<tr><td>2</td><td>第二项。</td><td>区商务局</td></tr>"
        "</table></body></html>",
    )
    assert [(t["number"], t["section"], t["lead"], t["responsible"]) for t in got] == [
        (1, "一、产业发展", ["区发改局"], ["区工信局"]),
        (2, "一、产业发展", ["区发改局"], ["区商务局"]),
    ]


def test_numbers_with_punctuation_and_a_remark_alone_on_its_row(
    tmp_path: Path, config: Config
) -> None:
    """`1.` and `（2）` are task numbers; a 备注 cell alone on its row is no section heading,
    a title alone in the first cell is one."""
    got = read_small(
        tmp_path / "remarks.csv",
        config,
        "序号,主要任务,牵头单位,配合单位,备注\n"
        "（一）产业发展,,,,\n"
        "1.,第一项。,区发改局,,\n"
        ",,,,上年结转\n"
        "（2）,第二项。,区商务局,,\n",
    )
    assert [(t["number"], t["section"], t["lead"]) for t in got] == [
        (1, "（一）产业发展", ["区发改局"]),
        (2, "（一）产业发展", ["区商务局"]),
    ]


def test_word_table_inside_a_layout_table(tmp_path: Path, config: Config) -> None:
    """Some documents lay the whole page out in a one-cell table; the task table is inside."""
    document = docx.Document()
    frame = document.add_table(rows=1, cols=1).rows[0].cells[0]
    frame.text = "某区重点工作任务分解表"
    inner = frame.add_table(rows=2, cols=4)
    for r, values in enumerate(
        [["序号", "工作目标", "牵头单位", "配合单位"], ["1", "第一项。", "区发改局", ""]]
    ):
        for c, value in enumerate(values):
            inner.rows[r].cells[c].text = value
    document.save(str(tmp_path / "framed.docx"))
    got = resolve_table(load_table(tmp_path / "framed.docx"), config).as_json()
    assert [(t["number"], t["text"], t["lead"]) for t in got] == [(1, "第一项。", ["区发改局"])]


def test_two_responsible_columns_beside_the_lead(tmp_path: Path, config: Config) -> None:
    got = read_small(
        tmp_path / "three.csv",
        config,
        "序号,主要任务,牵头单位,责任单位,配合单位\n1,第一项。,区发改局,区工信局,各街道办事处\n",
    )
    assert [(t["lead"], t["responsible"]) for t in got] == [
        (["区发改局"], ["区工信局", "各街道办事处"])
    ]


def _two_sheets(path: Path, third_lead: str) -> Path:
    """Section 一 on one sheet, section 二 on another (each with its header), a hidden sheet
    and a sheet of counts."""
    book = Workbook()
    first = book.active
    first.title = "一、产业"
    for row in (
        ["序号", "主要任务", "牵头单位", "配合单位"],
        ["", "一、产业发展", "", ""],
        [1, "第一项。", "区发改局", ""],
        [2, "第二项。", "区商务局", "区工信局"],
    ):
        first.append(row)
    second = book.create_sheet("二、民生")
    for row in (
        ["序号", "主要任务", "牵头单位", "配合单位"],
        ["", "二、民生保障", "", ""],
        [3, "第三项。", third_lead, ""],
    ):
        second.append(row)
    hidden = book.create_sheet("草稿")
    hidden.append(["序号", "主要任务", "牵头单位", "配合单位"])
    hidden.append([9, "草稿。", "区财政局", ""])
    hidden.sheet_state = "hidden"
    counts = book.create_sheet("统计")  # another kind of table: not tasks
    counts.append(["序号", "牵头单位", "牵头任务数"])
    counts.append([1, "区发改局", 1])
    book.save(path)
    return path


def test_workbook_with_a_section_per_sheet(tmp_path: Path, config: Config) -> None:
    table = load_table(_two_sheets(tmp_path / "sheets.xlsx", "区财政局"))
    got = resolve_table(table, config).as_json()
    assert [(t["number"], t["section"], t["lead"]) for t in got] == [
        (1, "一、产业发展", ["区发改局"]),
        (2, "一、产业发展", ["区商务局"]),
        (3, "二、民生保障", ["区财政局"]),
    ]
    path = _two_sheets(tmp_path / "bad.xlsx", "")
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value) == (
        f"{path}:7: task 3 has no lead unit (牵头单位) (sheet '二、民生', row 3)"
    )
    path = _two_sheets(tmp_path / "unknown.xlsx", "区未知局")
    with pytest.raises(UnknownNamesError) as unknown:
        resolve_table(load_table(path), config)
    assert f"{path}:7: unknown unit '区未知局' (sheet '二、民生', row 3); closest" in str(
        unknown.value
    )
