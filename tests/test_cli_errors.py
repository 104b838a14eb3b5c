"""Errors raised deep inside a command reach the admin as one clear line, not a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from duban.cli import main
from duban.config import example_config_path


@pytest.fixture
def config_file(tmp_path: Path, seed_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--config", str(path), "init"]) == 0
    assert main(["--config", str(path), "import", str(seed_path)]) == 0
    return path


def test_year_beyond_the_holiday_library_names_date_and_keys(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        ["--config", str(config_file), "simulate", "--from", "2027-01-04", "--to", "2027-02-26"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("duban: error: 2027-01-04")
    assert "calendar.holidays" in err and "calendar.workdays" in err
    assert "Traceback" not in err


def test_year_beyond_the_library_works_once_overrides_are_given(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = config_file.read_text(encoding="utf-8").replace(
        "holidays = []                  # e.g.",
        "holidays = [2027-01-01, 2027-02-05, 2027-02-08, 2027-02-09, 2027-02-10, 2027-02-11]  #",
    ).replace("complete_years = []", "complete_years = [2027]", 1)
    config_file.write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = main(
        [
            "--config",
            str(config_file),
            "simulate",
            "--from",
            "2027-01-04",
            "--to",
            "2027-02-26",
            "--format",
            "jsonl",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert '"at": "2027-01-' in out
    # 2027-02-08 is listed as a holiday: nothing goes out that day.
    assert '"at": "2027-02-08' not in out


def _with_duban_setting(path: Path, key: str, value: str) -> Path:
    text = path.read_text(encoding="utf-8")
    text = re.sub(rf"(?m)^{key} = .*$", f'{key} = "{value}"', text, count=1)
    path.write_text(text, encoding="utf-8")
    return path


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("duban: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # a data directory that cannot be made: a regular file stands in its way
        ("data_dir", "{tmp}/a-file/data", "cannot create the directory {tmp}/a-file"),
        ("database_url", "sqlite:///{tmp}/a-file/x.db", "cannot create the directory {tmp}/a-file"),
        ("database_url", "not a url", "duban.database_url is not a database URL"),
        ("database_url", "mysql://u:s3cr3t@db/x", "mysql://u:***@db/x: no database driver"),
        ("database_url", "sqlite:///{tmp}", "cannot open the database sqlite:///{tmp}"),
    ],
)
def test_a_database_that_cannot_be_opened_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: str, expected: str
) -> None:
    (tmp_path / "a-file").write_text("in the way", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    _with_duban_setting(path, key, value.format(tmp=tmp_path))
    for command in (["init"], ["tasks"], ["import", "--dry-run", str(path)]):
        assert main(["--config", str(path), *command]) == 2, command
        err = one_error_line(capsys)
        assert expected.format(tmp=tmp_path) in err and "s3cr3t" not in err


def test_output_paths_that_cannot_be_written_are_named(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = config_file.parent / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    cfg = ["--config", str(config_file)]
    capsys.readouterr()
    assert main([*cfg, "export", "ledger", "-o", str(blocker / "台账.xlsx")]) == 2
    assert str(blocker) in one_error_line(capsys)
    assert main([*cfg, "export", "charts", "-o", str(blocker / "charts")]) == 2
    assert str(blocker / "charts") in one_error_line(capsys)
    # --save-db is checked before the simulation runs, not after it
    argv = [*cfg, "simulate", "--from", "2024-03-15", "--to", "2024-12-31", "--seed", "1"]
    assert main([*argv, "--save-db", str(blocker / "sim.db")]) == 2
    assert f"--save-db {blocker / 'sim.db'}: cannot write there" in one_error_line(capsys)
    assert capsys.readouterr().out == ""


def test_a_bad_simulation_table_names_file_and_line(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    capsys.readouterr()
    argv = ["--config", str(config_file), "simulate", "--from", "2024-03-15", "--to", "2024-03-20"]
    assert main([*argv, "--table", str(empty)]) == 2
    assert f"{empty}:1: the file is empty" in one_error_line(capsys)


def test_an_unexpected_error_is_one_line_and_verbose_shows_it(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from duban.commands import summary

    def broken(_args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(summary, "run", broken)
    capsys.readouterr()
    assert main(["--config", str(config_file), "summary"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unexpected RuntimeError: a bug" in err
    assert "duban -v summary" in err
    with pytest.raises(RuntimeError, match="a bug"):
        main(["-v", "--config", str(config_file), "summary"])


def test_reporting_end_before_the_first_import_is_a_config_error(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without reporting.start the plan starts on the day of the first import (today here)."""
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("# end = 2024-12-31", "end = 2024-03-01", 1), "utf-8")
    capsys.readouterr()
    tick = ["tick", "--console", "--at", "2024-03-20T10:00"]
    assert main(["--config", str(config_file), *tick]) == 2
    err = one_error_line(capsys)
    assert "reporting.end (2024-03-01) is before the plan's start" in err
    assert "set reporting.start" in err


def test_export_before_any_import_says_to_import_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--config", str(path), "init"]) == 0
    capsys.readouterr()
    for what, out in (("ledger", tmp_path / "台账.xlsx"), ("charts", tmp_path / "charts")):
        assert main(["--config", str(path), "export", what, "-o", str(out)]) == 2
        assert "import the task table first (`duban import FILE`)" in one_error_line(capsys)
        assert not out.exists()


def test_a_bad_export_date_is_named_once(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(
            ["--config", str(config_file), "export", "ledger", "-o", "x.xlsx", "--at", "2024-13-01"]
        )
    err = capsys.readouterr().err
    assert err.rstrip().endswith("argument --at: not a date (YYYY-MM-DD): '2024-13-01'"), err


def test_a_tick_before_the_plan_starts_says_why_nothing_is_due(
    config_file: Path, tmp_path: Path, seed_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's `duban tick --at 2024-03-20T09:00` on a table imported today: the plan
    starts today (no [reporting] start), so the tick finds nothing — and says why."""
    cfg = ["--config", str(config_file)]
    capsys.readouterr()
    assert main([*cfg, "tick", "--console", "--at", "2024-03-20T09:00"]) == 0
    out, err = capsys.readouterr()
    assert "新建周期 0 个，检查 0 个，生成通知 0 条" in out
    assert err.startswith("duban: note: 2024-03-20 在报送计划开始（")
    assert "请设置 [reporting] start" in err

    # with [reporting] start set before the first tick, the same tick has work and no note
    other = tmp_path / "with-start" / "config.toml"
    other.parent.mkdir()
    text = config_file.read_text(encoding="utf-8")
    other.write_text(text.replace("# start = 2024-03-15 ", "start = 2024-03-15"), "utf-8")
    cfg = ["--config", str(other)]
    assert main([*cfg, "init"]) == 0 and main([*cfg, "import", str(seed_path)]) == 0
    capsys.readouterr()
    assert main([*cfg, "tick", "--console", "--at", "2024-03-20T09:00"]) == 0
    out, err = capsys.readouterr()
    assert "新建周期 0 个" not in out and "note:" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--console", "--interval", "0"],
        ["summary", "--top", "-1"],
        ["outbox", "--limit", "0"],
    ],
)
def test_counts_that_make_no_sense_are_refused_by_the_parser(
    config_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main(["--config", str(config_file), *argv])
    err = capsys.readouterr().err
    option, value = argv[-2:]
    assert stopped.value.code == 2 and f"argument {option}: {value!r} is not a whole number" in err
