"""Each text layout on the shapes real tables take, the errors naming their lines, the
placeholder-lead rule, and where a table's 责任领导 ends up (database, escalation, ledger)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Task
from duban.cli import main
from duban.config import Config, ImporterConfig, LeaderConfig, example_config_path
from duban.importer import TableError, import_file, load_table, resolve_table
from duban.ledger.collect import collect_ledger


def _write(tmp_path: Path, text: str, name: str = "table.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _triples(table, names) -> set[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    resolved = resolve_table(table, names)
    return {
        (t.number, role, unit)
        for t in resolved.tasks
        for role, units in (("lead", t.lead), ("responsible", t.responsible))
        for unit in units
    }


LABELLED = """关于印发2025年重点工作任务分解表的通知
各街道、区直各部门：
2025年重点工作任务分解表
一、壮大实体经济
1.推进数字产业发展，
打造数字经济集聚区。
牵头单位：区发改局、区工信局
责任单位：区商务局，区金融局,各街道办事处
2.做强金融业。
牵头单位:区金融局
配合单位:金融商贸开发区，
区商务局
第二部分 提升城市品质
3.实施老旧小区改造。
牵头部门：区城建局；责任部门：各相关街道办事处
"""


def test_labelled_lines(tmp_path: Path, config: Config) -> None:
    table = load_table(_write(tmp_path, LABELLED))
    assert table.layout == "labelled"
    assert table.title == "2025年重点工作任务分解表"
    assert table.tasks[0].text == "推进数字产业发展，打造数字经济集聚区。"
    assert table.sections == ["一、壮大实体经济", "二、提升城市品质"]
    assert _triples(table, config) == {
        (1, "lead", "区发改局"),
        (1, "lead", "区工信局"),
        (1, "responsible", "区商务局"),
        (1, "responsible", "区金融局"),
        (1, "responsible", "各街道办事处"),
        (2, "lead", "区金融局"),
        (2, "responsible", "金融商贸开发区"),
        (2, "responsible", "区商务局"),  # the list wrapped onto the next line
        (3, "lead", "区城建局"),
        (3, "responsible", "各相关街道办事处"),
    }


INLINE = """2025年重点任务清单
一、优化营商环境
（一）提升政务服务
1.推行“一网通办”（责任领导：张伟、李娜；牵头单位：区政数局；责任单位：区市场监管局、各街道办事处）
2.深化“放管服”改革(牵头单位:区政数局;责任单位:区发改局)
持续优化审批流程
3.开展营商环境评价，
形成评价报告（牵头单位：区发改局；
责任单位：区工信局、区商务局）
（二）强化要素保障（牵头单位：自然资源沈河分局）
4.保障企业用地（责任领导：王副区长）
5.加强融资服务（牵头单位：区金融局）
"""


def test_inline_parentheses(tmp_path: Path) -> None:
    table = load_table(_write(tmp_path, INLINE))
    assert table.layout == "inline"
    by = {t.number: t for t in table.tasks}
    assert by[1].text == "推行“一网通办”"
    assert [r.name for r in by[1].leaders] == ["张伟", "李娜"]
    assert [r.name for r in by[1].responsible] == ["区市场监管局", "各街道办事处"]
    assert [r.name for r in by[2].leads] == ["区政数局"]
    assert by[3].text == "开展营商环境评价，形成评价报告"  # the bracket wrapped
    assert [r.name for r in by[3].responsible] == ["区工信局", "区商务局"]
    assert [r.line for r in by[3].responsible] == [9, 9]
    assert [r.name for r in by[4].leads] == ["自然资源沈河分局"]  # its subsection's lead
    assert [r.name for r in by[4].leaders] == ["王副区长"]
    assert [r.name for r in by[5].leads] == ["区金融局"] and by[5].responsible == []
    assert {t.section for t in table.tasks} == {"一、优化营商环境"}
    kinds: dict[int, str] = {}
    for r in table.readings:
        kinds.setdefault(r.line, r.kind)  # the first thing each line was read as
    assert kinds[3] == kinds[6] == kinds[10] == "subsection"  # （一）, unnumbered, （二）


def test_inline_task_without_lead_names_its_line(tmp_path: Path) -> None:
    text = INLINE.replace("（牵头单位：自然资源沈河分局）", "")
    with pytest.raises(TableError) as err:
        load_table(_write(tmp_path, text))  # task 4 names a leader but no lead unit
    assert str(err.value).startswith(f"{tmp_path / 'table.txt'}:11: task 4 has no lead unit")


CELLS = """重点任务分解表
序号
主要工作举措
牵头单位
配合单位
责任领导
一、产业发展
1
推进数字产业发展。
区委办（区政府办、区档案局）
区发改局（区粮食局）、区工信局
张伟
2
做强金融业，
提升服务实体经济能力。
区金融局
区商务局
3
保障企业用地。
区自然资源分局
王副区长
"""


def test_one_cell_per_line(tmp_path: Path) -> None:
    table = load_table(_write(tmp_path, CELLS))
    assert table.layout == "cells"
    by = {t.number: t for t in table.tasks}
    assert [r.name for r in by[1].leads] == ["区委办（区政府办、区档案局）"]
    assert [r.name for r in by[1].responsible] == ["区发改局（区粮食局）", "区工信局"]
    assert [r.name for r in by[1].leaders] == ["张伟"]
    assert by[2].text == "做强金融业，提升服务实体经济能力。"  # a row with more lines: wrapped
    assert [r.name for r in by[2].responsible] == ["区商务局"] and by[2].leaders == []
    assert [r.name for r in by[3].leads] == ["区自然资源分局"]
    assert by[3].responsible == [] and [r.name for r in by[3].leaders] == ["王副区长"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("1.甲任务\n牵头单位：区发改局\n3.乙任务\n牵头单位：区工信局\n", 3, "skips a number"),
        ("一、部分\n1.甲任务\n责任单位：区发改局\n", 2, "task 1 has no lead unit"),
        ("1.甲（牵头单位：区发改局）\n1.乙（牵头单位：区工信局）\n", 2, "is repeated"),
        ("牵头单位：区发改局\n1.甲任务\n牵头单位：区发改局\n", 1, "before any numbered task"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value).startswith(f"{path}:{line}: "), str(err.value)
    assert words in str(err.value)


def test_punctuation_full_width_and_ascii_read_alike(tmp_path: Path) -> None:
    ascii_ = "1. 甲任务(牵头单位: 区发改局, 区工信局; 责任单位: 区商务局)\n"
    full = "１．甲任务（牵头单位：区发改局，区工信局；责任单位：区商务局）\n"
    a, b = (load_table(_write(tmp_path, t, f"{i}.txt")) for i, t in enumerate((ascii_, full)))
    for table in (a, b):
        (task,) = table.tasks
        assert (task.number, task.text) == (1, "甲任务")
        assert [r.name for r in task.leads] == ["区发改局", "区工信局"]
        assert [r.name for r in task.responsible] == ["区商务局"]


def test_forced_layout_and_unknown_layout(tmp_path: Path) -> None:
    path = _write(tmp_path, LABELLED)
    with pytest.raises(TableError) as err:
        load_table(path, "cells")  # no cells header in it
    assert "no table header found" in str(err.value)
    assert load_table(path, "labelled").layout_forced


PLACEHOLDER_LEAD = """1.甲任务
牵头单位：区发改局
2.乙任务
牵头单位：各相关部门
责任单位：区工信局
"""


def test_a_placeholder_cannot_lead(tmp_path: Path, config: Config) -> None:
    path = _write(tmp_path, PLACEHOLDER_LEAD)
    with pytest.raises(TableError) as err:
        resolve_table(load_table(path), config)
    message = str(err.value)
    assert message.startswith(f"{path}:3: task 2 (line 3)")
    assert "各相关部门" in message and "placeholder_lead" in message


def test_config_names_who_leads_placeholder_tasks(
    tmp_path: Path, config: Config, sessions: sessionmaker[Session]
) -> None:
    cfg = config.model_copy(update={"importer": ImporterConfig(placeholder_lead="政府办")})
    path = _write(tmp_path, PLACEHOLDER_LEAD)
    with transaction(sessions) as session:
        result = import_file(session, cfg, path)
    task = next(t for t in result.resolved.tasks if t.number == 2)
    assert (task.lead, task.responsible) == (["区政府办"], ["各相关部门", "区工信局"])
    assert any("task 2 has no real lead unit" in w for w in result.diff.warnings)


def test_leaders_are_kept_escalated_to_and_in_the_ledger(
    tmp_path: Path, config: Config, sessions: sessionmaker[Session]
) -> None:
    text = (
        "1.甲任务（责任领导：张伟；牵头单位：区发改局）\n"
        "2.乙任务（牵头单位：区商务局）\n"
        "3.丙任务（分管区领导：李娜、王五；牵头单位：区工信局）\n"
    )
    cfg = config.model_copy(
        update={
            "leaders": [
                LeaderConfig(name="张伟"),  # in charge by the table only
                LeaderConfig(name="刘副区长", units=["区商务局"]),
            ]
        }
    )
    with transaction(sessions) as session:
        warnings = import_file(session, cfg, _write(tmp_path, text)).diff.warnings
    assert [w for w in warnings if "责任领导" in w] == [
        "the table names 责任领导 that no [[leaders]] entry has: 李娜 (task 3)、王五 (task 3); "
        "add them (name, chat_ids) for the leader-in-charge escalation to reach them"
    ]
    with sessions() as session:
        kept = {t.number: t.leaders for t in session.scalars(select(Task))}
        ledger = collect_ledger(session, cfg, dt.date(2024, 4, 1))
    assert kept == {1: "张伟", 2: "", 3: "李娜、王五"}
    assert {r.number: r.leaders for r in ledger.rows} == {
        1: ["张伟"],
        2: ["刘副区长"],  # no 责任领导 in the table: the one in charge of 区商务局
        3: ["李娜", "王五"],
    }


def test_explain_shows_each_line_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    text = "说明文字。\n一、部分\n1.甲任务（责任领导：张伟；牵头单位：区发改局）\n"
    path = _write(tmp_path, text)
    assert main(["--config", str(config_file), "import", str(path), "--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "版式：inline（自动识别）"
    assert out[1].split() == ["行号", "识别为", "内容"]
    assert out[3].split() == ["1", "忽略·表格之前", "说明文字。"]
    assert out[4].split() == ["2", "章节", "一、部分"]
    assert out[5].split() == ["3", "任务", "1", "甲任务"]
    assert out[6].split() == ["责任领导", "张伟"]
    assert out[7].split() == ["牵头单位", "区发改局"]
    assert out[6].index("责任领导") == out[5].index("任务")  # aligned by display width


def test_explain_shows_what_was_read_before_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    path = _write(tmp_path, "1.甲任务\n责任单位：区发改局\n")
    code = main(["--config", str(config_file), "import", str(path), "--explain", "--layout",
                 "labelled"])  # fmt: skip
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out.splitlines()[0] == "版式：labelled（--layout 指定）"
    assert captured.out.splitlines()[4].split() == ["2", "责任单位", "区发改局"]
    assert f"{path}:1: task 1 has no lead unit" in captured.err


def test_first_listed_leads_when_the_table_says_so(tmp_path: Path) -> None:
    text = (
        "说明：责任单位中排名第一的为牵头单位。\n"
        "1.甲任务\n责任单位：区发改局、区工信局\n"
        "2.乙任务\n牵头单位：区商务局\n责任单位：区金融局\n"
    )
    by = {t.number: t for t in load_table(_write(tmp_path, text)).tasks}
    assert [r.name for r in by[1].leads] == ["区发改局"]
    assert [r.name for r in by[1].responsible] == ["区工信局"]
    assert [r.name for r in by[2].leads] == ["区商务局"]


def test_a_label_whose_value_is_on_the_next_line(tmp_path: Path) -> None:
    text = "1.甲任务\n牵头单位：\n区融媒体\n责任单位：\n区工信局、区商务局\n"
    (task,) = load_table(_write(tmp_path, text)).tasks
    assert [r.name for r in task.leads] == ["区融媒体"]
    assert [r.name for r in task.responsible] == ["区工信局", "区商务局"]


def test_bracketed_and_spaced_labels_and_the_page_after_the_table(tmp_path: Path) -> None:
    text = (
        "1.甲任务\n【牵头单位】区发改局【责任单位】区工信局\n"
        "2.乙任务\n牵头单位 区商务局\n责任单位 区金融局、区文旅局\n"
        "抄送：区委各部门，区人大常委会办公室，区政协办公室。\n"
        "沈河区人民政府办公室 2024年3月15日印发\n"
    )
    table = load_table(_write(tmp_path, text))
    by = {t.number: t for t in table.tasks}
    assert [r.name for r in by[1].leads] == ["区发改局"]
    assert [r.name for r in by[1].responsible] == ["区工信局"]
    assert [r.name for r in by[2].leads] == ["区商务局"]
    assert [r.name for r in by[2].responsible] == ["区金融局", "区文旅局"]
    assert [r.why for r in table.readings if r.line >= 6] == ["after", "after"]


def test_inline_fields_in_square_brackets(tmp_path: Path) -> None:
    text = "1.甲任务【牵头单位：区发改局；责任单位：区工信局】。\n"
    (task,) = load_table(_write(tmp_path, text)).tasks
    assert task.text == "甲任务"
    assert [r.name for r in task.leads] == ["区发改局"]
    assert [r.name for r in task.responsible] == ["区工信局"]


def test_a_notice_numbering_its_own_points_is_not_the_table(tmp_path: Path) -> None:
    text = (
        "关于印发重点工作任务分解表的通知\n"
        "1.各单位要高度重视，明确专人负责。\n"
        "2.请于每月25日前报送进展情况。\n"
        "一、壮大实体经济\n"
        "1.推进数字产业发展。\n牵头单位：区发改局\n"
        "2.做强金融业。\n牵头单位：区金融局\n"
    )
    table = load_table(_write(tmp_path, text))
    assert [(t.number, t.line, t.section) for t in table.tasks] == [
        (1, 5, "一、壮大实体经济"),
        (2, 7, "一、壮大实体经济"),
    ]
    assert [r.why for r in table.readings if r.line in (2, 3)] == ["before", "before"]


def test_numbering_restarted_per_section_is_still_refused(tmp_path: Path) -> None:
    text = "一、甲\n1.任务\n牵头单位：区发改局\n二、乙\n1.任务\n牵头单位：区工信局\n"
    path = _write(tmp_path, text)
    with pytest.raises(TableError) as err:
        load_table(path)
    assert str(err.value).startswith(f"{path}:5: task number 1 is repeated")
