"""Figures in replies, without chat: quantities as contacts write them, unit conversion, which
target a figure is for (on the seed table's own targets), the [figures] rules and aggregation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from db.models import Report, Target
from duban.cli import main
from duban.config import ConfigError, example_config_path, parse_config
from duban.targets import parse_targets
from services.figures import match_figures
from services.quantities import chinese_number, convert, quantities
from services.target_progress import FigureRules, progress_of
from tests.test_targets import seed_tasks


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("完成固定资产投资52.3亿元", [(52.3, "52.3亿元", "完成固定资产投资")]),
        (
            "截至9月底完成520亿元，同比增长8%",
            [(520, "520亿元", "截至9月底完成"), (8, "8%", "同比增长")],
        ),
        (
            "新增就业1.2万人，带动就业1500人",
            [(1.2, "1.2万人", "新增就业"), (1500, "1500人", "带动就业")],
        ),
        ("签约亿元以上项目３０个", [(30, "30个", "签约亿元以上项目")]),  # full-width digits
        ("进出口总额完成1,087.5亿元", [(1087.5, "1087.5亿元", "进出口总额完成")]),
        ("引进首店五十二家", [(52, "五十二家", "引进首店")]),
        ("完成投资三千五百万", [(35_000_000, "三千五百万", "完成投资")]),
        ("金融机构总数达40余家", [(40, "40余家", "金融机构总数达")]),
        ("培训家庭照护者1000多人次", [(1000, "1000多人次", "培训家庭照护者")]),
        ("改造街路5.2 公里", [(5.2, "5.2公里", "改造街路")]),
        ("跨境电商交易额300百万元", [(300, "300百万元", "跨境电商交易额")]),
        # No figures: dates, ordinals, time spans, bare numbers, prose numerals, years.
        ("2024年3月25日前完成第3批", []),
        ("3个月内完成，12345热线办结", []),
        ("推进一个项目，两项工作", []),
        ("千万不要忘记二〇二四年的任务", []),
    ],
)
def test_quantities_as_contacts_write_them(text: str, want: list) -> None:
    got = [(q.value, q.written, q.context) for q in quantities(text)]
    assert got == [(pytest.approx(v), w, c) for v, w, c in want]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("五十二", 52), ("十二", 12), ("一百零五", 105), ("三千五百万", 35_000_000),
     ("一亿二千万", 120_000_000), ("两千", 2000), ("三五", None), ("二〇二四", None),
     ("千万", None)],
)  # fmt: skip
def test_chinese_numerals(numeral: str, value: float | None) -> None:
    assert chinese_number(numeral) == value


@pytest.mark.parametrize(
    ("written", "unit", "value"),
    [
        ("52.3亿元", "亿元", 52.3),
        ("5200万元", "亿元", 0.52),
        ("1.5亿元", "万元", 15000),
        ("52.3亿", "亿元", 52.3),  # a scale without 元 takes the target's measure word
        ("1.2万", "人", 12000),
        ("1500名", "万人", 0.15),  # 名 counts people too
        ("5千米", "公里", 5),
        ("3公顷", "平方米", 30000),
        ("8%", "%", 8),
        ("8%", "亿元", None),
        ("12家", "个", None),  # enterprises are not projects
        ("5万", "%", None),
        ("3个百分点", "%", None),
        ("3个", "亿元", None),
    ],
)
def test_units_convert_within_their_dimension(written: str, unit: str, value: float | None) -> None:
    (q,) = quantities(written)
    got = convert(q, unit)
    assert got == (None if value is None else pytest.approx(value))


def seed_targets(seed_path: Path, number: int) -> list[Target]:
    parsed = parse_targets(seed_tasks(seed_path)[number])
    return [
        Target(id=100 * number + n, ordinal=n, comparator=p.comparator, value=p.value,
               unit_label=p.unit_label, label=p.label, raw=p.raw)
        for n, p in enumerate(parsed, 1)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("task", "reply", "want", "unfit"),
    [
        # One target in 亿元: the amount, whatever else the reply says.
        (7, "截至9月底服务业增加值完成520亿元，同比增长8%", [("520亿元", 2)], ["8%"]),
        (22, "科技成果转化完成3800万元", [("3800万元", 1)], []),
        (37, "社零额完成520亿元，占全年目标960亿元的54.2%", [("520亿元", 1)], ["54.2%"]),
        (15, "跨境电商交易额达到0.12亿元", [("0.12亿元", 1)], []),
        (12, "新引进首店12家", [("12家", 1)], []),
        (51, "金融机构总数1935家", [("1935家", 1)], []),
        # Several targets: the words around the number pick one.
        (21, "新增高新技术企业30家", [("30家", 1)], []),
        (21, "科技型中小企业入库1200家", [("1200家", 2)], []),
        (67, "城镇新增就业1.2万人", [("1.2万人", 1)], []),
        (67, "带动就业1500人", [("1500人", 4)], []),
        (30, "完成固定资产投资52.3亿元", [], ["52.3亿元"]),  # its target is a growth rate
        (7, "走访企业15家，推进3个项目", [], ["15家"]),  # 3个项目 are no 先导型产业
        # Still ambiguous: the contact is asked.
        (29, "谋划重大项目300个，总投资1200亿元", [("300个", 1), ("1200亿元", 2)], []),
        (7, "本月完成50亿元，累计完成520亿元", [("50亿元", 2), ("520亿元", 2)], []),
        (21, "新增企业30家", [("30家", 1), ("30家", 2)], []),
    ],
)
def test_which_target_a_figure_is_for(
    seed_path: Path, task: int, reply: str, want: list, unfit: list
) -> None:
    found = match_figures(reply, seed_targets(seed_path, task))
    assert [(c.written, c.ordinal) for c in found.candidates] == want
    assert found.unfit == unfit


def test_figures_are_in_the_targets_unit(seed_path: Path) -> None:
    (c,) = match_figures("科技成果转化完成3800万元", seed_targets(seed_path, 22)).candidates
    assert (c.figure, c.unit_label, c.target) == (0.38, "亿元", "≥58亿元")


AT = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def report(figure: float, target_id: int, hours: int, review: str = "pending") -> Report:
    return Report(
        figure=figure,
        target_id=target_id,
        submitted_at=AT + dt.timedelta(hours=hours),
        review_state=review,
    )


@pytest.mark.parametrize(
    ("rules", "figure", "source"),
    [
        (FigureRules(), 800.0, "2个单位"),  # 区工信局's latest 500 + 区商务局's 300
        (FigureRules("max"), 500.0, "区工信局"),
        (FigureRules(rules={(7, 1): "latest"}), 300.0, "区商务局"),
        (FigureRules("latest", {(7, 0): "sum"}), 800.0, "2个单位"),  # the task's rule wins
        (FigureRules(rules={(8, 1): "max"}), 800.0, "2个单位"),  # another task's rule: none
    ],
)
def test_a_targets_figure_aggregates_the_units_latest(
    rules: FigureRules, figure: float, source: str
) -> None:
    target = Target(id=1, ordinal=1, comparator=">=", value=1000, unit_label="亿元", label="增加值")
    reports = [
        (report(200, 1, 0), "区工信局"),
        (report(900, 1, 1, review="returned"), "区商务局"),  # returned: does not count
        (report(500, 1, 2), "区工信局"),  # supersedes its 200
        (report(300, 1, 3), "区商务局"),
    ]
    (got,) = progress_of(7, [target], reports, rules)
    assert (got.figure, got.figure_unit, got.progress) == (figure, source, figure / 1000)


def config_with(tmp_path: Path, extra: str):  # type: ignore[no-untyped-def]
    text = example_config_path().read_text("utf-8") + extra
    return parse_config(text, source="config.toml", base_dir=tmp_path)


def test_figure_rules_from_toml(tmp_path: Path) -> None:
    cfg = config_with(
        tmp_path,
        '\n[[figures.rules]]\ntask = 51\naggregate = "latest"\n'
        '\n[[figures.rules]]\ntask = 29\ntarget = 2\naggregate = "max"\n',
    )
    rules = cfg.figures.figure_rules()
    assert [rules.rule_for(51, 1), rules.rule_for(29, 2), rules.rule_for(29, 1)] == [
        "latest",
        "max",
        "sum",
    ]


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[[figures.rules]]\ntask = 51\naggregate = "average"\n', "figures.rules[0].aggregate"),
        (
            '[[figures.rules]]\ntask = 51\ntarget = 0\naggregate = "max"\n',
            "figures.rules[0].target",
        ),
        ("[[figures.rules]]\ntask = 51\n", "figures.rules[0].aggregate"),
        (
            '[[figures.rules]]\ntask = 29\naggregate = "max"\n'
            '[[figures.rules]]\ntask = 29\naggregate = "sum"\n',
            "figures.rules[1]",
        ),
    ],
)
def test_bad_figure_rules_name_their_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, "\n" + extra)
    assert key in str(err.value) and "config.toml" in str(err.value)


def test_figure_rules_the_table_cannot_meet_are_warned_on_import(
    tmp_path: Path, seed_path: Path, capsys
) -> None:
    """A rule for a task the table lacks, a task without targets, or a target past the task's
    last would apply to nothing: the import says so, naming the key."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        example_config_path().read_text("utf-8")
        + '\n[[figures.rules]]\ntask = 120\naggregate = "max"\n'
        + '\n[[figures.rules]]\ntask = 2\naggregate = "max"\n'
        + '\n[[figures.rules]]\ntask = 29\ntarget = 4\naggregate = "max"\n'
        + '\n[[figures.rules]]\ntask = 29\ntarget = 3\naggregate = "max"\n',
        encoding="utf-8",
    )
    code = main(["--config", str(cfg), "import", str(seed_path), "--dry-run", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: config figures.rules[0].task: task 120 is not in this table" in err
    assert "warning: config figures.rules[1].task: task 2 states no numeric target" in err
    assert (
        "config figures.rules[2].target: task 29 states 3 numeric target(s); there is no "
        "target 4" in err
    )
    assert "figures.rules[3]" not in err
