"""`duban simulate --format jsonl` for the seed table over Sep–Oct 2024 is byte-identical to the
output recorded (compressed): users see nothing change unless a change means them to.

Recorded before the delivery-core redesign; re-recorded once when overdue and escalation items
gained `overdue_days` (issue 11): every other byte of the 2 578 lines stayed the same."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import chinese_calendar

from duban.cli import main as duban

REPO = Path(__file__).resolve().parent.parent
SEED_TABLE = REPO / "examples" / "shenhe-2024-tasks.txt"
# Made on main at a21ca46 (re-made with `overdue_days` on branch ages) with the bundled example
# config, default rates, seed 1:
#   duban simulate --from 2024-09-01 --to 2024-10-31 --table examples/shenhe-2024-tasks.txt
#     --format jsonl | gzip -9 -n
# Re-recorded for issue 11 (completion and the review chase): simulated leads now review, so
# the run adds their review_result and review_overdue items (a digest holding a review_overdue
# is a lead's) and designation requests are due 3 working days after they go out; every other
# line is as the ages branch recorded it.
FIXTURE = REPO / "tests" / "data" / "simulate_seed_2024-09-10.jsonl.gz"


def test_sep_oct_2024_jsonl_is_byte_identical_to_the_recorded_run(capsys, tmp_path: Path):
    """… and its overdue and escalation items say their true age (one run for both checks:
    it takes a few seconds)."""
    config = tmp_path / "config.toml"
    config.write_text((REPO / "config.example.toml").read_text(encoding="utf-8"), "utf-8")
    code = duban(
        ["--config", str(config), "simulate", "--from", "2024-09-01", "--to", "2024-10-31",
         "--table", str(SEED_TABLE), "--format", "jsonl"]
    )  # fmt: skip
    assert code == 0
    got = capsys.readouterr().out.encode("utf-8")
    expected = gzip.decompress(FIXTURE.read_bytes())
    got_lines, expected_lines = got.splitlines(), expected.splitlines()
    first_difference = next(
        (i for i, (a, b) in enumerate(zip(got_lines, expected_lines, strict=False)) if a != b),
        min(len(got_lines), len(expected_lines)),
    )
    assert got == expected, (
        f"line {first_difference + 1} differs ({len(got_lines)} lines, recorded "
        f"{len(expected_lines)})"
    )
    assert_true_ages(got.decode("utf-8"))


def assert_true_ages(jsonl: str) -> None:
    """Every overdue and escalation item carries an integer `overdue_days`: the working days
    after its due date up to the day of the message, counted here on chinesecalendar."""
    aged = 0
    for line in jsonl.splitlines():
        event = json.loads(line)
        if "items" not in event:
            continue
        day = dt.date.fromisoformat(event["at"][:10])
        for item in event["items"]:
            if item["kind"] not in ("overdue", "escalation_lead", "escalation_office"):
                assert "overdue_days" not in item, item
                continue
            due = dt.date.fromisoformat(item["due"])
            expected = sum(
                chinese_calendar.is_workday(due + dt.timedelta(days=k))
                for k in range(1, (day - due).days + 1)
            )
            assert type(item["overdue_days"]) is int and item["overdue_days"] == expected, item
            assert expected >= 1
            aged += 1
    assert aged > 1000  # Sep–Oct of the seed: 2 048 such items
