"""`duban simulate`: deterministic, follows the jsonl contract, and runs the real ladder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from engine_fixtures import add_table

from duban.cli import main as duban
from duban.simulate import SimOptions, simulate
from duban.wiring import calendar_for

REPO = Path(__file__).resolve().parent.parent
SEED_TABLE = REPO / "examples" / "shenhe-2024-tasks.txt"
MESSAGE_KEYS = {"at", "recipient", "role", "kind", "items"}
REPORT_KEYS = {"at", "event", "task", "unit", "due"}


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((REPO / "config.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def run_jsonl(capsys, config_file: Path, *extra: str) -> list[str]:
    code = duban(
        [
            "--config",
            str(config_file),
            "simulate",
            "--from",
            "2024-03-15",
            "--to",
            "2024-03-29",
            "--table",
            str(SEED_TABLE),
            "--format",
            "jsonl",
            *extra,
        ]
    )
    assert code == 0
    return capsys.readouterr().out.splitlines()


def test_same_seed_gives_identical_jsonl_in_the_contract_shape(capsys, config_file):
    first = run_jsonl(capsys, config_file, "--seed", "7", "--reply-rate", "0.6")
    second = run_jsonl(capsys, config_file, "--seed", "7", "--reply-rate", "0.6")
    assert first == second

    events = [json.loads(line) for line in first]
    reports = [e for e in events if e.get("event") == "report"]
    messages = [e for e in events if "event" not in e]
    assert reports and messages
    assert all(set(e) == REPORT_KEYS for e in reports)
    assert all(set(e) == MESSAGE_KEYS for e in messages)
    times = [dt.datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)  # in time order
    assert all(e["at"].endswith("+08:00") for e in events)
    for m in messages:
        assert m["role"] in {"unit", "lead", "office", "leader"}
        assert m["items"] and all({"task", "unit", "due"} <= set(i) for i in m["items"])
        local = dt.datetime.fromisoformat(m["at"])
        assert local.weekday() < 5 and 9 <= local.hour < 18


def test_text_output_has_timeline_and_summary(capsys, config_file):
    code = duban(
        [
            "--config",
            str(config_file),
            "simulate",
            "--from",
            "2024-03-15",
            "--to",
            "2024-03-29",
            "--table",
            str(SEED_TABLE),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "timeline (excerpt):" in out and "summary:" in out
    assert "催办 overdue notices" in out and "on-time rate per unit" in out
    assert "区发改局" in out


def test_bad_dates_are_refused(capsys, config_file):
    code = duban(
        ["--config", str(config_file), "simulate", "--from", "2024-05-01", "--to", "2024-04-01"]
    )
    assert code == 2
    assert "before --from" in capsys.readouterr().err


def window(config, start, end):
    return SimOptions(start=start, end=end, reply_rate=0.0, late_rate=0.0, seed=1)


def test_reply_rate_zero_runs_every_ladder_to_the_office(config, sessions):
    add_table(sessions, contacts=False)
    start, end = dt.date(2024, 3, 1), dt.date(2024, 5, 31)
    result = simulate(config, window(config, start, end), source=sessions)
    assert result.reports == 0
    # Nothing on the Qingming holiday (4–6 April 2024), nor at night.
    days = {e["at"][:10] for e in result.events}
    assert not days & {"2024-04-04", "2024-04-05", "2024-04-06"}
    assert all(9 <= dt.datetime.fromisoformat(e["at"]).hour < 18 for e in result.events)
    cal = calendar_for(config)
    items: dict[str, set[tuple]] = {}
    for e in result.events:
        for i in e["items"]:
            items.setdefault(i["kind"], set()).add((i["task"], i["unit"], i["due"]))
    reminded = items["reminder"]
    assert reminded
    for task, unit, due in reminded:
        d = dt.date.fromisoformat(due)
        if cal.add_workdays(d, config.escalation.office_after) <= end:
            assert (task, unit, due) in items["escalation_office"], (task, unit, due)
            assert (task, unit, due) in items["overdue"]


def test_another_seed_gives_other_reports(config, sessions):
    add_table(sessions, contacts=False)

    def reports(seed: int) -> list[dict]:
        options = SimOptions(
            start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30), reply_rate=0.5, seed=seed
        )
        result = simulate(config, options, source=sessions)
        return [e for e in result.events if e.get("event") == "report"]

    assert reports(1) == reports(1)
    assert reports(1) != reports(2)


def test_everyone_reports_on_time_means_no_chasing(config, sessions):
    add_table(sessions, contacts=False)
    options = SimOptions(
        start=dt.date(2024, 3, 1), end=dt.date(2024, 5, 31), reply_rate=1.0, late_rate=0.0
    )
    result = simulate(config, options, source=sessions)
    kinds = {i["kind"] for e in result.events for i in e.get("items", [])}
    assert "reminder" in kinds
    assert not kinds & {"overdue", "escalation_lead", "escalation_office"}
    assert all(on_time == due for due, on_time, _ in result.per_unit.values())


def test_simulated_leads_designate_their_placeholders(capsys, config_file):
    """Task 4's responsible units include 各相关街道办事处: once its lead designates, the chosen
    subdistricts are reminded like any unit; with --reply-rate 1 every lead designates."""
    events = [json.loads(line) for line in run_jsonl(capsys, config_file, "--reply-rate", "1")]
    streets = {"示例街道一（请替换）", "示例街道二（请替换）", "示例街道三（请替换）"}
    task4_units = {
        item["unit"]
        for e in events
        if e.get("kind") in ("reminder", "due")
        for item in e["items"]
        if item["task"] == 4
    }
    assert task4_units & streets
    # Designated placeholders stop asking: no designate request after the first week.
    late_asks = [e for e in events if e.get("kind") == "designate" and e["at"] >= "2024-03-25"]
    assert late_asks == []
