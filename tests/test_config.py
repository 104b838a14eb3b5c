"""A bad config fails with the file, the key path and the line; the example config is complete."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from duban.config import ConfigError, example_config_path, load_config, parse_config
from duban.config.schema import deadline_overrides

EXAMPLE = example_config_path().read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return str(caught.value)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def test_example_config_loads_with_every_unit_of_the_seed(seed_path: Path) -> None:
    cfg = parse_config(EXAMPLE)
    index = cfg.name_index()
    text = seed_path.read_text(encoding="utf-8")
    body = re.split(r"\n\s*注[:：]", text.split("责任单位", 1)[1])[0]
    unit_lines = [
        line.strip()
        for line in body.splitlines()
        if line.strip() and not re.match(r"^\d+\.|^[一二三四五六七八九十]+、", line.strip())
    ]
    names = {n for line in unit_lines for n in line.split("、")}
    names.discard("区文旅局古城发展中心")  # two names glued together in the table
    missing = sorted(n for n in names if n not in index)
    assert missing == []
    assert index["发改局"] == "区发改局"
    assert index["民政局"] == "区民政局"
    assert index["人社局"] == "区人社局"
    assert index["政府办"] == "区政府办"
    assert index["街道办事处"] == "各街道办事处"
    groups = {g.name for g in cfg.groups}
    assert {
        "各街道办事处",
        "各相关街道办事处",
        "各部门",
        "各相关部门",
        "区属各教育单位",
        "区属各医疗单位",
        "各区属国有企业",
    } <= groups


def test_placeholder_subdistricts_are_marked() -> None:
    cfg = parse_config(EXAMPLE)
    streets = [u for u in cfg.units if u.kind == "subdistrict"]
    assert streets and all(u.placeholder and "示例" in u.name for u in streets)
    group = next(g for g in cfg.groups if g.name == "各街道办事处")
    assert cfg.group_members(group) == [u.name for u in streets]


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = EXAMPLE.replace('locale = "zh_CN"', 'locale = "zh_CN', 1)
    msg = error_of(tmp_path, text)
    assert "config.toml" in msg and "TOML syntax error" in msg
    assert f"line {line_of(text, 'locale = ')}" in msg


def test_unknown_key_names_path_and_line(tmp_path: Path) -> None:
    text = EXAMPLE.replace("lead_after = 2", "lead_afterr = 2", 1)
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, 'lead_afterr')}: escalation.lead_afterr: unknown key" in msg


def test_wrong_type_names_path_and_line(tmp_path: Path) -> None:
    text = EXAMPLE.replace("overdue_times = 3", 'overdue_times = "three"', 1)
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, 'overdue_times')}: escalation.overdue_times" in msg
    assert "three" in msg


def test_wrong_type_inside_a_unit_names_its_index(tmp_path: Path) -> None:
    text = EXAMPLE.replace('name = "区税务局"\nkind = "branch"', 'name = "区税务局"\nkind = 5', 1)
    msg = error_of(tmp_path, text)
    index = [u for u in re.findall(r'\[\[units\]\]\nname = "([^"]+)"', EXAMPLE)].index("区税务局")
    assert f"units[{index}].kind" in msg
    assert f"config.toml:{line_of(text, 'kind = 5')}:" in msg


def test_alias_pointing_nowhere(tmp_path: Path) -> None:
    text = EXAMPLE.replace('"人社局" = "区人社局"', '"人社局" = "区人事局"', 1)
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, '区人事局')}: aliases.人社局" in msg
    assert "区人事局" in msg


def test_alias_of_an_alias_and_an_alias_loop(tmp_path: Path) -> None:
    original = '"发改局" = "区发改局"'
    chain = EXAMPLE.replace(original, original + '\n"发改委" = "发改局"', 1)
    msg = error_of(tmp_path, chain)
    where = f"config.toml:{line_of(chain, '发改委')}: aliases.发改委"
    assert f"{where}: alias points to '发改局'" in msg
    assert "which is itself an alias (of '区发改局')" in msg
    loop = EXAMPLE.replace(original, '"发改局" = "发改委"\n"发改委" = "发改局"', 1)
    msg = error_of(tmp_path, loop)
    first = line_of(loop, '"发改局" = ')
    assert f"config.toml:{first}: aliases.发改局: alias points to '发改委', which is itself" in msg


def test_unit_defined_twice_names_both_places(tmp_path: Path) -> None:
    text = EXAMPLE + '\n[[units]]\nname = "区发改局"\n'
    msg = error_of(tmp_path, text)
    count = EXAMPLE.count("[[units]]")
    assert f"units[{count}].name" in msg and "units[0].name" in msg
    assert f"config.toml:{len(text.splitlines())}:" in msg


def test_alias_that_is_also_a_unit_name(tmp_path: Path) -> None:
    text = EXAMPLE.replace('"发改局" = "区发改局"', '"区工信局" = "区发改局"', 1)
    msg = error_of(tmp_path, text)
    assert "aliases.区工信局" in msg and "already defined" in msg


def test_group_member_unknown(tmp_path: Path) -> None:
    text = EXAMPLE + '\n[[groups]]\nname = "重点单位"\nmembers = ["区发改局", "区外星局"]\n'
    msg = error_of(tmp_path, text)
    assert "members[1]" in msg and "区外星局" in msg


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "gbk.toml"
    bad.write_bytes('[office]\nname = "督查室"\n'.encode("gb18030"))
    with pytest.raises(ConfigError, match=r"gbk\.toml: not UTF-8"):
        load_config(bad)


def test_reporting_end_before_start(tmp_path: Path) -> None:
    text = EXAMPLE.replace("# start = 2024-03-15", "start = 2024-05-15", 1)
    text = text.replace("# end = 2024-12-31", "end = 2024-03-01", 1)
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, 'end = 2024-03-01')}: reporting.end:" in msg
    assert "2024-03-01" in msg and "2024-05-15" in msg


def test_a_date_both_holiday_and_workday_is_written_as_a_date(tmp_path: Path) -> None:
    text = EXAMPLE.replace("holidays = []", "holidays = [2027-01-01]", 1)
    text = text.replace("workdays = []", "workdays = [2027-01-01]", 1)
    msg = error_of(tmp_path, text)
    assert msg.endswith("calendar: dates listed as both holiday and workday: 2027-01-01")


@pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n"])
def test_an_empty_config_is_refused(tmp_path: Path, text: str) -> None:
    msg = error_of(tmp_path, text)
    assert msg.startswith(f"{tmp_path / 'config.toml'}: the config is empty")
    assert "config.example.toml" in msg


def test_config_path_that_is_a_directory_or_a_pipe(tmp_path: Path) -> None:
    import os

    with pytest.raises(ConfigError, match=f"{tmp_path}: cannot read the config file"):
        load_config(tmp_path)
    os.mkfifo(tmp_path / "config.fifo")
    with pytest.raises(ConfigError, match=r"config\.fifo: cannot read the config file: not a"):
        load_config(tmp_path / "config.fifo")


def test_config_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[office]\nname = "测试督查室"\n')
    monkeypatch.setenv("DUBAN_CONFIG", str(path))
    cfg = load_config()
    assert cfg.office.name == "测试督查室"
    assert cfg.database_url == f"sqlite:///{tmp_path / 'data' / 'duban.db'}"
    assert json.loads(json.dumps(cfg.escalation.model_dump()))["office_after"] == 5


def test_a_missing_config_named_by_the_environment_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUBAN_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert (
        str(caught.value)
        == f"{tmp_path / 'gone.toml'}: config file not found (named by $DUBAN_CONFIG)"
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("proxy", "htp:/proxy.example:3128", "telegram.proxy: 'htp:/proxy.example:3128' is no"),
        ("base_url", "127.0.0.1:8081/bot", "telegram.base_url: '127.0.0.1:8081/bot' is no http"),
        ("base_file_url", "http://", "telegram.base_file_url: 'http://' is no http"),
    ],
)
def test_telegram_urls_that_httpx_cannot_use(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    setting = f'{key} = "{value}"'
    text = re.sub(rf'(?m)^{key} = ""', setting, EXAMPLE, count=1)
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, setting)}: {expected}" in msg


def test_telegram_urls_that_work_are_kept(tmp_path: Path) -> None:
    text = EXAMPLE.replace('proxy = ""', 'proxy = "socks5://127.0.0.1:1080"', 1)
    text = re.sub(r'(?m)^base_url = ""', 'base_url = "http://127.0.0.1:8081/bot"', text, count=1)
    cfg = load_config(write(tmp_path, text))
    assert cfg.telegram.proxy == "socks5://127.0.0.1:1080"
    assert cfg.telegram.base_url == "http://127.0.0.1:8081/bot"


def test_webhook_port_out_of_range(tmp_path: Path) -> None:
    text = EXAMPLE.replace(
        'mode = "polling"',
        'mode = "webhook"\n[telegram.webhook]\nurl = "https://x.example/h"\nport = 99999',
        1,
    )
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, 'port = 99999')}: telegram.webhook.port:" in msg


def test_a_name_longer_than_the_database_keeps(tmp_path: Path) -> None:
    long = "区" + "长" * 100
    text = EXAMPLE + f'\n[[units]]\nname = "{long}"\n'
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, long)}: units[{EXAMPLE.count('[[units]]')}].name:" in msg
    assert "at most 100 characters" in msg


def test_digest_limit_must_be_positive_and_defaults_to_30(tmp_path: Path) -> None:
    text = EXAMPLE.replace("max_items = 30", "max_items = 0", 1)
    msg = error_of(tmp_path, text)
    assert f"config.toml:{line_of(text, 'max_items = 0')}: digest.max_items" in msg
    without = EXAMPLE.replace("[digest]", "[digest_unused]", 1).replace("max_items = 30", "", 1)
    without = without.replace("oldest_items = 10", "", 1).replace("[digest_unused]", "", 1)
    cfg = parse_config(without, source="config.toml", base_dir=tmp_path)
    assert (cfg.digest.max_items, cfg.digest.oldest_items) == (30, 10)


def test_decisions_and_deadlines_are_read_and_checked(tmp_path: Path) -> None:
    text = EXAMPLE.replace("review_within = 3", "review_within = 5", 1) + (
        "\n[[deadlines]]\ntasks = [12, 13]\ndate = 2024-06-30\n"
    )
    cfg = load_config(write(tmp_path, text))
    assert cfg.decisions.review_within == 5
    assert deadline_overrides(cfg) == {12: dt.date(2024, 6, 30), 13: dt.date(2024, 6, 30)}
    bad = EXAMPLE + "\n[[deadlines]]\ntasks = [12]\ndate = 2024-06-31\n"
    where = f"Invalid date or datetime (at line {line_of(bad, '2024-06-31')}"
    assert where in error_of(tmp_path, bad)
    empty = EXAMPLE + "\n[[deadlines]]\ntasks = []\ndate = 2024-06-30\n"
    assert "deadlines[0].tasks" in error_of(tmp_path, empty)
    zero = EXAMPLE.replace("designate_within = 3", "designate_within = 0", 1)
    msg = error_of(tmp_path, zero)
    assert f"config.toml:{line_of(zero, 'designate_within')}: decisions.designate_within" in msg
