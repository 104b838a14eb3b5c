"""Figures from plain replies, end to end: a contact replies to a reminder with "服务业增加值完成
520亿元" and the figure is recorded against the task's target; several candidates are asked
with buttons; a unit that fits no target records nothing and says so; the ledger and /status
add the units' latest figures up by the target's rule (sum, max, latest)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import Target, Task
from duban.config import FigureRuleConfig, FiguresConfig
from duban.ledger import collect_ledger
from duban.targets import sync_task_targets
from tests.bot_harness import DEV, IND, OTHER, Env, audit, reports


async def reply(env: Env, who: dict, key: str, text: str, expect: str) -> str:
    """`who` replies `text` to a fresh reminder of world item `key`; the bot's answer."""
    reminder = await env.reminder(who, key)
    mark = await env.say(who, text, reply_to=env.server.message_of(reminder))
    return (await env.answer(who["id"], mark, expect)).text


def target_id(env: Env, task_key: str, ordinal: int) -> int:
    with env.sessions() as s:
        return s.scalar(
            select(Target.id).where(Target.task_id == env.ids[task_key], Target.ordinal == ordinal)
        )


def give_task9_targets(env: Env, text: str) -> None:
    """Task 9 of the harness world now states `text`, and its targets as the importer syncs them."""
    with transaction(env.sessions) as s:
        task = s.get(Task, env.ids["task9"])
        task.text = text
        sync_task_targets(s, task)


async def test_plain_reply_with_a_figure_records_it_against_the_target(env: Env) -> None:
    await env.bind(IND, "区工信局")
    answer = await reply(env, IND, "ind7", "截至9月底服务业增加值完成520亿元，同比增长8%", "已收到")
    assert "已记录完成数值：520亿元" in answer and "服务业增加值≥1087亿元" in answer
    (report,) = reports(env)
    assert (report.figure, report.target_id) == (520.0, target_id(env, "task7", 0))
    assert report.text == "截至9月底服务业增加值完成520亿元，同比增长8%"  # the text stays whole


async def test_a_figure_in_another_scale_is_converted_to_the_targets_unit(env: Env) -> None:
    await env.bind(IND, "区工信局")
    answer = await reply(env, IND, "ind7", "本月新增服务业增加值五千二百万元", "已收到")
    assert "0.52亿元" in answer and "五千二百万元" in answer
    assert [r.figure for r in reports(env)] == [0.52]


async def test_a_figure_whose_unit_fits_no_target_is_not_recorded_and_the_bot_says_so(
    env: Env,
) -> None:
    await env.bind(IND, "区工信局")
    answer = await reply(env, IND, "ind7", "服务业增加值同比增长8%，新增企业12家", "已收到")
    assert "未记录完成数值" in answer and "8%、12家" in answer and "亿元" in answer
    (report,) = reports(env)
    assert (report.figure, report.target_id) == (None, None)  # the report itself is filed


async def test_two_amounts_are_asked_with_buttons_and_the_choice_records(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(OTHER, "区商务局")
    await reply(env, IND, "ind7", "本月完成50亿元，累计完成520亿元", "多个数字")
    assert reports(env) == []  # nothing is filed until the contact chooses
    question = env.server.calls[-1]
    labels = [label for label, _ in question.buttons]
    assert labels[-1] == "不记录数值，直接报送" and len(labels) == 3
    (cumulative,) = [label for label in labels if label.startswith("520亿元")]
    # Another unit's contact cannot answer for 区工信局: refused and audited.
    mark = await env.press(OTHER, question, cumulative)
    assert "已失效" in (await env.alert(mark)).params["text"]
    assert audit(env, "callback.refused", refused=True)
    mark = await env.press(IND, question, cumulative)
    done = await env.answer(IND["id"], mark, "已收到任务7")
    assert "已记录完成数值：520亿元" in done.text
    (report,) = reports(env)
    assert (report.figure, report.text) == (520.0, "本月完成50亿元，累计完成520亿元")
    mark = await env.press(IND, question, labels[0])  # the other answers are spent
    assert "已失效" in (await env.alert(mark)).params["text"]
    assert len(reports(env)) == 1


async def test_two_targets_of_one_unit_are_asked_and_no_figure_is_a_choice(env: Env) -> None:
    give_task9_targets(env, "谋划重大项目550个以上，总投资2000亿元以上，同比增长7%以上。")
    await env.bind(IND, "区工信局")
    await reply(env, IND, "ind9", "已谋划重大项目300个，总投资1200亿元", "多个数字")
    question = env.server.calls[-1]
    labels = [label for label, _ in question.buttons]
    assert any(lb.startswith("300个 → 谋划重大项目") for lb in labels)
    assert any(lb.startswith("1200亿元 → 总投资") for lb in labels)
    mark = await env.press(IND, question, "不记录数值，直接报送")
    done = await env.answer(IND["id"], mark, "已收到任务9")
    assert "完成数值" not in done.text
    assert [(r.figure, r.target_id) for r in reports(env)] == [(None, None)]


async def test_the_words_before_a_number_pick_its_target(env: Env) -> None:
    """Task 67's phrasing: 1.2万人 fits four 人/万人 targets, but 新增就业 names one of them."""
    give_task9_targets(
        env,
        "实现城镇新增就业1.95万人，城镇失业人员再就业1万人，实名制扶持创业带头人330人，"
        "带动就业1980人。",
    )
    await env.bind(IND, "区工信局")
    answer = await reply(env, IND, "ind9", "1-9月城镇新增就业1.2万人", "已收到")
    assert "1.2万人" in answer and "城镇新增就业≥1.95万人" in answer
    assert [(r.figure, r.target_id) for r in reports(env)] == [(1.2, target_id(env, "task9", 1))]


def rules(env: Env, aggregate: str | None):  # type: ignore[no-untyped-def]
    figures = FiguresConfig(
        rules=[FigureRuleConfig(task=7, aggregate=aggregate)] if aggregate else []
    )
    return env.config.model_copy(update={"figures": figures})


@pytest.mark.parametrize(
    ("aggregate", "figure", "source"),
    [(None, 820.0, "2个单位"), ("max", 520.0, "区工信局"), ("latest", 300.0, "区发改局")],
)
async def test_units_latest_figures_add_up_in_the_ledger_and_status(
    env: Env, aggregate: str | None, figure: float, source: str
) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    reminder = await env.reminder(IND, "ind7")
    for text in ("服务业增加值完成400亿元", "服务业增加值完成520亿元"):  # 520 supersedes 400
        mark = await env.say(IND, text, reply_to=env.server.message_of(reminder))
        await env.answer(IND["id"], mark, "已收到")
        env.clock["now"] += dt.timedelta(hours=1)
    await reply(env, DEV, "lead7", "牵头单位本级完成300亿元", "已收到")
    cfg = rules(env, aggregate)
    with env.sessions() as s:
        ledger = collect_ledger(s, cfg, env.now().date())
    (target,) = next(r for r in ledger.rows if r.number == 7).targets
    assert (target.figure, target.figure_unit) == (figure, source)
    assert target.progress == pytest.approx(figure / 1087)
    if aggregate is None:  # /status shows the same aggregate to the lead
        mark = await env.say(DEV, "/status")
        status = await env.answer(DEV["id"], mark, "牵头的任务")
        assert "服务业增加值≥1087亿元：已完成 820亿元（2个单位合计），进度 75.4%" in status.text
