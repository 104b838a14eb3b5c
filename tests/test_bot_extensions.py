"""Extension requests and designations as leads and contacts really type them: dates in the
past, malformed, after the plan's end; units that are not candidates; designating twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import Assignment, Designation, Extension, Group, GroupMember, Unit
from tests.bot_harness import DEV, IND, Env
from tests.fakebot import Call


def extensions(env: Env) -> list[Extension]:
    with env.sessions() as s:
        return list(s.scalars(select(Extension)))


async def ask_for_date(env: Env, reason: str = "资金未到位") -> None:
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind9")
    mark = await env.press(IND, reminder, "申请延期")
    await env.answer(IND["id"], mark, "请说明延期原因")
    mark = await env.say(IND, reason)
    await env.answer(IND["id"], mark, "申请延至的日期")


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("2024-03-01", "晚于当前期限"),  # before the current due date (and in the past)
        ("3/1", "12月31日"),  # read as next year's 1 March: after the plan's end
        ("2025-01-15", "12月31日"),  # after the plan's end
        ("2024-02-30", "无法识别日期"),
        ("13/45", "无法识别日期"),
    ],
)
async def test_a_bad_date_is_explained_and_asked_again(env: Env, typed: str, why: str) -> None:
    await ask_for_date(env)
    mark = await env.say(IND, typed)
    reply = await env.answer(IND["id"], mark)
    assert why in reply.text
    assert extensions(env) == []
    mark = await env.say(IND, "4月30日")  # the same dialogue goes on
    await env.answer(IND["id"], mark, "已提交延期申请")
    assert [e.new_due.isoformat() for e in extensions(env)] == ["2024-04-30"]


async def test_html_in_a_reason_and_a_date_is_escaped(env: Env) -> None:
    await ask_for_date(env, reason="<i>审批</i> & 资金")
    await env.bind(DEV, "区发改局")
    mark = await env.say(IND, "<b>明天</b>")
    reply = await env.answer(IND["id"], mark, "无法识别日期")
    assert "&lt;b&gt;明天&lt;/b&gt;" in reply.text
    mark = await env.say(IND, "2024-04-30")
    await env.answer(IND["id"], mark, "已提交延期申请")
    mark = env.server.mark()
    await env.deliver()
    request = await env.answer(DEV["id"], mark, "&lt;i&gt;审批&lt;/i&gt; &amp; 资金")
    assert "_failed" not in request.params


async def test_approve_and_reject_pressed_one_after_the_other(env: Env) -> None:
    await ask_for_date(env)
    await env.bind(DEV, "区发改局")
    mark = await env.say(IND, "2024-04-30")
    await env.answer(IND["id"], mark, "已提交延期申请")
    mark = env.server.mark()
    await env.deliver()
    request = await env.answer(DEV["id"], mark, "资金未到位")
    mark = await env.press(DEV, request, "批准")
    await env.answer(DEV["id"], mark, "已批准")
    for label in ("驳回", "批准"):
        mark = await env.press(DEV, request, label)
        assert "已失效" in (await env.alert(mark)).params["text"]
    assert [e.state for e in extensions(env)] == ["approved"]


def placeholder(env: Env) -> list[str]:
    """A 各相关街道办事处 placeholder on task 9; the names of its candidate units."""
    with transaction(env.sessions) as s:
        group = s.scalar(select(Group).where(Group.name == "各相关街道办事处"))
        s.add(Designation(task_id=env.ids["task9"], group_id=group.id))
        return sorted(
            s.scalars(
                select(Unit.name)
                .join(GroupMember, Unit.id == GroupMember.unit_id)
                .where(GroupMember.group_id == group.relevant_of_id)
            )
        )


def designated(env: Env) -> list[str]:
    with env.sessions() as s:
        return sorted(
            a.unit.name
            for a in s.scalars(
                select(Assignment).where(
                    Assignment.task_id == env.ids["task9"],
                    Assignment.via_group_id.is_not(None),
                    Assignment.removed_at.is_(None),
                )
            )
        )


async def designate(env: Env, *names: str) -> Call:
    mark = await env.say(DEV, "/designate")
    ask = await env.answer(DEV["id"], mark, "各相关街道办事处")
    for name in names:
        mark = await env.press(DEV, ask, next(lb for lb, _ in ask.buttons if lb.endswith(name)))
        await env.server.wait_for(lambda c: c.method == "editMessageReplyMarkup", after=mark)
    return ask


async def test_designating_twice_starts_from_the_current_choice(env: Env) -> None:
    names = placeholder(env)
    await env.bind(DEV, "区发改局")
    ask = await designate(env, names[0])
    mark = await env.press(DEV, ask, "保存")
    await env.answer(DEV["id"], mark, "已保存")
    mark = await env.press(DEV, ask, "保存")  # the saved message's button again
    assert "已失效" in (await env.alert(mark)).params["text"]
    # Later the lead adds a second unit: the first stays chosen unless it is unticked.
    ask = await designate(env)
    assert f"✓ {names[0]}" in [label for label, _ in ask.buttons]
    ask = await designate(env, names[1])
    mark = await env.press(DEV, ask, "保存")
    await env.answer(DEV["id"], mark, "已保存")
    assert designated(env) == sorted(names[:2])


async def test_a_unit_that_is_not_a_candidate_cannot_be_designated(env: Env) -> None:
    placeholder(env)
    await env.bind(DEV, "区发改局")
    ask = await designate(env)
    assert "区商务局" not in [label for label, _ in ask.buttons]
    # A forged toggle for a unit outside the group: refused, nothing saved.
    mark = await env.press_data(DEV, "dg:AAAAAAAAAAA", ask)
    assert "已失效" in (await env.alert(mark)).params["text"]
    mark = await env.press(DEV, ask, "保存")  # nothing chosen
    assert "请至少选择一个单位" in (await env.answer(DEV["id"], mark)).text
    assert designated(env) == []


async def test_a_second_request_while_one_waits_is_refused_at_once(env: Env) -> None:
    await ask_for_date(env)
    mark = await env.say(IND, "2024-04-30")
    await env.answer(IND["id"], mark, "已提交延期申请")
    reminder = [c for c in env.server.sent_to(IND["id"]) if "申请延期" in str(c.buttons)][-1]
    mark = await env.press(IND, reminder, "申请延期")
    reply = await env.answer(IND["id"], mark)
    assert "等待审批" in reply.text and "请说明延期原因" not in reply.text
    assert len(extensions(env)) == 1
