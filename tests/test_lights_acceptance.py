"""Issue 11 point 1, as the office checks it: simulate the seed table, export the 台账, count
the lights. Everyone reporting on time over the whole year leaves no red; at the default
rates, red is what is late now — a unit that missed an earlier month and reported since is
not red for ever — and every red task is on the 逾期 sheet."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from openpyxl import load_workbook

from duban.cli import main as duban

REPO = Path(__file__).resolve().parent.parent


def simulate_and_export(tmp_path: Path, end: str, *rates: str) -> tuple[list[dict], list[dict]]:
    """`duban simulate … --save-db`, then `duban export ledger` of that database: the 台账 and
    逾期 sheets as rows."""
    config = tmp_path / "config.toml"
    example = (REPO / "config.example.toml").read_text(encoding="utf-8")
    config.write_text(example, encoding="utf-8")
    saved = tmp_path / "simulated.db"
    argv = ["--config", str(config), "simulate", "--from", "2024-03-15", "--to", end]
    argv += ["--table", str(REPO / "examples" / "shenhe-2024-tasks.txt"), "--seed", "1"]
    assert duban([*argv, *rates, "--save-db", str(saved)]) == 0
    sim = tmp_path / "simulated.toml"
    url = f'database_url = "sqlite:///{saved.as_posix()}"'
    sim.write_text(example.replace('database_url = ""', url, 1), encoding="utf-8")
    ledger = tmp_path / "台账.xlsx"
    assert duban(["--config", str(sim), "export", "ledger", "-o", str(ledger), "--at", end]) == 0
    wb = load_workbook(ledger, read_only=True)
    return rows(wb["台账"]), rows(wb["逾期"])


def rows(ws) -> list[dict]:  # type: ignore[no-untyped-def]
    it = ws.iter_rows(values_only=True)
    header = next(it)
    return [dict(zip(header, r, strict=True)) for r in it]


def test_everyone_on_time_for_the_whole_year_leaves_no_red(tmp_path, capsys) -> None:
    tasks, overdue = simulate_and_export(
        tmp_path, "2024-12-31", "--reply-rate", "1", "--late-rate", "0"
    )
    capsys.readouterr()
    assert len(tasks) == 91
    assert Counter(t["状态灯"] for t in tasks) == {"绿": 91}
    assert overdue == []


def test_default_rates_red_is_only_what_is_late_now(tmp_path, capsys) -> None:
    # Four months at the default rates (reply 0.8, late 0.2), to a day when June's late
    # reports are in and July is not yet due: before settlement every task with a unit that
    # ever missed a month stayed red. Now a task is red when one of its units missed June —
    # 1 − 0.8ⁿ for n units (about 61 of the 91 tasks if each misses on its own).
    tasks, overdue = simulate_and_export(tmp_path, "2024-07-19")
    capsys.readouterr()
    lights = Counter(t["状态灯"] for t in tasks)
    assert lights["红"] < 0.75 * len(tasks) and lights["绿"] > 0
    red = {t["序号"] for t in tasks if t["状态灯"] == "红"}
    assert red <= {o["序号"] for o in overdue}  # every red task is on the 逾期 sheet
    # Missed months are remembered: 累计逾期 counts more than the periods still overdue.
    assert sum(t["累计逾期（期）"] for t in tasks) > len(overdue)
