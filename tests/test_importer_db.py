"""Writing to the database: re-import is a no-op, a revised table yields its diff, reports stay,
--add-units, config designations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from table_builders import text_table

from db.engine import transaction
from db.models import Assignment, Designation, Group, ImportRun, Period, Report, Task, Unit
from db.models.periods import CANCELLED
from duban.config import Config, parse_config
from duban.importer import import_file
from duban.importer.diff import AssignmentChange, TaskChange

NOW = dt.datetime(2024, 3, 20, 2, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2024, 4, 20, 2, 0, tzinfo=dt.UTC)
LATEST = dt.datetime(2024, 5, 20, 2, 0, tzinfo=dt.UTC)


def _snapshot(session: Session) -> dict[str, list[tuple]]:
    """Every row the importer writes, with ids, in a comparable form."""
    return {
        "tasks": session.execute(
            select(Task.id, Task.number, Task.text, Task.updated_at, Task.removed_at).order_by(
                Task.id
            )
        ).all(),
        "assignments": session.execute(
            select(
                Assignment.id,
                Assignment.task_id,
                Assignment.unit_id,
                Assignment.role,
                Assignment.via_group_id,
                Assignment.removed_at,
            ).order_by(Assignment.id)
        ).all(),
        "designations": session.execute(
            select(Designation.id, Designation.task_id, Designation.group_id).order_by(
                Designation.id
            )
        ).all(),
        "units": session.execute(select(Unit.id, Unit.name).order_by(Unit.id)).all(),
        "runs": session.execute(select(ImportRun.id).order_by(ImportRun.id)).all(),
    }


def _import(sessions, config, path, now, **kw):
    with transaction(sessions) as session:
        return import_file(session, config, path, now=now, **kw)


def test_reimport_changes_nothing(
    sessions: sessionmaker[Session], config: Config, seed_path: Path
) -> None:
    first = _import(sessions, config, seed_path, NOW)
    assert first.diff.changed and first.import_run_id is not None
    with sessions() as session:
        before = _snapshot(session)
    assert len(before["tasks"]) == 91 and len(before["runs"]) == 1
    again = _import(sessions, config, seed_path, LATER)
    assert not again.diff.changed and again.import_run_id is None
    with sessions() as session:
        assert _snapshot(session) == before


def test_dry_run_writes_nothing_but_reports_the_diff(
    sessions: sessionmaker[Session], config: Config, seed_path: Path
) -> None:
    with sessions() as session:
        before = _snapshot(session)
    result = _import(sessions, config, seed_path, NOW, dry_run=True)
    assert len(result.diff.tasks_added) == 91
    with sessions() as session:
        assert _snapshot(session) == before


def _revise(seed: Path, tmp_path: Path) -> Path:
    """Task 1's text edited, task 3's responsible 区工信局 replaced by 区金融局, task 91 dropped."""
    text = seed.read_text(encoding="utf-8")
    text = text.replace("加快形成新质生产力。", "加快形成新质生产力,打造产业新高地。", 1)
    text = text.replace("区工信局、各街道办事处\n\n4.", "区金融局、各街道办事处\n\n4.", 1)
    start, end = text.index("91.坚定不移"), text.index("  注:")
    text = text[:start] + text[end:]
    path = tmp_path / "revised.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _add_task_92(seed: Path, tmp_path: Path) -> Path:
    text = seed.read_text(encoding="utf-8")
    end = text.index("  注:")
    text = text[:end] + "92.新增一项任务。\n\n区城建局\n\n区城管局\n\n" + text[end:]
    path = tmp_path / "added.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_revised_table_yields_its_diff_and_keeps_reports(
    sessions: sessionmaker[Session], config: Config, seed_path: Path, tmp_path: Path
) -> None:
    _import(sessions, config, seed_path, NOW)
    with transaction(sessions) as session:
        old = session.scalars(
            select(Assignment)
            .join(Task)
            .join(Unit, Assignment.unit_id == Unit.id)
            .where(Task.number == 3, Unit.name == "区工信局")
        ).one()
        old_id = old.id
        period = Period(
            assignment_id=old.id,
            label="2024-03",
            starts_on=dt.date(2024, 3, 1),
            due_on=dt.date(2024, 3, 25),
        )
        session.add(period)
        session.flush()
        session.add(Report(period_id=period.id, text="已完成调研"))
        task_ids = dict(session.execute(select(Task.number, Task.id)).all())

    diff = _import(sessions, config, _revise(seed_path, tmp_path), LATER).diff
    assert diff.tasks_added == []
    assert diff.tasks_removed == [91]
    assert [c.number for c in diff.tasks_changed] == [1]
    assert diff.tasks_changed[0] == TaskChange(
        1,
        {
            "text": (
                "主动对接国家战略,完善“2+5+N”现代化产业体系和“18214”企业支撑体系,"
                "壮大531个支撑企业,加快形成新质生产力。",
                "主动对接国家战略,完善“2+5+N”现代化产业体系和“18214”企业支撑体系,"
                "壮大531个支撑企业,加快形成新质生产力,打造产业新高地。",
            )
        },
    )
    assert diff.assignments_added == [AssignmentChange(3, "区金融局", "responsible")]
    removed = [a for a in diff.assignments_removed if a.task == 3]
    assert removed == [AssignmentChange(3, "区工信局", "responsible")]
    removed_91 = {(a.unit, a.role) for a in diff.assignments_removed if a.task == 91}
    assert ("区政府办", "lead") in removed_91 and len(removed_91) > 10
    assert {a.task for a in diff.assignments_removed} == {3, 91}

    with sessions() as session:
        # ids are stable; rows are marked, not deleted; the report is still there
        assert dict(session.execute(select(Task.number, Task.id)).all()) == task_ids
        task_1 = session.scalars(select(Task).where(Task.number == 1)).one()
        assert task_1.updated_at == LATER and "打造产业新高地" in task_1.text
        assert session.get(Task, task_ids[91]).removed_at == LATER
        gone = session.get(Assignment, old_id)
        assert gone.removed_at == LATER
        kept = session.scalars(select(Report).join(Period)).one()
        assert kept.text == "已完成调研" and kept.period.assignment_id == old_id
        assert kept.period.state == CANCELLED
        assert len(session.scalars(select(ImportRun)).all()) == 2

    # the original table plus a new task 92: task 91 and 区工信局 come back with their ids
    diff = _import(sessions, config, _add_task_92(seed_path, tmp_path), LATEST).diff
    assert diff.tasks_added == [91, 92]
    assert [c.number for c in diff.tasks_changed] == [1]
    assert AssignmentChange(3, "区工信局", "responsible") in diff.assignments_added
    assert diff.assignments_removed == [AssignmentChange(3, "区金融局", "responsible")]
    with sessions() as session:
        assert session.get(Assignment, old_id).removed_at is None
        assert session.get(Task, task_ids[91]).removed_at is None
        assert session.scalars(select(Task).where(Task.number == 92)).one().text == "新增一项任务。"
        assert session.scalars(select(Report)).one().text == "已完成调研"


def test_add_units_registers_unknown_names(
    sessions: sessionmaker[Session], config: Config, tmp_path: Path
) -> None:
    path = tmp_path / "t.txt"
    path.write_text(
        text_table(
            "一、部分",
            "1.任务一。\n区数据局\n区工信局、大东街道、某某街道办事处",
        ),
        encoding="utf-8",
    )
    result = _import(sessions, config, path, NOW, add_units=True)
    added = {(u.name, u.kind) for u in result.diff.units_added}
    assert added == {
        ("区数据局", "department"),
        ("大东街道", "subdistrict"),
        ("某某街道办事处", "subdistrict"),
    }
    with sessions() as session:
        unit = session.scalars(select(Unit).where(Unit.name == "区数据局")).one()
        assert unit.from_import
        lead = session.scalars(
            select(Unit.name)
            .join(Assignment, Assignment.unit_id == Unit.id)
            .where(Assignment.role == "lead")
        ).all()
        assert lead == ["区数据局"]
    # the next import knows them: nothing new
    again = _import(sessions, config, path, LATER)
    assert not again.diff.changed


def test_config_designation_expands_the_placeholder(
    tmp_path: Path, config: Config, sessions: sessionmaker[Session], seed_path: Path
) -> None:
    text = (Path(__file__).parent.parent / "config.example.toml").read_text(encoding="utf-8")
    text += (
        '\n[[designations]]\ntask = 4\ngroup = "各相关街道办事处"\n'
        'units = ["示例街道一（请替换）", "示例街道三（请替换）"]\n'
    )
    cfg = parse_config(text, "config.toml", base_dir=tmp_path)
    result = _import(sessions, cfg, seed_path, NOW)
    assert next(d for d in result.diff.designations_added if d.task == 4).designated
    with sessions() as session:
        rows = session.execute(
            select(Unit.name, Group.name)
            .join(Assignment, Assignment.unit_id == Unit.id)
            .join(Group, Assignment.via_group_id == Group.id)
            .join(Task, Assignment.task_id == Task.id)
            .where(Task.number == 4)
        ).all()
        assert rows == [
            ("示例街道一（请替换）", "各相关街道办事处"),
            ("示例街道三（请替换）", "各相关街道办事处"),
        ]
        des = session.scalars(select(Designation).join(Task).where(Task.number == 4)).one()
        assert (des.designated_by, des.designated_at) == ("config", NOW)


def test_text_layout_variants(tmp_path: Path, config: Config) -> None:
    from duban.importer import load_table, resolve_table

    path = tmp_path / "t.txt"
    path.write_text(
        text_table(
            "一、部分",
            "1、任务一，正文很长，",
            "换行后继续。",
            "发改局",
            "区工信局，区商务局；区文旅局 区金融局",
            "２．任务二。",
            "区商务局、区文旅局",  # one unit line: the leads, no responsible units
            "二．部分二",
            "3.任务三。",
            "区城建局",
            "区城管局　各街道办事处",
            "文件链接:【解读】",
            "4.这不是表格的一部分",
        ),
        encoding="utf-8",
    )
    table = resolve_table(load_table(path), config)
    assert table.as_json() == [
        {
            "number": 1,
            "section": "一、部分",
            "text": "任务一，正文很长，换行后继续。",
            "lead": ["区发改局"],
            "responsible": ["区工信局", "区商务局", "区文旅局", "区金融局"],
        },
        {
            "number": 2,
            "section": "一、部分",
            "text": "任务二。",
            "lead": ["区商务局", "区文旅局"],
            "responsible": [],
        },
        {
            "number": 3,
            "section": "二、部分二",
            "text": "任务三。",
            "lead": ["区城建局"],
            "responsible": ["区城管局", "各街道办事处"],
        },
    ]


def test_units_designated_in_chat_survive_reimport(
    sessions: sessionmaker[Session], config: Config, seed_path: Path
) -> None:
    _import(sessions, config, seed_path, NOW)
    with transaction(sessions) as session:
        des = session.scalars(select(Designation).join(Task).where(Task.number == 4)).one()
        des.designated_by, des.designated_at = "contact:7", NOW
        street = session.scalars(select(Unit).where(Unit.name == "示例街道二（请替换）")).one()
        row = Assignment(
            task_id=des.task_id, unit_id=street.id, role="responsible", via_group_id=des.group_id
        )
        session.add(row)
        session.flush()
        row_id = row.id
    again = _import(sessions, config, seed_path, LATER)
    assert not again.diff.changed
    with sessions() as session:
        assert session.get(Assignment, row_id).removed_at is None
        assert session.get(Designation, des.id).designated_by == "contact:7"


def test_deadlines_from_the_sheet(
    sessions: sessionmaker[Session], config: Config, tmp_path: Path
) -> None:
    from table_builders import write_xlsx

    rows = [
        ["", "一、部分", "", "", ""],
        ["1", "任务一。", "区发改局", "", "2024年6月底"],
        ["2", "任务二。", "区发改局", "", "2024-09-30"],
        ["3", "任务三。", "区发改局", "", "长期坚持"],
    ]
    path = write_xlsx(tmp_path / "t.xlsx", rows)
    _import(sessions, config, path, NOW)
    with sessions() as session:
        got = session.execute(
            select(Task.number, Task.deadline_text, Task.deadline).order_by(Task.number)
        ).all()
    assert got == [
        (1, "2024年6月底", dt.date(2024, 6, 30)),
        (2, "2024-09-30", dt.date(2024, 9, 30)),
        (3, "长期坚持", None),
    ]
    rows[1][4] = "2024年底"
    diff = _import(sessions, config, write_xlsx(path, rows), LATER).diff
    assert diff.tasks_changed == [TaskChange(1, {"deadline_text": ("2024年6月底", "2024年底")})]
    with sessions() as session:
        assert session.scalars(select(Task.deadline).where(Task.number == 1)).one() == dt.date(
            2024, 12, 31
        )


def test_dropping_a_config_designation_reopens_the_placeholder(
    tmp_path: Path, config: Config, sessions: sessionmaker[Session], seed_path: Path
) -> None:
    base = (Path(__file__).parent.parent / "config.example.toml").read_text(encoding="utf-8")
    with_des = parse_config(
        base + '\n[[designations]]\ntask = 4\ngroup = "各相关街道办事处"\n'
        'units = ["示例街道一（请替换）"]\n',
        "config.toml",
        base_dir=tmp_path,
    )
    _import(sessions, with_des, seed_path, NOW)
    diff = _import(sessions, config, seed_path, LATER).diff
    assert diff.assignments_removed == [
        AssignmentChange(4, "示例街道一（请替换）", "responsible", "各相关街道办事处")
    ]
    with sessions() as session:
        des = session.scalars(select(Designation).join(Task).where(Task.number == 4)).one()
        assert (des.designated_by, des.designated_at, des.removed_at) == ("", None, None)


def test_printed_and_web_table_artifacts(tmp_path: Path, config: Config) -> None:
    """A repeated header, page numbers, and 序号 in a cell of its own are all understood."""
    from duban.importer import load_table, resolve_table

    path = tmp_path / "t.txt"
    path.write_text(
        "序号\n主要工作任务\n牵头单位\n责任单位\n一、部分\n"
        "1\n任务一。\n区发改局\n区工信局\n"
        "— 2 —\n序号 主要工作任务 牵头单位 责任单位\n第 2 页 共 3 页\n"
        "2\n任务二。\n区商务局\n各街道办事处\n",
        encoding="utf-8",
    )
    got = [
        (t["number"], t["text"], t["lead"], t["responsible"])
        for t in resolve_table(load_table(path), config).as_json()
    ]
    assert got == [
        (1, "任务一。", ["区发改局"], ["区工信局"]),
        (2, "任务二。", ["区商务局"], ["各街道办事处"]),
    ]


def test_add_units_points_at_likely_typos(config: Config, tmp_path: Path) -> None:
    from duban.importer import load_table, resolve_table

    path = tmp_path / "t.txt"
    path.write_text(text_table("一、部分", "1.任务一。\n区发改委\n区数据局"), encoding="utf-8")
    new = resolve_table(load_table(path), config, add_units=True).new_units
    assert [(u.name, u.closest) for u in new] == [("区发改委", ("区发改局",)), ("区数据局", ())]
