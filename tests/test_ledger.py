"""The ledger read back with openpyxl: rows, lights, overdue days and sheets match the database."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import chinese_calendar
import pytest
from openpyxl import load_workbook

from db.engine import transaction
from db.models.periods import ACCEPTED, DONE, OPEN, RETURNED, SUBMITTED
from db.models.reports import REVIEW_ACCEPTED, REVIEW_RETURNED
from duban.cli import main
from duban.config import example_config_path
from duban.ledger import build_ledger, collect_ledger, sheet_title
from duban.targets import sync_task_targets
from messages.vocabulary import Light
from tests.factories import add_period, add_report, add_task

AS_OF = dt.date(2024, 4, 1)  # a Monday
SECTION_1 = "一、优结构、谋发展，在加快构建现代化产业体系上冲在前"
SECTION_4 = "四、优环境、激活力，在持续深化改革开放上冲在前"


def at(day: str, hour: int = 10) -> dt.datetime:
    """A moment in Beijing time (the config's zone), stored as UTC."""
    local = dt.datetime.fromisoformat(day).replace(hour=hour)
    return (local - dt.timedelta(hours=8)).replace(tzinfo=dt.UTC)


D = dt.date.fromisoformat


@pytest.fixture
def scenario(sessions):
    """Six tasks whose states I chose by hand; the expected lights are written beside them."""
    with transaction(sessions) as s:
        # Task 7, red: 区工信局 has not reported for March (due 3-25): 7 days overdue on 4-1.
        t7 = add_task(
            s,
            7,
            "开拓发展科技服务、信息服务2个先导型产业，服务业增加值达到1087亿元。",
            units=("区发改局", "区工信局", "区商务局"),
            section=SECTION_1,
        )
        sync_task_targets(s, t7)
        t7.deadline_text, t7.deadline = "2024年12月底", D("2024-12-31")
        billion = t7.targets[1]
        p = add_period(s, t7, "区发改局", D("2024-03-25"), ACCEPTED)
        add_report(s, p, at("2024-03-22"), "一季度增加值500亿元", 500, billion, REVIEW_ACCEPTED)
        add_period(s, t7, "区工信局", D("2024-03-25"), OPEN)
        p = add_period(s, t7, "区商务局", D("2024-03-25"), SUBMITTED)
        add_report(s, p, at("2024-03-26"), "商贸项目推进中")
        # A report after the as-of date is not seen.
        add_report(s, p, at("2024-04-05"), "四月的报送", 900, billion)

        # Task 12, yellow: due in 2 days; 区投促局 has an extension to 4-10 (not overdue).
        t12 = add_task(
            s, 12, "引进首店、旗舰店不少于20家。", units=("区商务局", "区投促局"), section=SECTION_1
        )
        sync_task_targets(s, t12)
        p = add_period(s, t12, "区商务局", D("2024-04-03"), OPEN, label="2024-04")
        old = add_period(s, t12, "区商务局", D("2024-03-25"), ACCEPTED)
        add_report(s, old, at("2024-03-20"), "已引进5家", 5)  # no target named: the only one
        add_period(s, t12, "区投促局", D("2024-03-25"), OPEN, extended_to=D("2024-04-10"))

        # Task 15, red: the lead's report was returned and it is now 12 days past 3-20.
        t15 = add_task(
            s, 15, "跨境电商交易额突破1500万元。", units=("区商务局",), section=SECTION_1
        )
        sync_task_targets(s, t15)
        p = add_period(s, t15, "区商务局", D("2024-03-20"), RETURNED)
        add_report(s, p, at("2024-03-19"), "数据待核", 2000, review_state=REVIEW_RETURNED)

        # Task 22, yellow: returned, to report again by 4-15 (extension).
        t22 = add_task(s, 22, "科技成果转化达到58亿元。", units=("区工信局",), section=SECTION_1)
        p = add_period(s, t22, "区工信局", D("2024-03-25"), RETURNED, extended_to=D("2024-04-15"))

        # Task 37, green: done.
        t37 = add_task(s, 37, "促进节日消费。", units=("区商务局",), section=SECTION_1)
        add_period(s, t37, "区商务局", D("2024-03-25"), DONE)

        # Task 40, green: reported; next period due 4-25; a period starting 5-1 is not yet.
        t40 = add_task(
            s, 40, "构建亲清政商关系。", units=("区营商局", "区司法局"), section=SECTION_4
        )
        add_period(s, t40, "区营商局", D("2024-03-25"), ACCEPTED)
        add_period(s, t40, "区营商局", D("2024-04-25"), OPEN, label="2024-04")
        add_period(s, t40, "区司法局", D("2024-05-24"), OPEN, label="2024-05")
        add_period(s, t40, "区司法局", D("2024-03-25"), ACCEPTED)
    return sessions


def workdays_after(due: str, as_of: dt.date) -> int:
    """Counted here, day by day on chinesecalendar: working days after `due` up to as_of."""
    day, n = D(due), 0
    while day < as_of:
        day += dt.timedelta(days=1)
        n += chinese_calendar.is_workday(day)
    return n


# Ages are working days: due Mon 3-25 → Mon 4-1 is 5 (calendar days: 7); due Wed 3-20 → 8.
EXPECTED = {  # number: (light, working days overdue)
    7: ("红", 5),
    12: ("黄", 0),
    15: ("红", 8),
    22: ("黄", 0),
    37: ("绿", 0),
    40: ("绿", 0),
}


def workbook(sessions, config):
    with sessions() as s:
        data = build_ledger(s, config, AS_OF)
    return load_workbook(io.BytesIO(data))


def rows_of(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_ledger_rows_lights_and_overdue_days(scenario, config) -> None:
    wb = workbook(scenario, config)
    ws = wb["台账"]
    rows = rows_of(ws)
    assert [r["序号"] for r in rows] == sorted(EXPECTED)
    got = {r["序号"]: (r["状态灯"], r["逾期工作日"]) for r in rows}
    assert got == EXPECTED
    assert EXPECTED[7][1] == workdays_after("2024-03-25", AS_OF)
    assert EXPECTED[15][1] == workdays_after("2024-03-20", AS_OF)
    by = {r["序号"]: r for r in rows}
    assert by[7]["牵头单位"] == "区发改局"
    assert by[7]["责任单位"] == "区工信局、区商务局"
    assert by[7]["完成时限"].date() == D("2024-12-31")
    assert by[12]["完成时限"] is None  # the table gave it none
    assert by[7]["所属板块"] == "一、优结构、谋发展"  # the title up to its first comma
    states = by[7]["各单位状态"]
    assert "区工信局：滞后，逾期5个工作日" in states
    assert "区发改局：序时推进，已通过" in states
    assert "区商务局：序时推进，已报送，待审核" in states
    # The latest report up to 4-1 is 区商务局's of 3-26; the 4-5 one is not seen yet.
    assert by[7]["最近报送日期"].date() == D("2024-03-26")
    assert by[7]["最近报送内容"] == "区商务局：商贸项目推进中"
    assert "服务业增加值≥1087亿元" in by[7]["目标"]
    assert "2. 500亿元" in by[7]["完成数值"]
    assert "2. 46.0%" in by[7]["完成进度"]  # 500 ÷ 1087
    # One target: numbers, so the column sorts. 5 of 20 = 25 %.
    assert by[12]["完成数值"] == 5
    assert by[12]["完成进度"] == pytest.approx(0.25)
    assert "区商务局：序时推进，2天后到期（4月3日）" in by[12]["各单位状态"]
    assert "区投促局：未启动，下期4月10日截止" in by[12]["各单位状态"]
    # A returned report's figure does not count.
    assert by[15]["完成数值"] in (None, "")
    assert "被退回" in by[22]["各单位状态"]
    assert by[37]["各单位状态"] == "区商务局：已办结"
    assert by[40]["各单位状态"] == (
        "区营商局：序时推进，已通过，下期4月25日截止；\n区司法局：序时推进，已通过"
    )


def test_ledger_overdue_sheet_lists_every_overdue_period(scenario, config) -> None:
    rows = rows_of(workbook(scenario, config)["逾期"])
    got = {(r["序号"], r["单位"], r["角色"], r["应报日期"].date(), r["逾期工作日"]) for r in rows}
    assert got == {
        (7, "区工信局", "责任", D("2024-03-25"), 5),
        (15, "区商务局", "牵头", D("2024-03-20"), 8),
    }
    assert [r["序号"] for r in rows] == [15, 7]  # longest overdue first
    assert rows[1]["牵头单位"] == "区发改局"


def test_ledger_sheet_per_lead_department(scenario, config) -> None:
    wb = workbook(scenario, config)
    assert {"区发改局", "区商务局", "区工信局", "区营商局"} <= set(wb.sheetnames)
    fagai = rows_of(wb["区发改局"])
    assert [(r["序号"], r["单位"], r["角色"], r["状态灯"]) for r in fagai] == [
        (7, "区发改局", "牵头", "绿"),
        (7, "区工信局", "责任", "红"),
        (7, "区商务局", "责任", "绿"),
    ]
    shangwu = rows_of(wb["区商务局"])
    assert sorted({r["序号"] for r in shangwu}) == [12, 15, 37]
    overdue = next(r for r in shangwu if r["序号"] == 15)
    assert (overdue["逾期工作日"], overdue["状态灯"]) == (8, "红")


def test_ledger_layout(scenario, config) -> None:
    wb = workbook(scenario, config)
    for ws in wb.worksheets:
        assert len(ws.title) <= 31 and not re.search(r"[\[\]:*?/\\]", ws.title)
        assert ws.freeze_panes == "A2"
    ws = wb["台账"]
    assert ws.auto_filter.ref == "A1:Q7"  # …, 累计逾期, 进展状态, 状态灯, 分管区领导
    assert ws.column_dimensions["C"].width >= 40
    assert ws["C2"].alignment.wrap_text
    fills = {
        ws.cell(row=r, column=16).value: ws.cell(row=r, column=16).fill.fgColor.rgb
        for r in range(2, ws.max_row + 1)
    }
    assert fills["红"].endswith("FFC7CE")
    assert fills["黄"].endswith("FFEB9C")
    assert fills["绿"].endswith("C6EFCE")


def test_as_of_later_sees_later_report_and_more_overdue(scenario, config) -> None:
    with scenario() as s:
        ledger = collect_ledger(s, config, D("2024-04-08"))
    row7 = next(r for r in ledger.rows if r.number == 7)
    # 清明 4-4..4-6 are off, Sunday 4-7 is a 调休 working day: 3-25 → 4-8 is 9 working days.
    assert row7.days_overdue == 9 == workdays_after("2024-03-25", D("2024-04-08"))
    # The units' latest figures add up: 区发改局's 500 and 区商务局's 900 of 4-5.
    assert row7.targets[1].figure == 1400
    assert row7.targets[1].figure_unit == "2个单位"
    row12 = next(r for r in ledger.rows if r.number == 12)
    # due 4-3, still open: 2 working days past it (4-7 is a make-up workday), the lead step
    assert (row12.light, row12.days_overdue) == (Light.RED, 2)


def test_sheet_titles_are_valid_and_unique() -> None:
    taken = {"台账"}
    assert sheet_title("台账", taken) == "台账(2)"
    assert sheet_title("a/b:c*d?e[f]g\\h", taken) == "a_b_c_d_e_f_g_h"
    long = "区" * 40
    first, second = sheet_title(long, taken), sheet_title(long, taken)
    assert len(first) == 31 and len(second) == 31 and first != second


def test_export_command_writes_the_workbook(scenario, config, tmp_path: Path, capsys) -> None:
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(example_config_path().read_text("utf-8"), encoding="utf-8")
    out = tmp_path / "台账.xlsx"
    assert (
        main(["--config", str(cfg_file), "export", "ledger", "-o", str(out), "--at", "2024-04-01"])
        == 0
    )
    assert str(out) in capsys.readouterr().out
    assert rows_of(load_workbook(out)["台账"])[0]["序号"] == 7
    assert main(["--config", str(cfg_file), "export", "ledger", "-o", str(tmp_path / "x.csv")]) == 2
    assert "xlsx" in capsys.readouterr().err
