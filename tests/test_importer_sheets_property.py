"""Property: the seed re-laid as another district's sheet or Word table — columns in any order
under any of their usual names, title rows above the header, consecutive equal 牵头单位 cells
merged, section rows merged across — imports to exactly the seed's tasks, units and roles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from document_builders import SYNONYM_OF, _lead_runs, write_docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from table_builders import COLUMNS, expected_seed, seed_rows, write_csv

from duban.config import Config
from duban.importer import load_table, resolve_table
from tests.conftest import SEED

ROWS = seed_rows(SEED)
EXPECTED = expected_seed()
NAMES = {  # each seed column and names other districts give it
    "序号": ["序号", "编号"],
    "主要工作任务": ["主要工作任务", "重点任务", "主要工作举措", "工作任务"],
    "牵头单位": ["牵头单位", "牵头部门"],
    "责任单位": ["责任单位", "配合单位", "协办单位"],
    "完成时限": ["完成时限", "完成时间", "时间节点"],
}


@dataclass(frozen=True)
class Sheet:
    order: list[int]  # seed column index for each written column
    names: list[str]  # the header cell of each written column
    titles: list[str]  # rows above the header
    merge: bool  # merge equal consecutive leads and section rows (XLSX, Word)


@st.composite
def sheets(draw: st.DrawFn) -> Sheet:
    order = draw(st.permutations(range(len(COLUMNS))))
    names = [draw(st.sampled_from(NAMES[COLUMNS[i]])) for i in order]
    titles = draw(st.lists(st.sampled_from(["某区2024年重点任务分解表", "附件1", ""]), max_size=2))
    return Sheet(list(order), names, titles, draw(st.booleans()))


def _xlsx(path: Path, sheet: Sheet) -> Path:
    book = Workbook()
    ws = book.active
    for title in sheet.titles:
        ws.append([title])
    ws.append(sheet.names)
    top = ws.max_row  # the header's row: the seed's row i is sheet row top + 1 + i
    for row in ROWS:
        ws.append([int(row[i]) if row[i].isdigit() else row[i] for i in sheet.order])
    if sheet.merge:
        lead = sheet.order.index(2) + 1
        for a, b in _lead_runs(ROWS, 2):
            for r in range(top + 2 + a, top + 2 + b):
                ws.cell(r, lead).value = None
            ws.merge_cells(start_row=top + 1 + a, end_row=top + 1 + b, start_column=lead,
                           end_column=lead)  # fmt: skip
        for i, row in enumerate(ROWS):
            if not row[0]:  # a section: its title in the first cell, merged across the row
                for c in range(1, len(COLUMNS) + 1):
                    ws.cell(top + 1 + i, c).value = row[1] if c == 1 else None
                ws.merge_cells(start_row=top + 1 + i, end_row=top + 1 + i, start_column=1,
                               end_column=len(COLUMNS))  # fmt: skip
    book.save(path)
    return path


def _same_as_seed(path: Path, config: Config) -> None:
    got = resolve_table(load_table(path), config).as_json()
    for want, have in zip(EXPECTED, got, strict=True):
        assert have == want, f"task {want['number']}"


SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings(SETTINGS, max_examples=12)
@given(sheet=sheets())
def test_seed_as_any_sheet_imports_the_same(sheet: Sheet, tmp_path: Path, config: Config) -> None:
    _same_as_seed(_xlsx(tmp_path / "t.xlsx", sheet), config)
    rows = [[row[i] for i in sheet.order] for row in ROWS]
    _same_as_seed(write_csv(tmp_path / "t.csv", rows, columns=sheet.names), config)


@settings(SETTINGS, max_examples=5)
@given(sheet=sheets())
def test_seed_as_any_word_table_imports_the_same(
    sheet: Sheet, tmp_path: Path, config: Config
) -> None:
    columns = [n if n in SYNONYM_OF or n in COLUMNS else COLUMNS[i]
               for n, i in zip(sheet.names, sheet.order, strict=True)]  # fmt: skip
    _same_as_seed(write_docx(tmp_path / "t.docx", ROWS, columns, merge=sheet.merge), config)
