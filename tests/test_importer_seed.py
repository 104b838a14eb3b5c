"""The real seed table: 91 tasks in 9 sections, every task's units as the table states them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from table_builders import expected_seed

from db.engine import transaction
from db.models import Assignment, Designation, Group, ImportRun, Task, Unit
from duban.config import Config
from duban.importer import import_file, load_table, resolve_table


@pytest.fixture
def resolved(seed_path: Path, config: Config):
    return resolve_table(load_table(seed_path), config)


def test_seed_has_91_tasks_in_9_sections(seed_path: Path) -> None:
    table = load_table(seed_path)
    assert [t.number for t in table.tasks] == list(range(1, 92))
    assert len(table.sections) == 9
    assert table.sections[0].startswith("一、优结构、谋发展")
    assert table.sections[-1].startswith("九、强党性、聚民心")
    assert table.title == "2024年政府工作报告主要工作任务分解表"
    assert table.note == "注:各牵头部门分管区领导负责组织推进相关工作"
    assert table.format == "text"


def test_every_task_matches_the_table(resolved) -> None:
    expected = expected_seed()
    assert len(expected) == 91
    got = resolved.as_json()
    for want, have in zip(expected, got, strict=True):
        assert have == want, f"task {want['number']}"


@pytest.mark.parametrize(
    ("number", "lead", "responsible"),
    [
        (2, ["区发改局", "区工信局"], ["各街道办事处"]),  # 发改局 is an alias
        (4, ["区发改局", "区工信局"], ["区投促局", "多福湾工作专班", "各相关街道办事处"]),
        (5, ["区发改局", "区工信局", "区商务局"], ["各街道办事处"]),
        (9, ["区委宣传部"], ["区文旅局", "古城发展中心", "方城工作专班"]),  # glued names
        (
            13,
            ["区商务局", "区文旅局"],
            ["区投促局", "区市场监管局", "项目投资服务中心", "各街道办事处"],
        ),
        (67, ["区人社局"], ["各街道办事处"]),  # 人社局 / 街道办事处
        (
            83,
            ["区委组织部", "区委宣传部", "区委政法委", "区营商局"],
            [
                "区司法局",
                "区民政局",
                "区应急局",
                "公安沈河分局",
                "公安北站分局",
                "区信访局",
                "各街道办事处",
            ],
        ),
        (86, ["区财政局", "区工信局"], ["区金融局", "各街道办事处"]),
    ],
)
def test_tasks_checked_by_hand(resolved, number: int, lead: list[str], responsible: list[str]):
    task = resolved.tasks[number - 1]
    assert (task.number, task.lead, task.responsible) == (number, lead, responsible)


def _units_of(session: Session, number: int, role: str) -> list[str]:
    return list(
        session.scalars(
            select(Unit.name)
            .join(Assignment, Assignment.unit_id == Unit.id)
            .join(Task, Assignment.task_id == Task.id)
            .where(Task.number == number, Assignment.role == role)
            .order_by(Assignment.position)
        )
    )


def test_import_writes_tasks_assignments_and_placeholders(
    sessions: sessionmaker[Session], config: Config, seed_path: Path
) -> None:
    with transaction(sessions) as session:
        result = import_file(session, config, seed_path)
    assert result.diff.tasks_added == list(range(1, 92))
    subdistricts = [u.name for u in config.units if u.kind == "subdistrict"]
    departments = [u.name for u in config.units if u.kind == "department"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 91
        assert _units_of(session, 5, "lead") == ["区发改局", "区工信局", "区商务局"]
        # 各街道办事处 expands into one assignment per subdistrict, remembering the group
        assert _units_of(session, 5, "responsible") == subdistricts
        via = session.scalars(
            select(Group.name)
            .join(Assignment, Assignment.via_group_id == Group.id)
            .join(Task, Assignment.task_id == Task.id)
            .where(Task.number == 5)
        ).all()
        assert via == ["各街道办事处"] * len(subdistricts)
        # task 29: lead 区发改局, responsible 各部门 — the lead is not also responsible
        responsible_29 = _units_of(session, 29, "responsible")
        assert "区发改局" not in responsible_29
        assert set(departments) - {"区发改局"} <= set(responsible_29)
        # 各相关街道办事处 on task 4 is a placeholder, not expanded
        assert _units_of(session, 4, "responsible") == ["区投促局", "多福湾工作专班"]
        placeholders = session.execute(
            select(Task.number, Group.name, Designation.designated_at)
            .join(Task, Designation.task_id == Task.id)
            .join(Group, Designation.group_id == Group.id)
            .where(Task.number.in_([4, 87]))
            .order_by(Task.number, Designation.position)
        ).all()
        assert placeholders == [
            (4, "各相关街道办事处", None),
            (87, "各相关部门", None),
            (87, "各相关街道办事处", None),
        ]
        run = session.scalars(select(ImportRun)).one()
        assert run.sha256 == result.parsed.sha256 and run.summary["tasks_added"] == 91
