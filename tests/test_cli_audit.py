"""`duban audit`: the office reads who did what and when, and what was refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import make_engine, make_sessionmaker, transaction
from db.models import Assignment, Period, Task, Unit
from duban.cli import main
from duban.config import example_config_path, load_config
from duban.terminal_table import width
from services import ServiceError
from services.audit import record_refusal
from services.extensions import request_extension
from services.registration import create_invite, redeem_invite
from services.reports import review_report, submit_report

SH = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=SH)


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Task 1 (lead 区发改局, responsible 区工信局 …): 王工信 of 区工信局 reports, 李发改 of
    区发改局 returns the report, 王工信 asks for an extension, and 王工信 tries to report for
    区商务局 (refused)."""
    tmp = tmp_path_factory.mktemp("audit")
    path = tmp / "config.toml"
    text = example_config_path().read_text(encoding="utf-8")
    path.write_text(text.replace("# start = 2024-03-15 ", "start = 2024-03-15"), "utf-8")
    seed = Path(__file__).resolve().parent.parent / "examples" / "shenhe-2024-tasks.txt"
    cfg = ["--config", str(path)]
    assert main([*cfg, "init"]) == 0 and main([*cfg, "import", str(seed)]) == 0
    assert main([*cfg, "tick", "--console", "--at", "2024-03-19T09:00"]) == 0

    engine = make_engine(load_config(str(path)).database_url)
    sessions = make_sessionmaker(engine)

    def period_of(session, unit: str) -> int:  # type: ignore[no-untyped-def]
        return session.scalar(
            select(Period.id)
            .join(Assignment, Assignment.id == Period.assignment_id)
            .join(Task, Task.id == Assignment.task_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Task.number == 1, Unit.name == unit)
        )

    with transaction(sessions) as s:
        gx = create_invite(s, "区工信局", now=at(18, 9)).token
        fg = create_invite(s, "区发改局", now=at(18, 9)).token
    with transaction(sessions) as s:
        wang = redeem_invite(s, gx, user_address="501", address="501", display_name="王工信",
                             now=at(18, 10)).id  # fmt: skip
        li = redeem_invite(s, fg, user_address="502", address="502", display_name="李发改",
                           now=at(18, 11)).id  # fmt: skip
    with transaction(sessions) as s:
        report = submit_report(s, period_id=period_of(s, "区工信局"), contact_id=wang,
                               status="on_track", text="已完成季度目标",
                               now=at(20, 10, 17))  # fmt: skip
        report_id = report.id
    with transaction(sessions) as s:
        review_report(s, report_id=report_id, reviewer_contact_id=li, accept=False,
                      comment="请补充数据", now=at(22, 9, 30))  # fmt: skip
    with transaction(sessions) as s:
        request_extension(s, period_id=period_of(s, "区工信局"), contact_id=wang,
                          reason="数据未出", new_due=dt.date(2024, 4, 30),
                          now=at(23, 11))  # fmt: skip
    try:
        with transaction(sessions) as s:
            submit_report(s, period_id=period_of(s, "区商务局"), contact_id=wang,
                          status="on_track", text="代报", now=at(25, 16))  # fmt: skip
    except ServiceError as exc:
        record_refusal(sessions, exc, now=at(25, 16))
    else:
        raise AssertionError("reporting for another unit was not refused")
    engine.dispose()
    return path


def audit(config_file: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    capsys.readouterr()
    assert main(["--config", str(config_file), "audit", *argv]) == 0
    return capsys.readouterr().out.splitlines()


def test_the_table_shows_who_did_what_in_chinese_aligned_by_display_width(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = audit(config_file, capsys)
    header, rule, *rows, total = lines
    assert header.split() == ["时间", "操作人", "操作", "任务", "单位", "说明"]
    assert total == "共 8 条记录"
    assert [r.split("  ")[0] for r in rows] == [
        "2024-03-18 09:00", "2024-03-18 09:00", "2024-03-18 10:00", "2024-03-18 11:00",
        "2024-03-20 10:17", "2024-03-22 09:30", "2024-03-23 11:00", "2024-03-25 16:00",
    ]  # fmt: skip
    report = next(r for r in rows if "报送进展" in r and "已拒绝" not in r)
    assert "王工信（区工信局）" in report and "进展顺利" in report
    returned = next(r for r in rows if "退回报告" in r)
    assert "李发改（区发改局）" in returned and "意见：请补充数据" in returned
    assert "延期至 2024-04-30" in next(r for r in rows if "申请延期" in r)
    refused = rows[-1]
    assert "王工信（区工信局）" in refused and "区商务局" in refused
    assert refused.endswith("已拒绝：该事项属于其他单位。")  # what the bot told him, not English
    # the columns line up on screen: where the rule has its two-space gaps, every line has
    # blanks at the same display columns (a CJK character takes two)
    gaps = [i for i, ch in enumerate(rule) if ch == " "]
    for line in (header, *rows):
        cells = "".join(ch * width(ch) for ch in line).ljust(len(rule))
        assert all(cells[i] == " " for i in gaps), line


def test_filters_by_unit_task_and_date_and_jsonl_fields(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --unit by any spelling: entries about the unit or done by its contacts
    rows = audit(config_file, capsys, "--unit", "发改局")[2:-1]
    assert len(rows) == 3  # its invite, its contact's binding, the return it made
    assert all("区发改局" in r for r in rows)

    lines = audit(
        config_file, capsys, "--task", "1", "--since", "2024-03-21", "--until", "2024-03-23",
        "--format", "jsonl",
    )  # fmt: skip
    entries = [json.loads(line) for line in lines]
    assert [e["action"] for e in entries] == ["report.return", "extension.request"]
    first = entries[0]
    assert set(first) == {
        "at", "actor", "actor_name", "actor_unit", "action", "refused", "task", "unit",
        "subject", "detail",
    }  # fmt: skip
    assert first["at"] == "2024-03-22T09:30:00+08:00"
    assert (first["actor_name"], first["actor_unit"]) == ("李发改", "区发改局")
    assert (first["task"], first["unit"], first["refused"]) == (1, "区工信局", False)
    assert first["detail"]["comment"] == "请补充数据"

    lines = audit(config_file, capsys, "--since", "2024-03-25", "--format", "jsonl")
    refused = json.loads(lines[0])
    assert refused["refused"] is True and refused["unit"] == "区商务局"
    assert refused["action"] == "report.submit" and refused["detail"]["code"] == "other_unit"
    assert refused["detail"]["reason"] == "this item belongs to another unit"

    assert audit(config_file, capsys, "--task", "91") == ["审计日志中没有符合条件的记录（任务 91）"]


def test_mistakes_and_english(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ["--config", str(config_file)]
    assert main([*cfg, "audit", "--since", "2024-04-01", "--until", "2024-03-01"]) == 2
    err = capsys.readouterr().err
    assert err == "duban: error: --since 2024-04-01 晚于 --until 2024-03-01：没有这样的日期范围\n"
    assert main([*cfg, "audit", "--unit", "各街道办事处"]) == 2
    assert "is a group, not a unit" in capsys.readouterr().err

    english = tmp_path / "en.toml"
    text = config_file.read_text(encoding="utf-8").replace('locale = "zh_CN"', 'locale = "en"')
    english.write_text(text.replace('data_dir = "data"', f'data_dir = "{config_file.parent}/data"'))
    header, *_, total = audit(english, capsys, "--task", "1")
    assert header.split() == ["time", "by", "action", "task", "unit", "details"]
    assert total == "4 entries (task 1)"
