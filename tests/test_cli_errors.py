"""Errors raised deep inside a command reach the admin as one clear line, not a traceback."""

from __future__ import annotations

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
    )
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
