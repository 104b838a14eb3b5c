"""Bad tables fail with the file and the line (or row), and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from table_builders import COLUMNS, text_table, write_csv, write_xlsx

from db.engine import transaction
from db.models import Assignment, ImportRun, Task, Unit
from duban.config import Config
from duban.importer import TableError, UnknownNamesError, import_file, load_table

SECTION = "一、第一部分"
GOOD_1 = "1.第一项。\n区发改局\n区工信局、各街道办事处"
GOOD_2 = "2.第二项。\n区商务局\n各相关部门"


def _fails(tmp_path: Path, content: str | bytes, line: int | None, *words: str) -> str:
    path = tmp_path / "bad.txt"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    with pytest.raises(TableError) as err:
        load_table(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: " if line else f"{path}: "), message
    for word in words:
        assert word in message, message
    return message


def test_empty_file(tmp_path: Path) -> None:
    _fails(tmp_path, b"", 1, "empty")
    _fails(tmp_path, "\n  \n\n", 1, "empty")


def test_binary_file(tmp_path: Path) -> None:
    _fails(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "binary", "NUL")


def test_undecodable_file(tmp_path: Path) -> None:
    _fails(tmp_path, "主要工作任务\n".encode() + b"\xff\xfe\xff\n", 2, "UTF-8", "GB18030")


def test_no_header(tmp_path: Path) -> None:
    _fails(tmp_path, "首页\n\n一、部分\n\n1.任务。\n\n区发改局\n", 5, "no table header")


def test_repeated_task_number(tmp_path: Path) -> None:
    text = text_table(SECTION, GOOD_1, GOOD_1)
    line = text.splitlines().index("1.第一项。", 13) + 1
    assert line == 19
    _fails(tmp_path, text, line, "task number 1 is repeated", "first at line 13")


def test_numbering_that_restarts_in_a_section_says_so(tmp_path: Path) -> None:
    text = text_table(SECTION, GOOD_1, GOOD_2, "二、第二部分", GOOD_1)
    line = text.splitlines().index("二、第二部分") + 3
    msg = _fails(tmp_path, text, line, "task number 1 is repeated (first at line 13)")
    assert msg.endswith(
        "the numbering starts again (per section?): number the tasks 1, 2, 3 … "
        "through the whole table"
    )


def test_out_of_order_task_number(tmp_path: Path) -> None:
    text = text_table(SECTION, GOOD_2, GOOD_1)
    _fails(tmp_path, text, 13, "task number 2", "expected 1")


def test_gap_in_task_numbers(tmp_path: Path) -> None:
    text = text_table(SECTION, GOOD_1, GOOD_2.replace("2.", "4."))
    line = text.splitlines().index("4.第二项。") + 1
    _fails(tmp_path, text, line, "task number 4 skips a number", "expected 2")


def test_task_without_lead(tmp_path: Path) -> None:
    text = text_table(SECTION, "1.第一项。", GOOD_2)
    _fails(tmp_path, text, 13, "task 1 has no lead unit")
    # the last task too
    text = text_table(SECTION, GOOD_1, "2.第二项。", "注：附注")
    line = text.splitlines().index("2.第二项。") + 1
    _fails(tmp_path, text, line, "task 2 has no lead unit")


def test_unit_line_before_any_task(tmp_path: Path) -> None:
    text = text_table(SECTION, "区发改局", GOOD_1)
    _fails(tmp_path, text, 13, "before any numbered task")


def test_header_without_tasks(tmp_path: Path) -> None:
    _fails(tmp_path, text_table(SECTION), 9, "no numbered task")


def test_encrypted_workbook(tmp_path: Path) -> None:
    """Excel saves a workbook with a password as an OLE container, whatever its name."""
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(TableError) as err:
        load_table(path)
    assert (
        str(err.value)
        == f"{path}: a password-protected (encrypted) workbook: save it without a password"
    )


def test_old_excel_file(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(TableError, match=r"old\.xls: old binary Excel"):
        load_table(path)


def _sheet_rows() -> list[list[str]]:
    return [
        ["", "一、第一部分", "", "", ""],
        ["1", "第一项。", "区发改局", "各街道办事处", ""],
        ["2", "第二项。", "", "各街道办事处", ""],
    ]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_sheet_errors_name_the_row(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"bad.{kind}"
    write = write_xlsx if kind == "xlsx" else write_csv
    write(path, _sheet_rows())  # title row, header row, then rows 3, 4, 5
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value) == f"{path}:5: task 2 has no lead unit (牵头单位)"

    rows = _sheet_rows()
    rows[2] = ["1", "第二项。", "区商务局", "", ""]
    write(path, rows)
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value) == f"{path}:5: task number 1 is repeated (first at row 4)"

    write(path, [["", "", "区发改局", "", ""], *_sheet_rows()])
    with pytest.raises(TableError, match=rf"^{path}:3: row 3 names units before any task"):
        load_table(path)


def test_sheet_without_header_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("编码,内容,单位\n1,x,y\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"bad\.csv:1: no header row"):
        load_table(path)
    path.write_text("序号,任务,单位\n1,x,y\n", encoding="utf-8")  # a task column, no unit one
    with pytest.raises(TableError, match=r"bad\.csv:1: the header row has no column 牵头单位 or"):
        load_table(path)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("missing", "named"),
    [(("主要工作任务",), "主要工作任务"), (("牵头单位", "责任单位"), "牵头单位 or 责任单位")],
)
def test_a_header_without_a_needed_column_names_it(
    tmp_path: Path, kind: str, missing: tuple[str, ...], named: str
) -> None:
    path = tmp_path / f"bad.{kind}"
    keep = [i for i, name in enumerate(COLUMNS) if name not in missing]
    rows = [[row[i] for i in keep] for row in _sheet_rows()]
    write = write_xlsx if kind == "xlsx" else write_csv
    write(path, rows, columns=[COLUMNS[i] for i in keep])
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value).startswith(f"{path}:2: the header row has no column {named} (")


def _counts(sessions: sessionmaker[Session]) -> tuple[int, ...]:
    with sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Task, Assignment, Unit, ImportRun)
        )


def test_unknown_names_are_all_listed_and_nothing_is_written(
    tmp_path: Path, sessions: sessionmaker[Session], config: Config
) -> None:
    path = tmp_path / "t.txt"
    path.write_text(
        text_table(
            SECTION,
            "1.第一项。\n区发改委\n区工信局、区文化局",
            "2.第二项。\n区商务局\n区文化局、某某公司",
        ),
        encoding="utf-8",
    )
    before = _counts(sessions)
    with pytest.raises(UnknownNamesError) as err, transaction(sessions) as session:
        import_file(session, config, path)
    names = [(u.name, u.lines) for u in err.value.unknown]
    assert names == [("区发改委", (15,)), ("区文化局", (17, 23)), ("某某公司", (23,))]
    message = str(err.value)
    assert f"{path}:15: unknown unit '区发改委'" in message
    assert "closest known: 区发改局" in message
    assert f"{path}:17: unknown unit '区文化局' (also lines 23); closest known: 区文旅局" in message
    assert "--add-units" in message
    assert _counts(sessions) == before


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01binary",
        "首页\n没有表头\n".encode(),
        text_table(SECTION, GOOD_1, GOOD_1).encode(),
        text_table(SECTION, "1.第一项。", GOOD_2).encode(),
    ],
    ids=["empty", "binary", "no-header", "repeated", "no-lead"],
)
def test_bad_file_after_a_good_import_changes_nothing(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    config: Config,
    seed_path: Path,
    content: bytes,
) -> None:
    with transaction(sessions) as session:
        import_file(session, config, seed_path)
    before = _counts(sessions)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    with pytest.raises(TableError, match=rf"^{bad}:\d+: "), transaction(sessions) as session:
        import_file(session, config, bad)
    assert _counts(sessions) == before
    with sessions() as session:
        assert session.scalars(select(Task).where(Task.removed_at.is_not(None))).all() == []


def test_a_deadline_written_like_an_impossible_date_is_warned(
    tmp_path: Path, sessions: sessionmaker[Session], config: Config
) -> None:
    rows = _sheet_rows()
    rows[2][2] = "区商务局"  # task 2 gets a lead: the sheet is good
    rows[1][4], rows[2][4] = "2024-06-31", "2024年13月底"
    path = write_xlsx(tmp_path / "t.xlsx", rows)
    with transaction(sessions) as session:
        result = import_file(session, config, path)
    assert result.diff.warnings == [
        f"{path}:4: task 1: 完成时限 '2024-06-31' is no date of the calendar; kept as text only",
        f"{path}:5: task 2: 完成时限 '2024年13月底' is no date of the calendar; kept as text only",
    ]
    rows[1][4], rows[2][4] = "2024-06-30", "长期坚持"  # a date, and plain words: no warning
    with transaction(sessions) as session:
        assert import_file(session, config, write_xlsx(path, rows)).diff.warnings == []


def test_a_pipe_or_a_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    """`duban import /dev/zero` read for ever; a FIFO would block. Neither is read now."""
    import os

    fifo = tmp_path / "table.fifo"
    os.mkfifo(fifo)
    with pytest.raises(TableError) as err:
        load_table(fifo)
    assert str(err.value) == f"{fifo}: cannot read the file: not a regular file"
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:
        fh.truncate(65 * 2**20)  # sparse: no disk used
    with pytest.raises(TableError) as err:
        load_table(huge)
    assert str(err.value).startswith(f"{huge}: 65 MiB is far more than a task table")


@pytest.mark.parametrize(
    ("column", "size", "what"),
    [
        (1, 2001, "its task text has 2001 characters (at most 2000)"),
        (4, 101, "its 完成时限 has 101 characters (at most 100)"),
        (2, 101, "a unit name of 101 characters (at most 100)"),
    ],
)
def test_a_cell_too_long_for_a_table_is_refused(
    tmp_path: Path, column: int, size: int, what: str
) -> None:
    """Such a cell swallowed others (an unbalanced quote, a missing line break), and the
    database would not keep it (PostgreSQL refuses a 完成时限 over 100 characters)."""
    rows = _sheet_rows()
    rows[2][2] = "区商务局"
    rows[1][column] = "区" * size
    path = write_csv(tmp_path / "t.csv", rows)
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value).startswith(f"{path}:4: task 1: {what}")
