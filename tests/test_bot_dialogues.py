"""The /report dialogue and the lead's review as real contacts use them: /cancel anywhere,
buttons of finished dialogues, odd figures, long and hostile texts, double presses."""

from __future__ import annotations

import pytest

from db.engine import transaction
from db.models import Assignment, Period, Task
from db.models.periods import DONE, OPEN
from db.models.tasks import LEAD, RESPONSIBLE
from tests.bot_harness import DEV, IND, OTHER, STICKER, Env, reports
from tests.fakebot import Call


async def start_report(env: Env, task: int) -> Call:
    """IND: /report → the item of `task` → the status question."""
    mark = await env.say(IND, "/report")
    choose = await env.answer(IND["id"], mark, "请选择要报送的事项")
    label = next(lb for lb, _ in choose.buttons if f"任务{task}" in lb)
    mark = await env.press(IND, choose, label)
    return await env.answer(IND["id"], mark, "请选择进展情况")


async def to_step(env: Env, step: str) -> Call:
    """Walk task 7's dialogue up to `step` (status, text, figure, files, confirm)."""
    call = await start_report(env, 7)
    if step == "status":
        return call
    mark = await env.press(IND, call, "序时推进")
    call = await env.answer(IND["id"], mark, "简要说明")
    if step == "text":
        return call
    mark = await env.say(IND, "完成过半")
    call = await env.answer(IND["id"], mark, "量化目标")
    if step == "figure":
        return call
    mark = await env.say(IND, "600")
    call = await env.answer(IND["id"], mark, "佐证材料")
    if step == "files":
        return call
    mark = await env.press(IND, call, "完成")
    return await env.answer(IND["id"], mark, "请确认报送内容")


@pytest.mark.parametrize("step", ["status", "text", "figure", "files", "confirm"])
async def test_cancel_at_every_step_files_nothing_and_kills_the_buttons(
    env: Env, step: str
) -> None:
    await env.bind(IND, "区工信局")
    at = await to_step(env, step)
    mark = await env.say(IND, "/cancel")
    assert "已取消" in (await env.answer(IND["id"], mark)).text
    for label, _ in at.buttons:  # what that step offered, pressed after /cancel
        mark = await env.press(IND, at, label)
        assert "已失效" in (await env.alert(mark)).params["text"]
    mark = await env.say(IND, "600")  # no dialogue any more: not taken as a figure or text
    assert "回复" in (await env.answer(IND["id"], mark)).text
    assert reports(env) == []


async def test_confirm_pressed_twice_files_one_report(env: Env) -> None:
    await env.bind(IND, "区工信局")
    confirm = await to_step(env, "confirm")
    mark = await env.press(IND, confirm, "确认报送")
    await env.answer(IND["id"], mark, "已收到任务7")
    mark = await env.press(IND, confirm, "确认报送")
    assert "已失效" in (await env.alert(mark)).params["text"]
    assert len(reports(env)) == 1


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1,087亿", 1087.0),
        ("约1，087.5亿元", 1087.5),
        ("１，０８７亿", 1087.0),  # a Chinese IME's full-width digits
        ("１０８７．５", 1087.5),  # … and full-width point
        ("－５", -5.0),  # … and minus
        ("-5", -5.0),
        ("520", 520.0),
        ("2024年完成520亿", 520.0),  # the one amount, not the year
        ("5200万元", 0.52),  # converted to the target's 亿元
    ],
)
async def test_figures_as_people_type_them(env: Env, typed: str, stored: float) -> None:
    await env.bind(IND, "区工信局")
    figure = await to_step(env, "figure")
    mark = await env.say(IND, typed)
    await env.answer(IND["id"], mark, "佐证材料")
    mark = await env.press(IND, figure, "跳过")  # the figure step is over: its button is dead
    assert "已失效" in (await env.alert(mark)).params["text"]
    files = env.server.sent_to(IND["id"])[-1]
    mark = await env.press(IND, files, "完成")
    confirm = await env.answer(IND["id"], mark, "请确认报送内容")
    assert f"完成数值：{stored:g}" in confirm.text
    mark = await env.press(IND, confirm, "确认报送")
    await env.answer(IND["id"], mark, "已收到任务7")
    assert [r.figure for r in reports(env)] == [stored]


@pytest.mark.parametrize("typed", ["一千", "很多", "2024年完成520", "3，5", "增长8%"])
async def test_figures_that_are_not_one_number_are_asked_again(env: Env, typed: str) -> None:
    await env.bind(IND, "区工信局")
    await to_step(env, "figure")
    mark = await env.say(IND, typed)
    again = await env.answer(IND["id"], mark)
    assert "数值" in again.text and "跳过" in again.text
    mark = await env.say(IND, "520")
    await env.answer(IND["id"], mark, "佐证材料")


async def test_long_and_hostile_text_in_the_dialogue(env: Env) -> None:
    await env.bind(IND, "区工信局")
    text = await to_step(env, "text")
    hostile = "<b>R&D</b> " + "进展" * 2500
    mark = await env.say(IND, hostile)
    await env.answer(IND["id"], mark, "量化目标")
    mark = await env.press(IND, env.server.sent_to(IND["id"])[-1], "跳过")
    files = await env.answer(IND["id"], mark, "佐证材料")
    mark = await env.press(IND, files, "完成")
    confirm = await env.answer(IND["id"], mark, "请确认报送内容")
    assert "&lt;b&gt;R&amp;D&lt;/b&gt;" in confirm.text and "4096" in confirm.text
    mark = await env.press(IND, confirm, "确认报送")
    await env.answer(IND["id"], mark, "已收到任务7")
    assert [r.text for r in reports(env)] == [hostile[:4096]]
    assert not [c for c in env.server.calls if "_failed" in c.params]
    assert text.buttons == []


async def test_report_with_nothing_open(env: Env) -> None:
    await env.bind(OTHER, "区商务局")
    mark = await env.say(OTHER, "/report")
    assert "目前没有需要报送的事项" in (await env.answer(OTHER["id"], mark)).text


async def test_button_of_a_closed_item_does_not_continue_an_old_draft(env: Env) -> None:
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind9")
    await to_step(env, "text")  # a /report draft for task 7 is under way
    with transaction(env.sessions) as s:
        s.get(Period, env.ids["ind9"]).state = DONE
    mark = await env.press(IND, reminder, "报送进展")
    reply = await env.answer(IND["id"], mark)
    assert "请选择进展情况" not in reply.text


async def test_cancel_with_two_dialogues_open_leaves_no_broken_one(env: Env) -> None:
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind9")
    mark = await env.press(IND, reminder, "申请延期")
    await env.answer(IND["id"], mark, "请说明延期原因")
    mark = await env.say(IND, "资金未到位")
    await env.answer(IND["id"], mark, "申请延至的日期")
    await start_report(env, 7)  # a second dialogue, while the first waits for a date
    mark = await env.say(IND, "/cancel")
    await env.answer(IND["id"], mark, "已取消")
    mark = await env.say(IND, "4月30日")
    reply = await env.answer(IND["id"], mark)
    assert "出错" not in reply.text


async def test_return_after_accept_is_refused_before_a_comment_is_asked(env: Env) -> None:
    review = await env.review_request("道路改造完成")
    mark = await env.press(DEV, review, "通过")
    await env.answer(DEV["id"], mark, "已通过")
    mark = await env.press(DEV, review, "退回")
    alert = await env.alert(mark)
    assert "已失效" in alert.params["text"]
    assert not [c for c in env.server.sent_to(DEV["id"])[-1:] if "退回原因" in c.text]


async def test_return_pressed_twice_then_accept_after_return(env: Env) -> None:
    review = await env.review_request("道路改造完成")
    mark = await env.press(DEV, review, "退回")
    await env.answer(DEV["id"], mark, "请写明退回原因")
    mark = await env.press(DEV, review, "退回")  # pressed again while asked for a comment
    await env.answer(DEV["id"], mark, "请写明退回原因")
    mark = await env.say(DEV, "请补充<数据> & 照片")
    done = await env.answer(DEV["id"], mark, "已退回")
    assert "_failed" not in done.params
    for label in ("退回", "通过"):
        mark = await env.press(DEV, review, label)
        assert "已失效" in (await env.alert(mark)).params["text"]
    with env.sessions() as s:
        assert s.get(Period, env.ids["ind9"]).state == "returned"
    mark = env.server.mark()
    await env.deliver()
    notice = await env.answer(IND["id"], mark, "请补充&lt;数据&gt; &amp; 照片")
    assert "_failed" not in notice.params


async def test_a_lead_of_another_task_cannot_review(env: Env) -> None:
    with transaction(env.sessions) as s:
        task = Task(number=11, section="二", text="外贸稳增长。")
        s.add(task)
        s.flush()
        for unit, role in ((env.ids["com"], LEAD), (env.ids["ind"], RESPONSIBLE)):
            a = Assignment(task_id=task.id, unit_id=unit, role=role)
            s.add(a)
            s.flush()
            s.add(Period(assignment_id=a.id, label="2024-03", starts_on=env.now().date(),
                         due_on=env.now().date(), state=OPEN))  # fmt: skip
    review = await env.review_request("道路改造完成")
    await env.bind(OTHER, "区商务局")  # leads task 11, where 区工信局 is responsible too
    for label in ("通过", "退回"):
        mark = await env.press(OTHER, review, label)
        assert "已失效或无权操作" in (await env.alert(mark)).params["text"]
    with env.sessions() as s:
        assert s.get(Period, env.ids["ind9"]).state == "submitted"


@pytest.mark.parametrize(
    ("step", "sent"),
    [
        ("status", {"text": "序时推进"}),  # typed instead of pressed
        ("figure", {"extra": {"sticker": STICKER}}),
        ("files", {"text": "另外还有一点说明"}),
        ("confirm", {"text": "好的"}),
    ],
)
async def test_a_message_a_step_cannot_use_is_answered_and_the_step_stays(
    env: Env, step: str, sent: dict
) -> None:
    await env.bind(IND, "区工信局")
    at = await to_step(env, step)
    mark = env.server.mark()
    await env.server.send_text(IND, **sent)
    assert "/cancel" in (await env.answer(IND["id"], mark, "上一条消息的提示")).text
    label, _ = at.buttons[-1]  # the step's own button still works (取消 at the end)
    mark = await env.press(IND, at, label)
    assert "_failed" not in (await env.answer(IND["id"], mark)).params
    assert reports(env) == []


async def test_a_photo_at_the_text_step_keeps_its_caption_and_the_photo(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await to_step(env, "text")
    mark = await env.say(IND, "", photo="PH-T1")
    await env.answer(IND["id"], mark, "已收到附件（1 个）")
    mark = await env.say(IND, "现场已完工", photo="PH-T2")
    figure = await env.answer(IND["id"], mark, "量化目标")
    mark = await env.press(IND, figure, "跳过")
    files = await env.answer(IND["id"], mark, "佐证材料")
    mark = await env.press(IND, files, "完成")
    confirm = await env.answer(IND["id"], mark, "请确认报送内容")
    assert "现场已完工" in confirm.text and "附件：2 个" in confirm.text


async def test_cancel_with_nothing_under_way(env: Env) -> None:
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, "/cancel")
    assert "没有进行中的操作" in (await env.answer(IND["id"], mark)).text


async def test_a_sticker_where_a_reason_or_a_comment_is_asked(env: Env) -> None:
    review = await env.review_request("道路改造完成")
    mark = await env.press(DEV, review, "退回")
    await env.answer(DEV["id"], mark, "请写明退回原因")
    mark = env.server.mark()
    await env.server.send_text(DEV, extra={"sticker": STICKER})
    await env.answer(DEV["id"], mark, "上一条消息的提示")
    mark = await env.say(DEV, "请补充照片")
    await env.answer(DEV["id"], mark, "已退回")


async def test_an_album_at_the_files_step_gets_one_updated_answer(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await to_step(env, "files")
    mark = env.server.mark()
    for n in range(3):
        await env.server.send_text(IND, photo=f"FA-{n}", extra={"media_group_id": "GF"})
    barrier = await env.say(IND, "/tasks")
    await env.answer(IND["id"], barrier, "的任务")
    answers = [c for c in env.server.calls[mark:] if "个附件" in c.text]
    assert [c.method for c in answers] == ["sendMessage", "editMessageText", "editMessageText"]
    assert "第 3 个附件" in answers[-1].text
    mark = await env.press(IND, answers[0], "完成")
    assert "附件：3 个" in (await env.answer(IND["id"], mark, "请确认报送内容")).text
