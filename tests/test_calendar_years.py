"""A year the holiday library does not cover is never half-listed and half-guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from duban.cli import main
from duban.config import example_config_path

EXAMPLE = example_config_path().read_text(encoding="utf-8")
SPRING_2027 = "holidays = [2027-01-01, 2027-02-05, 2027-02-08, 2027-02-09, 2027-02-10]"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_partly_listed_year_beyond_the_library_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE.replace("holidays = []", SPRING_2027, 1)
    path = write(tmp_path, text)
    assert main(["--config", str(path), "init"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"duban: error: {path}:{line_of(text, SPRING_2027)}: calendar.holidays: 2027 is not "
        "covered by the holiday library (it has 2004–2026)"
    ), err
    assert "would be guessed Monday–Friday" in err and "calendar.complete_years" in err
    assert err.count("\n") == 1

    # a make-up workday alone is named by its own key
    text = EXAMPLE.replace("workdays = []", "workdays = [2028-01-29]", 1)
    assert main(["--config", str(write(tmp_path, text)), "init"]) == 2
    err = capsys.readouterr().err
    assert "calendar.workdays: 2028 is not covered" in err


def test_declaring_the_listed_year_complete_makes_it_usable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE.replace("holidays = []", SPRING_2027, 1)
    text = text.replace("complete_years = []", "complete_years = [2027]", 1)
    assert main(["--config", str(write(tmp_path, text)), "init"]) == 0

    # complete, yet without a single holiday of the year: surely not complete
    text = EXAMPLE.replace("complete_years = []", "complete_years = [2029]", 1)
    assert main(["--config", str(write(tmp_path, text)), "init"]) == 2
    err = capsys.readouterr().err
    assert "calendar.complete_years: complete_years names 2029, but calendar.holidays lists" in err
