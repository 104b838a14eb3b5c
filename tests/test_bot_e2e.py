"""End to end: the real python-telegram-bot Application against a fake Bot API server on
127.0.0.1. What a contact, a lead department and the office see and what ends up stored."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from db.engine import transaction
from db.models import Contact, Invite, OutboxItem, Period, Report
from db.models.periods import RETURNED, SUBMITTED
from services.registration import create_invite
from services.reports import review_report, submit_report
from tests.bot_harness import (
    CLERK,
    DEV,
    IND,
    NOW,
    OFFICE,
    OFFICE_CHAT,
    OTHER,
    STRANGER,
    TZ,
    Env,
    audit,
)


async def test_registration_good_expired_replayed(env: Env) -> None:
    with transaction(env.sessions) as s:
        good = create_invite(s, "区工信局", now=NOW).token
        old = create_invite(s, "区工信局", now=NOW.replace(day=1)).token  # 7 days: expired
    mark = await env.say(IND, f"/start {good}")
    reply = await env.answer(IND["id"], mark)
    assert "绑定成功" in reply.text and "区工信局" in reply.text

    mark = await env.say(STRANGER, f"/start {good}")
    assert "已被使用过" in (await env.answer(STRANGER["id"], mark)).text
    mark = await env.say(STRANGER, f"/start {old}")
    assert "已过期" in (await env.answer(STRANGER["id"], mark)).text
    mark = await env.say(STRANGER, "/start not-a-real-token")
    assert "无法识别" in (await env.answer(STRANGER["id"], mark)).text

    with env.sessions() as s:
        contacts = list(s.scalars(select(Contact)))
        invite = s.scalar(select(Invite).where(Invite.token == good))
    assert [(c.channel, c.user_address, c.address, c.unit_id) for c in contacts] == [
        ("telegram", str(IND["id"]), str(IND["id"]), env.ids["ind"])
    ]
    assert invite.used_at is not None and invite.contact_id == contacts[0].id
    assert {a.detail["reason"] for a in audit(env, "invite.redeem", refused=True)} == {
        "used",
        "expired",
        "unknown",
    }


async def test_unbound_user_gets_one_explanation_for_anything(env: Env) -> None:
    await env.bind(IND, "区工信局")
    for text in ("/tasks", "/report", "你好", "/overview"):
        mark = await env.say(STRANGER, text)
        reply = await env.answer(STRANGER["id"], mark)
        assert "仅供已登记的单位联络员使用" in reply.text
        # Updates are handled in order: once a bound user's command is answered, anything the
        # bot would have sent the stranger has been sent.
        barrier = await env.say(IND, "/tasks")
        await env.answer(IND["id"], barrier)
        assert len([c for c in env.server.calls[mark:] if c.chat_id == STRANGER["id"]]) == 1
    assert len(audit(env, "unbound", refused=True)) == 4


async def test_a_message_the_bot_cannot_place_gets_a_hint_not_silence(env: Env) -> None:
    """A contact who writes progress without replying to a reminder, or types an unknown
    command, is told how to report; nothing is recorded as a report."""
    await env.bind(IND, "区工信局")
    for text in ("服务业增加值已完成400亿元", "/baogao"):
        mark = await env.say(IND, text)
        hint = await env.answer(IND["id"], mark, "回复")
        assert "/report" in hint.text and "/tasks" in hint.text
    with env.sessions() as s:
        assert s.scalar(select(Report)) is None


async def test_view_button_shows_the_task(env: Env) -> None:
    """查看任务 under a reminder: the task's text, its target and the current period."""
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind7")
    mark = await env.press(IND, reminder, "查看任务")
    assert (await env.answer(IND["id"], mark)).text == (
        "<b>任务7</b>（责任单位：区工信局）\n"
        "服务业增加值达到1087亿元。\n"
        "量化目标：服务业增加值达到1087亿元\n"
        "本期：2024-03，截止 3月25日（周一），待报送"
    )


async def test_inside_a_dialogue_a_message_of_the_wrong_kind_is_answered(env: Env) -> None:
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, "/report")
    choose = await env.answer(IND["id"], mark, "请选择要报送的事项")
    mark = await env.press(IND, choose, next(lb for lb, _ in choose.buttons if "任务9" in lb))
    mark = await env.say(IND, "序时推进")  # typed where the buttons are
    assert "请按上一条消息的提示操作" in (await env.answer(IND["id"], mark, "/cancel")).text
    status = next(c for c in env.server.sent_to(IND["id"]) if "请选择进展情况" in c.text)
    mark = await env.press(IND, status, "序时推进")
    await env.answer(IND["id"], mark, "简要说明")
    mark = await env.say(IND, "", photo="PHOTO-2")  # a photo without a caption where text is asked
    assert "请再用一段话说明工作进展" in (await env.answer(IND["id"], mark, "已收到附件")).text
    mark = await env.say(IND, "已完成园区道路改造")  # the dialogue goes on where it was
    await env.answer(IND["id"], mark, "佐证材料")


async def test_reminder_answered_by_reply_with_photo(env: Env) -> None:
    await env.bind(IND, "区工信局")
    env.remind("ind7")
    mark = env.server.mark()
    await env.deliver()
    reminder = await env.answer(IND["id"], mark, "任务7")
    assert [label for label, _ in reminder.buttons] == ["报送进展", "申请延期", "查看任务"]
    assert all(len(data.encode()) <= 64 for _, data in reminder.buttons)

    mark = await env.say(
        IND, "服务业增加值已完成400亿元", reply_to=env.server.message_of(reminder), photo="PHOTO-1"
    )
    reply = await env.answer(IND["id"], mark, "已收到任务7")
    assert "已转牵头单位审核" in reply.text
    with env.sessions() as s:
        report = s.scalar(select(Report))
        assert report.source == "reply" and "400亿元" in report.text
        assert [(e.file_id, e.kind) for e in report.evidence] == [("PHOTO-1", "photo")]
        assert s.get(Period, env.ids["ind7"]).state == SUBMITTED
        kinds = [
            (o.kind, o.recipient.key)
            for o in s.scalars(select(OutboxItem))
            if o.state == "pending"
        ]
    assert kinds == [("review_request", f"unit:{env.ids['dev']}")]


async def test_reply_to_a_digest_of_two_items_asks_which(env: Env) -> None:
    await env.bind(IND, "区工信局")
    env.remind("ind7", "ind9")
    mark = env.server.mark()
    await env.deliver()
    digest = await env.answer(IND["id"], mark, "任务9")
    assert "任务7" in digest.text
    mark = await env.say(IND, "园区改造已完成招标", reply_to=env.server.message_of(digest))
    which = await env.answer(IND["id"], mark, "哪一项")
    labels = [label for label, _ in which.buttons]
    assert len(labels) == 2 and any("任务9" in label for label in labels)
    choice = next(label for label in labels if "任务9" in label)
    mark = await env.press(IND, which, choice)
    assert "已收到任务9" in (await env.answer(IND["id"], mark, "已收到")).text
    with env.sessions() as s:
        report = s.scalar(select(Report))
        assert report.period_id == env.ids["ind9"] and report.text == "园区改造已完成招标"
        assert s.get(Period, env.ids["ind7"]).state == "open"


async def test_report_dialogue_with_figure_and_file(env: Env) -> None:
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, "/report")
    choose = await env.answer(IND["id"], mark, "请选择要报送的事项")
    mark = await env.press(IND, choose, next(lb for lb, _ in choose.buttons if "任务7" in lb))
    status = await env.answer(IND["id"], mark, "请选择进展情况")
    mark = await env.press(IND, status, "滞后")
    await env.answer(IND["id"], mark, "请用一段话简要说明")
    mark = await env.say(IND, "受市场影响，增速放缓")
    figure = await env.answer(IND["id"], mark, "量化目标")
    assert "1087亿元" in figure.text
    mark = await env.say(IND, "大约 520 亿元")
    await env.answer(IND["id"], mark, "佐证材料")
    mark = await env.say(IND, "", document=("DOC-9", "进展说明.pdf"))
    got = await env.answer(IND["id"], mark, "已收到第 1 个附件")
    mark = await env.press(IND, got, "完成")
    confirm = await env.answer(IND["id"], mark, "请确认报送内容")
    assert "进展情况：滞后" in confirm.text
    assert "520" in confirm.text and "附件：1 个" in confirm.text
    mark = await env.press(IND, confirm, "确认报送")
    await env.answer(IND["id"], mark, "已收到任务7")
    with env.sessions() as s:
        report = s.scalar(select(Report))
    assert (report.status, report.figure, report.source) == ("difficulty", 520.0, "chat")
    with env.sessions() as s:
        ev = s.scalar(select(Report)).evidence
        assert [(e.file_id, e.file_name) for e in ev] == [("DOC-9", "进展说明.pdf")]


async def test_a_figure_among_other_numbers_is_the_one_with_the_target_unit(env: Env) -> None:
    """Task 7's target is 1087亿元: in 截至9月底完成520亿元 the figure is 520, not 9; with two
    numbers and no unit the bot asks instead of guessing."""
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, "/report")
    choose = await env.answer(IND["id"], mark, "请选择要报送的事项")
    mark = await env.press(IND, choose, next(lb for lb, _ in choose.buttons if "任务7" in lb))
    mark = await env.press(IND, await env.answer(IND["id"], mark, "进展情况"), "序时推进")
    await env.answer(IND["id"], mark, "简要说明")
    mark = await env.say(IND, "稳步推进")
    await env.answer(IND["id"], mark, "量化目标")
    mark = await env.say(IND, "9月完成了5成")
    asked = await env.answer(IND["id"], mark, "多个数字")
    assert "9、5" in asked.text
    mark = await env.say(IND, "截至9月底完成520亿元")
    files = await env.answer(IND["id"], mark, "佐证材料")
    mark = await env.press(IND, files, "完成")
    confirm = await env.answer(IND["id"], mark, "请确认报送内容")
    assert "完成数值：520" in confirm.text
    mark = await env.press(IND, confirm, "确认报送")
    await env.answer(IND["id"], mark, "已收到任务7")
    with env.sessions() as s:
        assert s.scalar(select(Report)).figure == 520.0


async def report_task9_by_button(env: Env, status_label: str, text: str) -> None:
    """区工信局 (bound, like its lead 区发改局) reports on task 9 from its reminder's button."""
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    env.remind("ind9")
    mark = env.server.mark()
    await env.deliver()
    reminder = await env.answer(IND["id"], mark, "任务9")
    mark = await env.press(IND, reminder, "报送进展")
    status = await env.answer(IND["id"], mark, "请选择进展情况")
    mark = await env.press(IND, status, status_label)
    await env.answer(IND["id"], mark, "简要说明")
    mark = await env.say(IND, text)
    files = await env.answer(IND["id"], mark, "佐证材料")  # task 9 has no numeric target
    mark = await env.press(IND, files, "完成")
    confirm = await env.answer(IND["id"], mark, "请确认")
    mark = await env.press(IND, confirm, "确认报送")
    await env.answer(IND["id"], mark, "已收到任务9")


async def test_report_by_button_then_lead_accepts(env: Env) -> None:
    await report_task9_by_button(env, "序时推进", "已完成园区道路改造")

    mark = env.server.mark()
    await env.deliver()
    review = await env.answer(DEV["id"], mark, "已完成园区道路改造")
    assert "进展情况：序时推进" in review.text  # the unit's pick, in the status vocabulary
    assert [label for label, _ in review.buttons] == ["通过", "退回"]
    mark = await env.press(DEV, review, "通过")
    assert "已通过" in (await env.answer(DEV["id"], mark, "已通过")).text
    with env.sessions() as s:
        assert s.get(Period, env.ids["ind9"]).state == "accepted"
    mark = env.server.mark()
    await env.deliver()
    await env.answer(IND["id"], mark, "任务9")  # the unit hears the result

    # The same 通过 again: the token was used; a polite refusal, audited.
    mark = await env.press(DEV, review, "通过")
    assert "已失效" in (await env.alert(mark)).params["text"]
    assert audit(env, "callback.refused", refused=True)


async def test_lead_returns_a_report_with_a_comment(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    env.remind("ind7")
    mark = env.server.mark()
    await env.deliver()
    reminder = await env.answer(IND["id"], mark, "任务7")
    await env.say(IND, "完成了一部分", reply_to=env.server.message_of(reminder))
    await env.server.wait_sent(IND["id"], contains="已收到任务7")
    mark = env.server.mark()
    await env.deliver()
    review = await env.answer(DEV["id"], mark, "完成了一部分")
    mark = await env.press(DEV, review, "退回")
    await env.answer(DEV["id"], mark, "请写明退回原因")
    mark = await env.say(DEV, "请补充具体数据和佐证材料")
    assert "已退回" in (await env.answer(DEV["id"], mark, "已退回")).text
    with env.sessions() as s:
        assert s.get(Period, env.ids["ind7"]).state == RETURNED
    mark = env.server.mark()
    await env.deliver()
    notice = await env.answer(IND["id"], mark, "请补充具体数据和佐证材料")
    assert "报送进展" in [label for label, _ in notice.buttons]


async def test_extension_approved_and_rejected(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    env.remind("ind7", "ind9")
    mark = env.server.mark()
    await env.deliver()
    digest = await env.answer(IND["id"], mark, "任务7")
    for task, answer, date in (("7", "批准", "4月30日"), ("9", "驳回", "2024-04-15")):
        mark = await env.press(IND, digest, f"申请延期 {task}")
        await env.answer(IND["id"], mark, "请说明延期原因")
        mark = await env.say(IND, "等待上级批复资金")
        await env.answer(IND["id"], mark, "申请延至的日期")
        mark = await env.say(IND, "下个月吧")
        await env.answer(IND["id"], mark, "无法识别日期")
        mark = await env.say(IND, date)
        await env.answer(IND["id"], mark, "已提交延期申请")
        mark = env.server.mark()
        await env.deliver()
        request = await env.answer(DEV["id"], mark, "等待上级批复资金")
        mark = await env.press(DEV, request, answer)
        await env.answer(DEV["id"], mark, "已通知该单位")
    with env.sessions() as s:
        assert s.get(Period, env.ids["ind7"]).effective_due.isoformat() == "2024-04-30"
        assert s.get(Period, env.ids["ind9"]).extended_to is None
    await env.deliver()
    results = [c.text for c in env.server.sent_to(IND["id"]) if "延期申请审批结果" in c.text]
    assert any("任务7" in t and "4月30日" in t for t in results)  # approved, with the new date
    assert any("任务9" in t for t in results)  # rejected


async def test_forged_and_foreign_buttons_are_refused(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(OTHER, "区商务局")
    env.remind("ind7")
    mark = env.server.mark()
    await env.deliver()
    reminder = await env.answer(IND["id"], mark, "任务7")
    # Another unit's contact presses 区工信局's button; someone forges callback data.
    for who, data in (
        (OTHER, reminder.button("报送进展")),
        (IND, "rp:AAAAAAAAAAA"),
        (IND, "ra:" + reminder.button("报送进展").split(":")[1]),  # right code, wrong action
        (IND, "x" * 64),
    ):
        mark = await env.press_data(who, data, reminder)
        assert "已失效或无权操作" in (await env.alert(mark)).params["text"]
    assert len(audit(env, "callback.refused", refused=True)) == 4
    with env.sessions() as s:
        assert s.scalar(select(Report)) is None


async def test_office_commands_only_in_office_chat(env: Env) -> None:
    await env.bind(IND, "区工信局")
    mark = await env.say(CLERK, "/overview", chat=OFFICE)
    overview = await env.answer(OFFICE_CHAT, mark, "总体情况")
    # 3-20: both tasks are due 3-25, within 3 working days, and nobody has reported yet.
    assert "🟡 黄 2" in overview.text and "未启动 2" in overview.text
    env.clock["now"] = NOW.replace(month=4, day=1)
    mark = await env.say(CLERK, "/overdue", chat=OFFICE)
    overdue = await env.answer(OFFICE_CHAT, mark, "逾期事项")
    assert "区发改局" in overdue.text and "任务7 区工信局" in overdue.text
    mark = await env.say(IND, "/overview")
    assert "仅限区政府督查室" in (await env.answer(IND["id"], mark)).text


async def test_status_and_tasks(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    mark = await env.say(IND, "/tasks")
    tasks = await env.answer(IND["id"], mark, "区工信局")
    assert "任务7（责任）" in tasks.text and "3月25日（周一）" in tasks.text
    mark = await env.say(DEV, "/status")
    status = await env.answer(DEV["id"], mark, "牵头的任务")
    assert "任务7</b> 🟡 未启动" in status.text and "区工信局（责任）" in status.text


async def test_delivery_errors_are_sorted(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    server = env.server
    # Telegram rejects the HTML once: the same text goes out as plain text.
    server.fail(
        "sendMessage",
        chat_id=IND["id"],
        code=400,
        description="Bad Request: can't parse entities: unsupported start tag",
    )
    env.remind("ind7")
    mark = server.mark()
    report = await env.deliver()
    sent = await server.wait_for(
        lambda c: (
            c.method == "sendMessage" and c.chat_id == IND["id"] and "_failed" not in c.params
        ),
        after=mark,
    )
    assert "parse_mode" not in sent.params and "任务7" in sent.text and "<b>" not in sent.text
    assert len(report.delivered) == 1

    # 429: nothing lost, retried after the time the server gave.
    server.fail(
        "sendMessage", chat_id=IND["id"], code=429, description="Too Many Requests", retry_after=30
    )
    env.remind("ind9")
    await env.deliver()
    with env.sessions() as s:
        row = s.scalar(select(OutboxItem).where(OutboxItem.period_id == env.ids["ind9"]))
        assert row.state == "failed" and (row.next_attempt_at - NOW).total_seconds() >= 30

    # Blocked by the user: the contact is marked unreachable.
    server.fail(
        "sendMessage",
        chat_id=IND["id"],
        code=403,
        description="Forbidden: bot was blocked by the user",
        times=5,
    )
    env.clock["now"] = NOW.replace(hour=11)
    await env.deliver()
    with env.sessions() as s:
        contact = s.scalar(select(Contact).where(Contact.user_address == str(IND["id"])))
        assert contact.unreachable_at is not None and "blocked" in contact.unreachable_reason
    # Chat not found: the same for the lead's contact.
    server.fail(
        "sendMessage", chat_id=DEV["id"], code=400, description="Bad Request: chat not found"
    )
    env.remind("lead7")
    await env.deliver()
    with env.sessions() as s:
        contact = s.scalar(select(Contact).where(Contact.user_address == str(DEV["id"])))
        assert contact.unreachable_at is not None and "not found" in contact.unreachable_reason


async def test_token_is_redacted_even_from_debug_http_logs(env: Env, caplog) -> None:  # type: ignore[no-untyped-def]
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    try:
        await env.bind(IND, "区工信局")
    finally:
        logging.getLogger("httpx").setLevel(logging.WARNING)
    assert "<token>" in caplog.text  # httpx did log request URLs, with the token replaced


async def test_office_export_sends_the_ledger_and_a_chart(env: Env) -> None:
    mark = await env.say(CLERK, "/export", chat=OFFICE)
    doc = await env.server.wait_for(lambda c: c.method == "sendDocument", after=mark, timeout=30)
    photo = await env.server.wait_for(lambda c: c.method == "sendPhoto", after=mark, timeout=30)
    assert doc.chat_id == OFFICE_CHAT and "督办台账" in doc.text
    (xlsx,) = doc.files.values()
    (png,) = photo.files.values()
    assert xlsx[:2] == b"PK" and png[:8] == b"\x89PNG\r\n\x1a\n"
    await env.bind(DEV, "区发改局")
    mark = await env.say(DEV, "/export")  # not the office: refused, nothing sent
    assert "仅限区政府督查室" in (await env.answer(DEV["id"], mark)).text


async def test_completion_claimed_by_lead_and_confirmed_by_office(env: Env) -> None:
    await env.bind(DEV, "区发改局")
    await env.bind(IND, "区工信局")
    mark = await env.say(DEV, "/done")
    choose = await env.answer(DEV["id"], mark, "申请办结")
    mark = await env.press(DEV, choose, "任务7 办结")
    # Its responsible unit has not finished: refused, naming it.
    await env.answer(DEV["id"], mark, "任务7还有单位未完成（区工信局）")
    with transaction(env.sessions) as s:  # 区工信局 reports 已完成; the lead accepts it
        done = submit_report(
            s, period_id=env.ids["ind7"], contact_id=None, status="done", text="已全部完成",
            now=env.now(),
        )  # fmt: skip
        review_report(s, report_id=done.id, reviewer_contact_id=None, accept=True, now=env.now())
    mark = await env.say(DEV, "/done")
    choose = await env.answer(DEV["id"], mark, "申请办结")
    mark = await env.press(DEV, choose, "任务7 办结")
    await env.answer(DEV["id"], mark, "已提交任务7的办结申请")
    mark = env.server.mark()
    await env.deliver()
    claim = await env.answer(OFFICE_CHAT, mark, "任务7")
    assert [label for label, _ in claim.buttons] == ["确认办结", "退回"]
    # The lead copies the office's button data into its own chat: not the office, refused.
    mark = await env.press_data(DEV, claim.button("确认办结"), choose)
    assert "已失效或无权操作" in (await env.alert(mark)).params["text"]
    mark = await env.press(CLERK, claim, "确认办结")
    await env.answer(OFFICE_CHAT, mark, "已确认任务7办结")
    with env.sessions() as s:
        assert s.get(Period, env.ids["lead7"]).state == "done"
        assert s.get(Period, env.ids["ind7"]).state == "accepted"
        assert s.get(Period, env.ids["ind9"]).state == "open"


async def test_lead_own_extension_is_decided_by_the_office(env: Env) -> None:
    await env.bind(DEV, "区发改局")
    env.remind("lead7")
    mark = env.server.mark()
    await env.deliver()
    reminder = await env.answer(DEV["id"], mark, "任务7")
    mark = await env.press(DEV, reminder, "申请延期")
    await env.answer(DEV["id"], mark, "请说明延期原因")
    mark = await env.say(DEV, "统计数据4月中旬才发布")
    await env.answer(DEV["id"], mark, "日期")
    mark = await env.say(DEV, "4/20")
    await env.answer(DEV["id"], mark, "已提交延期申请")
    mark = env.server.mark()
    await env.deliver()
    request = await env.answer(OFFICE_CHAT, mark, "统计数据4月中旬才发布")
    mark = await env.press(CLERK, request, "批准")
    await env.answer(OFFICE_CHAT, mark, "已批准任务7")
    with env.sessions() as s:
        assert s.get(Period, env.ids["lead7"]).effective_due.isoformat() == "2024-04-20"


async def test_lead_designates_units_for_a_placeholder(env: Env) -> None:
    from db.models import Assignment, Designation, Group, GroupMember, Unit

    with transaction(env.sessions) as s:
        group = s.scalar(select(Group).where(Group.name == "各相关街道办事处"))
        s.add(Designation(task_id=env.ids["task9"], group_id=group.id))
        names = sorted(
            s.scalars(
                select(Unit.name)
                .join(GroupMember, Unit.id == GroupMember.unit_id)
                .where(GroupMember.group_id == group.relevant_of_id)
            )
        )
    await env.bind(DEV, "区发改局")
    mark = await env.say(DEV, "/designate")
    ask = await env.answer(DEV["id"], mark, "各相关街道办事处")
    assert sorted(label for label, _ in ask.buttons if label != "保存") == names
    mark = await env.press(DEV, ask, names[0])
    edited = await env.server.wait_for(
        lambda c: c.method == "editMessageReplyMarkup" and c.chat_id == DEV["id"], after=mark
    )
    assert f"✓ {names[0]}" in [label for label, _ in edited.buttons]
    mark = await env.press(DEV, ask, "保存")
    done = await env.answer(DEV["id"], mark, "已保存")
    assert names[0] in done.text
    with env.sessions() as s:
        units = [
            a.unit.name
            for a in s.scalars(select(Assignment).where(Assignment.task_id == env.ids["task9"]))
        ]
    assert names[0] in units and names[1] not in units


async def test_unbound_user_pressing_a_button_is_refused(env: Env) -> None:
    await env.bind(IND, "区工信局")
    env.remind("ind7")
    mark = env.server.mark()
    await env.deliver()
    reminder = await env.answer(IND["id"], mark, "任务7")
    mark = await env.press(STRANGER, reminder, "报送进展")
    assert "尚未绑定单位" in (await env.alert(mark)).params["text"]


async def test_a_long_digest_gets_buttons_for_the_first_eight_items(env: Env) -> None:
    from bot.telegram_channel import TelegramChannel
    from db.contracts import Facts, MessageKind, Recipient
    from jobs.delivery import Outgoing
    from jobs.delivery.buttons import keyboard, with_more_note
    from jobs.delivery.contracts import QueuedItem

    await env.bind(IND, "区工信局")
    facts = Facts(unit="区工信局", due="2024-03-25")
    items = tuple(
        QueuedItem(n, MessageKind.OVERDUE, "unit", facts.replace(task=n), period_id=1000 + n)
        for n in range(1, 13)
    )
    recipient = Recipient.unit(env.ids["ind"])
    with transaction(env.sessions) as s:  # the delivery's button stage stores the codes
        buttons, left_out = keyboard(s, recipient, items, "zh_CN", env.now(), actionable=True)
    parts = ("<b>催办</b>\n" + "\n".join(f"· 任务{i.facts.task}" for i in items),)
    message = Outgoing(
        recipient=recipient,
        name="区工信局",
        role="unit",
        locale="zh_CN",
        addresses=(str(IND["id"]),),
        kind=MessageKind.OVERDUE,
        parts=with_more_note(parts, "zh_CN") if left_out else parts,
        buttons=buttons,
        items=items,
    )
    result = await TelegramChannel(env.app.bot).send(message)
    assert result.ok and len(result.sent) == 1
    sent = env.server.sent_to(IND["id"])[-1]
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert len(rows) == 8 and rows[0][0]["text"] == "报送进展 1"
    assert "/report" in sent.text
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)


async def test_a_handler_error_reaches_the_user_briefly_and_the_log_without_the_update(
    env: Env, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    from bot import queries

    await env.bind(IND, "区工信局")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database is locked <b>")

    monkeypatch.setattr(queries, "current_items", broken)
    mark = await env.say(IND, "/tasks")
    reply = await env.answer(IND["id"], mark, "出错了")
    assert "RuntimeError" in reply.text and "<b>" not in reply.text
    assert "error while handling an update" in caplog.text
    assert "王工信" not in caplog.text  # no names or messages from the update in the log


async def test_weekly_digest_brings_the_office_the_ledger_and_a_chart(env: Env) -> None:
    from duban.wiring import calendar_for, engine_settings
    from jobs.tick import enqueue_weekly_export

    cal = calendar_for(env.config)
    settings = engine_settings(env.config)
    monday = dt.datetime(2024, 3, 18, 9, 30, tzinfo=TZ)
    with transaction(env.sessions) as s:
        # Only on the week's first working day, once.
        assert not enqueue_weekly_export(s, settings, cal, monday + dt.timedelta(days=1))
        assert enqueue_weekly_export(s, settings, cal, monday)
        assert not enqueue_weekly_export(s, settings, cal, monday + dt.timedelta(hours=2))
    mark = env.server.mark()
    await env.deliver()
    digest = await env.answer(OFFICE_CHAT, mark, "本周督办台账")
    assert "3月18日（周一）" in digest.text
    doc = await env.server.wait_for(lambda c: c.method == "sendDocument", after=mark, timeout=30)
    photo = await env.server.wait_for(lambda c: c.method == "sendPhoto", after=mark, timeout=30)
    assert doc.chat_id == OFFICE_CHAT and photo.chat_id == OFFICE_CHAT
    (xlsx,) = doc.files.values()
    assert xlsx[:2] == b"PK"


async def test_accepting_a_done_report_says_the_unit_is_chased_no_more(env: Env) -> None:
    await report_task9_by_button(env, "已完成", "园区道路改造全部完工")
    mark = env.server.mark()
    await env.deliver()
    review = await env.answer(DEV["id"], mark, "园区道路改造全部完工")
    mark = await env.press(DEV, review, "通过")
    reply = (await env.answer(DEV["id"], mark, "已通过")).text
    assert "区工信局已完成此项任务，今后不再向其催办。" in reply
    assert "各责任单位均已完成：可发送 /done 申请办结。" in reply
    with env.sessions() as s:
        assert s.get(Period, env.ids["ind9"]).assignment.done_at is not None
