"""Target parsing on the real seed table, negatives, progress, and the Target rows' sync."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models.reports import Report
from db.models.tasks import Target, Task
from duban.targets import parse_targets, sync_targets, sync_task_targets
from services.target_progress import progress
from tests.factories import add_period, add_report, add_task

EXPECTED = json.loads((Path(__file__).parent / "data" / "seed_targets.json").read_text("utf-8"))


def seed_tasks(path: Path) -> dict[int, str]:
    tasks = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\d+)\.(.+)$", line.strip())
        if m:
            tasks[int(m.group(1))] = m.group(2)
    return tasks


def test_seed_has_91_tasks(seed_path: Path) -> None:
    assert sorted(seed_tasks(seed_path)) == list(range(1, 92))


@pytest.mark.parametrize("number", sorted(int(n) for n in EXPECTED["targets"]))
def test_seed_task_targets(seed_path: Path, number: int) -> None:
    text = seed_tasks(seed_path)[number]
    got = parse_targets(text)
    want = EXPECTED["targets"][str(number)]
    assert [(t.comparator, t.value, t.unit_label) for t in got] == [
        (c, float(v), u) for c, v, u, _ in want
    ], text
    for target, (_, _, _, word) in zip(got, want, strict=True):
        assert word in target.label, (target, text)
        assert target.raw in text


def test_every_other_seed_task_has_no_target(seed_path: Path) -> None:
    tasks = seed_tasks(seed_path)
    stated = {int(n) for n in EXPECTED["targets"]}
    assert len(stated) >= 29
    assert set(EXPECTED["no_targets"]).isdisjoint(stated)
    wrong = {n: parse_targets(t) for n, t in tasks.items() if n not in stated and parse_targets(t)}
    assert wrong == {}


@pytest.mark.parametrize(
    "text",
    [
        "完善“2+5+N”现代化产业体系和“18214”企业支撑体系",
        "优化招商政策“15条”",
        "推进“12345”进社区提质增效",
        "推进12345热线进社区",
        "中东欧“17+1”经贸合作示范区",
        "家庭医生签约服务1+1+N管理",
        "2024年3月25日前完成",
        "推进国家5A级景区创建，对标国家景评8大项41分项167子项评审内容",
        "长青街72号、南塔街107号城市更新示范项目",
        "加快推进“五型经济”，实施十项特色举措，开展“十大行动”",
        "严格落实“第一议题”制度",
        "位列第3个",
        "“十四五”规划收官，打造东北第一强区",
        "实施《2024年政府工作报告》",
    ],
)
def test_numbers_that_are_not_targets(text: str) -> None:
    assert parse_targets(text) == []


@pytest.mark.parametrize(
    ("text", "comparator", "value", "unit"),
    [
        ("一般性支出控制在3000万元以内", "<=", 3000, "万元"),
        ("能耗不超过2.5万吨", "<=", 2.5, "万吨"),
        ("单位GDP能耗下降5%", ">=", 5, "%"),
        ("新增就业１.５万人", ">=", 1.5, "万人"),
        ("空置率低于8%", "<", 8, "%"),
        ("50个老旧小区提质升级", ">=", 50, "个"),
        ("培育企业30多家", ">", 30, "家"),
        ("经济增速提高2个百分点", ">=", 2, "个百分点"),
    ],
)
def test_comparators(text: str, comparator: str, value: float, unit: str) -> None:
    [t] = parse_targets(text)
    assert (t.comparator, t.value, t.unit_label) == (comparator, value, unit)


def test_decrease_keeps_its_meaning_in_the_label() -> None:
    [t] = parse_targets("单位GDP能耗下降5%")
    assert "下降" in t.label


def test_progress_meaning() -> None:
    assert progress(">=", 1087, 543.5) == pytest.approx(0.5)
    assert progress(">", 1500, 1800) == pytest.approx(1.2)
    # A ceiling is met while the figure stays within it; over it, value ÷ figure.
    assert progress("<=", 3000, 2500) == 1.0
    assert progress("<=", 3000, 4000) == pytest.approx(0.75)


NOW = dt.datetime(2024, 4, 1, 2, 0, tzinfo=dt.UTC)


def test_sync_is_idempotent_and_keeps_ids(sessions) -> None:
    with transaction(sessions) as s:
        task = add_task(s, 21, "高新技术企业达到250家，科技型中小企业达到2000家。")
        assert sync_task_targets(s, task, NOW)
        ids = [t.id for t in task.targets]
        assert [(t.ordinal, t.value) for t in task.targets] == [(1, 250.0), (2, 2000.0)]
    with transaction(sessions) as s:
        assert sync_targets(s, NOW) == 0
        task = s.scalars(select(Task).where(Task.number == 21)).one()
        assert [t.id for t in task.targets] == ids


def test_sync_reorders_and_deletes_unreferenced(sessions) -> None:
    with transaction(sessions) as s:
        task = add_task(s, 21, "高新技术企业达到250家，科技型中小企业达到2000家。")
        sync_task_targets(s, task, NOW)
        id_2000 = task.targets[1].id
        task.text = "科技型中小企业达到2000家。"
        assert sync_task_targets(s, task, NOW)
        assert [(t.id, t.ordinal) for t in task.targets] == [(id_2000, 1)]
        assert s.scalar(select(Target).where(Target.value == 250)) is None


def test_sync_keeps_a_target_a_report_points_to(sessions) -> None:
    with transaction(sessions) as s:
        task = add_task(s, 22, "科技成果转化达到58亿元。", units=("区工信局",), leads=1)
        sync_task_targets(s, task, NOW)
        old = task.targets[0]
        period = add_period(s, task, "区工信局", due=dt.date(2024, 3, 25))
        add_report(s, period, NOW, figure=30, target=old)
        task.text = "科技成果转化达到60亿元。"
        sync_task_targets(s, task, NOW)
        s.expire_all()
        kept = s.get(Target, old.id)
        assert kept is not None and kept.removed_at is not None and kept.ordinal < 0
        current = [t for t in task.targets if t.removed_at is None]
        assert [(t.value, t.ordinal) for t in current] == [(60.0, 1)]
        assert s.scalars(select(Report.target_id)).one() == old.id
        # A second sync changes nothing and keeps the old row.
        assert not sync_task_targets(s, task, NOW)
