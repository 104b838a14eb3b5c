"""A county's table with its own units, aliases and groups: nothing is seed-specific."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from table_builders import DATA

from db.engine import make_engine, make_sessionmaker, transaction
from db.migrate import upgrade
from db.models import Assignment, Designation, Task, Unit
from duban.config import parse_config
from duban.importer import import_file, load_table, resolve_table
from duban.registry import sync_units


def test_county_table(tmp_path: Path) -> None:
    cfg = parse_config(
        (DATA / "qingshan_config.toml").read_text(encoding="utf-8"),
        "qingshan_config.toml",
        base_dir=tmp_path,
    )
    table = load_table(DATA / "qingshan_table.txt")
    assert table.title == "2025年县政府工作报告重点任务分解表"
    assert table.note == "注：各牵头单位于每月25日前报送进展情况。"
    assert resolve_table(table, cfg).as_json() == [
        {
            "number": 1,
            "section": "一、壮大县域经济",
            "text": "推进农产品精深加工，规模以上农产品加工企业达到35家。",
            "lead": ["县农业农村局", "县发改局"],
            "responsible": ["各乡镇"],
        },
        {
            "number": 2,
            "section": "一、壮大县域经济",
            "text": "实施高标准农田建设5万亩。",
            "lead": ["县农业农村局"],
            "responsible": ["县水利局", "县财政局", "各相关乡镇"],
        },
        {
            "number": 3,
            "section": "一、壮大县域经济",
            "text": "办好县域特色文旅节会。",
            "lead": ["县文旅局"],
            "responsible": [],
        },
        {
            "number": 4,
            "section": "二、补齐基础设施短板",
            "text": "实施农村公路提质改造120公里。",
            "lead": ["县交通运输局"],
            "responsible": ["县财政局", "各乡镇"],
        },
        {
            "number": 5,
            "section": "二、补齐基础设施短板",
            "text": "推进城关镇污水管网改造。",
            "lead": ["县住建局"],
            "responsible": ["城关镇"],
        },
        {
            "number": 6,
            "section": "二、补齐基础设施短板",
            "text": "加强县域义务教育学校建设，新建改扩建校舍2万平方米。",
            "lead": ["县教育局"],
            "responsible": ["县发改局", "县财政局", "各相关部门"],
        },
    ]

    engine = make_engine(cfg.database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        sync_units(session, cfg)
        diff = import_file(session, cfg, DATA / "qingshan_table.txt").diff
    assert diff.tasks_added == [1, 2, 3, 4, 5, 6]
    with sessions() as session:

        def units(number: int, role: str) -> list[str]:
            return list(
                session.scalars(
                    select(Unit.name)
                    .join(Assignment, Assignment.unit_id == Unit.id)
                    .join(Task, Assignment.task_id == Task.id)
                    .where(Task.number == number, Assignment.role == role)
                    .order_by(Assignment.position)
                )
            )

        assert units(1, "responsible") == ["城关镇", "石桥镇", "柳河乡"]
        # the config designated 各相关乡镇 for task 2
        assert units(2, "responsible") == ["县水利局", "县财政局", "石桥镇", "柳河乡"]
        assert units(3, "responsible") == []
        # 各相关部门 on task 6 waits for its lead
        assert units(6, "responsible") == ["县发改局", "县财政局"]
        pending = session.scalars(
            select(Designation).where(Designation.designated_at.is_(None))
        ).all()
        assert [(d.task.number, d.group.name) for d in pending] == [(6, "各相关部门")]
    engine.dispose()
