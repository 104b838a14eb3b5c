"""The CLI as a user runs it: init, import (dry run JSON contract, diff), tasks, units,
assignments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from table_builders import expected_seed

from duban.cli import main
from duban.config import example_config_path


@pytest.fixture
def cfg_path(tmp_path: Path) -> str:
    path = tmp_path / "config.toml"
    path.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    return str(path)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_json_is_the_contract(cfg_path: str, seed_path: Path, capsys) -> None:
    # no database needed for a dry run
    code, out, _ = _run(
        capsys, "--config", cfg_path, "import", str(seed_path), "--dry-run", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data == expected_seed()
    assert all(list(task) == ["number", "section", "text", "lead", "responsible"] for task in data)
    assert "区发改局" in out and "\\u" not in out  # ensure_ascii=False
    assert data[4] == {
        "number": 5,
        "section": "一、优结构、谋发展,在加快构建现代化产业体系上冲在前、当先锋、作示范",
        "text": "加快推进“五型经济”,以“人才、通道、平台、品牌、头部企业”为重点,采取五大关键动作、"
        "实施十项特色举措,打造“五型经济”先导示范区。",
        "lead": ["区发改局", "区工信局", "区商务局"],
        "responsible": ["各街道办事处"],
    }
    # the same after init, and still nothing written
    assert _run(capsys, "--config", cfg_path, "init")[0] == 0
    code, out, _ = _run(
        capsys, "--config", cfg_path, "import", str(seed_path), "--dry-run", "--format", "json"
    )
    assert json.loads(out) == expected_seed()
    code, out, _ = _run(capsys, "--config", cfg_path, "tasks", "--format", "json")
    assert json.loads(out) == []


def test_import_needs_init(cfg_path: str, seed_path: Path, capsys) -> None:
    code, out, err = _run(capsys, "--config", cfg_path, "import", str(seed_path))
    assert code == 2 and "duban init" in err and out == ""


def test_import_then_list(cfg_path: str, seed_path: Path, capsys) -> None:
    _run(capsys, "--config", cfg_path, "init")
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(seed_path))
    assert code == 0
    assert "91 tasks in 9 sections" in out
    assert out.strip().splitlines()[-1].startswith("imported: tasks +91 -0 ~0")
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(seed_path), "--format", "json")
    diff = json.loads(out)
    assert diff["summary"] == {
        "tasks_added": 0,
        "tasks_removed": 0,
        "tasks_changed": 0,
        "assignments_added": 0,
        "assignments_removed": 0,
        "designations_added": 0,
        "designations_removed": 0,
        "units_added": 0,
    }
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(seed_path))
    assert out.strip().splitlines()[-1].startswith("no change")

    code, out, _ = _run(capsys, "--config", cfg_path, "tasks", "--format", "json")
    tasks = json.loads(out)
    assert len(tasks) == 91
    assert tasks[3]["lead"] == ["区发改局", "区工信局"]
    assert tasks[3]["responsible"] == ["区投促局", "多福湾工作专班"]
    assert tasks[3]["undesignated"] == ["各相关街道办事处"]
    code, out, _ = _run(capsys, "--config", cfg_path, "tasks")
    assert "各相关街道办事处（待指定）" in out and out.strip().endswith("91 tasks")

    code, out, _ = _run(capsys, "--config", cfg_path, "units", "--format", "json")
    units = {u["name"]: u for u in json.loads(out)}
    assert units["区信访局"]["aliases"] == ["信访局"]
    assert units["区信访局"]["lead"] == 1  # task 84
    # task 83 by name, and 16 tasks through 各部门: 28–34, 38–40, 78, 85, 88–91
    assert units["区信访局"]["responsible"] == 17
    assert units["区信访局"]["groups"] == ["各部门"]
    assert units["区信访局"]["contacts"] == 0
    code, out, _ = _run(capsys, "--config", cfg_path, "units")
    assert "区信访局 (department): lead 1, responsible 17, contacts 0" in out
    assert "公安北站分局 (police): lead 1, responsible 1, contacts 0" in out

    code, out, _ = _run(capsys, "--config", cfg_path, "assignments", "--unit", "信访局")
    lines = out.strip().splitlines()
    assert lines[-1] == "18 assignments"
    assert [line.split()[:3] for line in lines if line.split()[0] in ("83", "84")] == [
        ["83", "责任", "区信访局"],
        ["84", "牵头", "区信访局"],
    ]
    code, out, _ = _run(capsys, "--config", cfg_path, "assignments", "--unit", "公安北站分局")
    assert [line.split()[:2] for line in out.strip().splitlines()[:-1]] == [
        ["80", "牵头"],
        ["83", "责任"],
    ]


def test_assignments_unknown_unit(cfg_path: str, capsys) -> None:
    _run(capsys, "--config", cfg_path, "init")
    code, _, err = _run(capsys, "--config", cfg_path, "assignments", "--unit", "区文化局")
    assert code == 2
    assert "'区文化局': no known unit; closest known: 区文旅局" in err


def test_assignments_of_a_group_name_its_units(cfg_path: str, capsys) -> None:
    from duban.config import load_config

    _run(capsys, "--config", cfg_path, "init")
    cfg = load_config(cfg_path)
    streets = cfg.group_members(next(g for g in cfg.groups if g.name == "各街道办事处"))
    code, _, err = _run(capsys, "--config", cfg_path, "assignments", "--unit", "街道办事处")
    assert code == 2
    assert f"各街道办事处 is a group, not a unit; name one of its {len(streets)} units: " in err
    assert streets[0] in err and "closest known" not in err
    code, _, err = _run(capsys, "--config", cfg_path, "assignments", "--unit", "各相关部门")
    assert code == 2 and "designates per task" in err


def test_import_errors_are_user_errors(cfg_path: str, tmp_path: Path, capsys) -> None:
    _run(capsys, "--config", cfg_path, "init")
    bad = tmp_path / "bad.txt"
    bad.write_text("主要工作任务\n牵头单位\n责任单位\n1.任务。\n区数据局\n", encoding="utf-8")
    code, _, err = _run(capsys, "--config", cfg_path, "import", str(bad))
    assert code == 2
    assert f"{bad}:5: unknown unit '区数据局'" in err
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(bad), "--add-units")
    assert code == 0 and "new unit (--add-units): 区数据局 [department]\n" in out
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, _, err = _run(capsys, "--config", cfg_path, "import", str(empty))
    assert code == 2 and f"{empty}:1: the file is empty" in err


def test_revised_table_diff_in_text(cfg_path: str, seed_path: Path, tmp_path: Path, capsys) -> None:
    _run(capsys, "--config", cfg_path, "init")
    _run(capsys, "--config", cfg_path, "import", str(seed_path))
    text = seed_path.read_text(encoding="utf-8")
    revised = tmp_path / "revised.txt"
    revised.write_text(
        text.replace("区工信局、各街道办事处\n\n4.", "区金融局、各街道办事处\n\n4.", 1)[
            : text.index("91.坚定不移")
        ],
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(revised))
    lines = out.strip().splitlines()
    assert code == 0
    assert "  - task 91 (26 assignments)" in lines
    assert "  + task 3 responsible: 区金融局" in lines
    assert "  - task 3 responsible: 区工信局" in lines
    assert not any(line.startswith("  - task 91 ") and "lead" in line for line in lines)
    assert lines[-1] == (
        "imported: tasks +0 -1 ~0, assignments +1 -27, placeholders +0 -0, units +0"
    )
    # a file that would remove most tasks gets a warning
    tiny = tmp_path / "tiny.txt"
    tiny.write_text(text[: text.index("2.大力发展")], encoding="utf-8")
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(tiny), "--dry-run")
    assert "warning: this table removes 89 of the 90 current tasks" in out


def test_config_rules_and_designations_the_table_lacks_are_warned(
    cfg_path: str, seed_path: Path, capsys
) -> None:
    """A reporting rule or designation naming a task or section the table does not have would
    silently apply to nothing: every import says so, naming the config key."""
    path = Path(cfg_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "# [[reporting.rules]]\n# tasks = [84]", "[[reporting.rules]]\ntasks = [84, 99]"
    )
    text += (
        '\n[[reporting.rules]]\nsections = ["十二"]\nevery = "quarter"\n'
        '\n[[designations]]\ntask = 120\ngroup = "各相关部门"\nunits = ["区发改局"]\n'
        '\n[[designations]]\ntask = 1\ngroup = "各相关部门"\nunits = ["区发改局"]\n'
    )
    path.write_text(text, encoding="utf-8")
    expected = [
        "config reporting.rules[0].tasks: task 99 is not in this table",
        "config reporting.rules[1].sections: '十二' is no section of this table "
        "(its sections: 一、二、三、四、五、六、七、八、九;",
        "config designations[0].task: task 120 is not in this table",
        "config designations[1].group: task 1 does not name 各相关部门",
    ]
    # a dry run before init (names resolve through the config), as JSON: warnings on stderr
    code, out, err = _run(
        capsys, "--config", cfg_path, "import", str(seed_path), "--dry-run", "--format", "json"
    )
    assert code == 0 and json.loads(out) == expected_seed()
    assert all(f"duban: warning: {w}" in err for w in expected), err
    assert _run(capsys, "--config", cfg_path, "init")[0] == 0
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(seed_path))
    assert code == 0 and all(f"  warning: {w}" in out for w in expected), out
    code, out, _ = _run(capsys, "--config", cfg_path, "import", str(seed_path), "--format", "json")
    assert code == 0 and len(json.loads(out)["warnings"]) == len(expected)
