"""End to end on DingTalk: the real `dingtalk-stream` SDK client (its own thread) against a
fake DingTalk on 127.0.0.1, and the DingTalk channel delivering through the robot API. What a
unit contact, a lead department and the office see, and what ends up stored."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from db.contracts import OFFICE, Facts, MessageKind, Recipient, dedupe_key
from db.engine import transaction
from db.models import AuditLog, Completion, Contact, Digest, Evidence, Extension, Period, Report
from db.models.contacts import TELEGRAM
from db.models.periods import ACCEPTED, RETURNED
from db.models.reports import COMPLETION_CONFIRMED, EXT_APPROVED
from duban.wiring import engine_settings
from jobs.delivery import deliver
from jobs.delivery.contracts import Outgoing
from jobs.outbox import enqueue
from services.registration import create_invite
from services.reports import review_report, submit_report
from tests.dingtalk_harness import (
    CLERK,
    LEADER,
    LI,
    LU,
    OFFICE_GROUP,
    WANG,
    DtEnv,
    robot_message,
    running_dingtalk,
)
from tests.memory_channel import MemoryChannel

LINK = re.compile(r"\[([^\]]+)\]\(dtmd://dingtalkclient/sendMessage\?content=([^)]+)\)")


@pytest.fixture
async def dt_env(config, engine, sessions, caplog):  # type: ignore[no-untyped-def]
    async with running_dingtalk(config, engine, sessions, caplog) as e:
        yield e


def links(text: str) -> dict[str, str]:
    """A message's action links: label → the text a tap sends to the robot."""
    return {label.replace("\\", ""): unquote(content) for label, content in LINK.findall(text)}


async def delivered_link(env: DtEnv, address: str, contains: str, label: str) -> str:
    """Deliver; in what `address` got (containing `contains`), the link starting with
    `label`."""
    mark = env.server.mark()
    await env.deliver()
    message = await env.answer(address, mark, contains)
    return next(v for k, v in links(message.text).items() if k.startswith(label))


def audit(env: DtEnv, action: str, refused: bool = True) -> list[AuditLog]:
    with env.sessions() as s:
        q = select(AuditLog).where(AuditLog.action == action, AuditLog.refused == refused)
        return list(s.scalars(q))


async def test_registration_good_expired_replayed_unknown(dt_env: DtEnv) -> None:
    env = dt_env
    with transaction(env.sessions) as s:
        good = create_invite(s, "区工信局", now=env.now(), channel="dingtalk").token
        old = create_invite(s, "区工信局", now=env.now() - dt.timedelta(days=8), channel="dingtalk")
        old_code = old.token
    assert re.fullmatch(r"[A-Z2-9]{8}", good)  # short enough to type
    mark = await env.say(WANG, f"绑定 {good.lower()}")  # typed in lower case: still works
    reply = await env.answer(WANG.address, mark, "绑定成功")
    assert "区工信局" in reply.text
    assert "已被使用过" in await env.ask(LU, f"绑定 {good}")
    assert "已过期" in await env.ask(LU, f"绑定 {old_code}")
    assert "无法识别" in await env.ask(LU, "绑定 NOTACODE")
    mark = await env.say(LU, "任务")  # not bound: one explanation, nothing else
    assert "仅供已登记的单位联络员使用" in (await env.answer(LU.address, mark)).text
    with env.sessions() as s:
        contacts = [(c.channel, c.user_address, c.address) for c in s.scalars(select(Contact))]
    assert contacts == [("dingtalk", WANG.staff_id, WANG.address)]
    reasons = {a.detail["reason"] for a in audit(env, "invite.redeem")}
    assert reasons == {"used", "expired", "unknown"}
    assert [a.actor for a in audit(env, "unbound")] == [f"dt:{LU.staff_id}"]


async def test_reminder_report_and_files_into_the_evidence_store(dt_env: DtEnv) -> None:
    env = dt_env
    await env.bind(WANG, "区工信局")
    reminder = await env.reminder(WANG, "ind7")
    assert "**任务7**" in reminder.text or "任务7" in reminder.text
    actions = links(reminder.text)
    assert set(actions) == {"报送进展", "申请延期", "查看任务"}
    assert "发送“报送 任务号 进展”报送进展" in reminder.text and "直接回复" not in reminder.text
    mark = await env.say(WANG, actions["报送进展"])  # a tap on the link: how to report task 7
    assert "请发送：报送 7 进展情况" in (await env.answer(WANG.address, mark)).text
    assert "服务业增加值达到1087亿元" in await env.ask(WANG, actions["查看任务"])
    await env.ask(WANG, "报送 7 困难 服务业增加值完成400亿元，进度偏慢", "已收到任务7")
    env.server.files["dlcode-photo"] = b"\x89PNG fake picture"
    content = {"downloadCode": "dlcode-photo"}
    assert "1 个附件" in await env.ask(WANG, "", "附件", msgtype="picture", content=content)
    env.server.files["dlcode-file"] = b"PK fake xlsx"
    content = {"downloadCode": "dlcode-file", "fileName": "3月台账.xlsx"}
    await env.ask(WANG, "", "附件", msgtype="file", content=content)
    with env.sessions() as s:
        report = s.scalar(select(Report))
        files = list(s.scalars(select(Evidence).order_by(Evidence.id)))
    assert (report.status, report.text) == ("difficulty", "服务业增加值完成400亿元，进度偏慢")
    assert [(e.kind, e.file_name) for e in files] == [
        ("photo", files[0].file_name),
        ("document", "3月台账.xlsx"),
    ]
    store = env.ctx.config.data_path / "evidence"
    stored = [(store / e.file_id.removeprefix("dingtalk:")).read_bytes() for e in files]
    assert stored == [b"\x89PNG fake picture", b"PK fake xlsx"]


async def test_a_picture_without_a_report_is_asked_for_one(dt_env: DtEnv) -> None:
    env = dt_env
    await env.bind(WANG, "区工信局")
    env.server.files["dl-1"] = b"img"
    assert "请先发送" in await env.ask(WANG, msgtype="picture", content={"downloadCode": "dl-1"})
    mark = await env.say(WANG, "报送 9")  # a number but no text
    await env.answer(WANG.address, mark)
    mark = await env.say(WANG, "报送 8 完成了")  # not one of its tasks: refused, audited
    assert "不是本单位" in (await env.answer(WANG.address, mark)).text
    with env.sessions() as s:
        assert s.scalar(select(Report)) is None
    assert [a.detail.get("reason") for a in audit(env, "report.submit")][-1] == "not_yours"


async def test_review_accept_and_return_by_links(dt_env: DtEnv) -> None:
    env = dt_env
    await env.bind(WANG, "区工信局")
    await env.bind(LI, "区发改局")
    await env.reminder(WANG, "ind9")
    mark = await env.say(WANG, "9 园区道路改造完成")  # a task number alone names the report
    await env.answer(WANG.address, mark, "已收到任务9")
    mark = env.server.mark()
    await env.deliver()
    request = await env.answer(LI.address, mark, "园区道路改造完成")
    actions = links(request.text)
    accept = next(v for k, v in actions.items() if k.startswith("通过"))
    back = next(v for k, v in actions.items() if k.startswith("退回"))
    mark = await env.say(WANG, accept)  # not the lead: refused and audited
    assert "无权" in (await env.answer(WANG.address, mark)).text or audit(env, "callback.refused")
    mark = await env.say(LI, back)  # 退回 without a comment: asks for one
    assert "意见" in (await env.answer(LI.address, mark)).text
    await env.ask(LI, f"{back} 请补充完工验收材料", "已退回任务9（区工信局）的报送")
    with env.sessions() as s:
        report = s.scalar(select(Report))
        period = s.get(Period, env.ids["ind9"])
        assert (report.review_state, report.review_comment) == ("returned", "请补充完工验收材料")
        assert period.state == RETURNED
    mark = env.server.mark()
    await env.deliver()
    assert "请补充完工验收材料" in (await env.answer(WANG.address, mark)).text
    mark = await env.say(LI, accept)  # the other answer to the same question is spent
    assert "失效" in (await env.answer(LI.address, mark)).text
    await env.ask(WANG, "报送 9 已补充验收材料", "已收到任务9")
    accept = await delivered_link(env, LI.address, "已补充验收材料", "通过")
    await env.ask(LI, accept, "已通过任务9（区工信局）的进展报送")
    with env.sessions() as s:
        assert s.get(Period, env.ids["ind9"]).state == ACCEPTED


async def test_extension_requested_and_approved(dt_env: DtEnv) -> None:
    env = dt_env
    await env.bind(WANG, "区工信局")
    await env.bind(LI, "区发改局")
    asked = "已提交延期申请：任务9（区工信局）申请延至 4月30日"
    await env.ask(WANG, "延期 9 2024-04-30 设备尚未到货", asked)
    approve = await delivered_link(env, LI.address, "设备尚未到货", "批准")
    await env.ask(LI, approve, "已批准任务9（区工信局）延期至 4月30日")
    with env.sessions() as s:
        ext = s.scalar(select(Extension))
        assert (ext.state, ext.new_due) == (EXT_APPROVED, dt.date(2024, 4, 30))
    mark = env.server.mark()
    await env.deliver()
    await env.answer(WANG.address, mark, "4月30日")


async def test_lead_group_and_office_group_close_a_task(dt_env: DtEnv) -> None:
    """区发改局 binds its work group; 办结 from there goes to the office's group, whose clerk
    confirms it with the link; 群号 tells the office its group's id for the config."""
    env = dt_env
    await env.bind(LI, "区发改局", group="cidDEVGROUP==")
    assert OFFICE_GROUP in await env.ask(CLERK, "群号", group=OFFICE_GROUP)
    with transaction(env.sessions) as s:  # 办结 needs every unit done: 区工信局's 已完成, accepted
        done = submit_report(
            s, period_id=env.ids["ind9"], contact_id=None, status="done", text="已全部完成",
            now=env.now(),
        )  # fmt: skip
        review_report(s, report_id=done.id, reviewer_contact_id=None, accept=True, now=env.now())
    # any member of the bound group acts for the unit
    await env.ask(LU, "办结 9 全部完成", "已提交任务9的办结申请", group="cidDEVGROUP==")
    confirm = await delivered_link(env, f"group:{OFFICE_GROUP}", "任务9", "确认办结")
    await env.ask(CLERK, confirm, "已确认任务9办结", group=OFFICE_GROUP)
    with env.sessions() as s:
        assert s.scalar(select(Completion)).state == COMPLETION_CONFIRMED


async def test_throttling_is_honoured_on_delivery_and_answers(dt_env: DtEnv) -> None:
    env = dt_env
    await env.bind(WANG, "区工信局")
    env.remind("ind7")
    path = "/v1.0/robot/oToMessages/batchSend"
    env.server.fail(path, 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", retry_after="7")
    report = await env.deliver()
    assert report.items_failed == 1 and not env.server.sent_to(WANG.address)[1:]
    with env.sessions() as s:
        digest = s.scalar(select(Digest))
        assert digest.state == "failed"
        assert digest.next_attempt_at >= env.now() + dt.timedelta(seconds=7)
    env.clock["now"] = digest.next_attempt_at
    mark = env.server.mark()
    assert (await env.deliver()).items_sent == 1
    await env.answer(WANG.address, mark, "任务7")
    env.server.fail(path, 429, "Throttling.Api", retry_after="3")  # an answer meets a 429
    assert "任务7" in await env.ask(WANG, "任务")
    assert 3.0 in env.time.slept


async def test_group_sends_are_paced_under_twenty_a_minute(dt_env: DtEnv) -> None:
    env = dt_env

    message = Outgoing(
        recipient=OFFICE, name="区政府督查室", role="office", locale="zh_CN",
        addresses=(f"group:{OFFICE_GROUP}",), kind=MessageKind.LEAD_REPORT,
        parts=tuple(f"第{i}条" for i in range(25)),
    )  # fmt: skip
    result = await env.channel.send(message)
    assert result.ok and len(result.sent) == 25
    assert len(env.server.sent_to(f"group:{OFFICE_GROUP}")) == 25
    # 25 messages to one group: the 21st waited for the minute to pass, on the fake clock
    assert sum(env.time.slept) >= 60 - 1


async def test_duplicate_frame_restart_and_token_refresh(dt_env: DtEnv) -> None:
    """The SDK may hand a frame over twice: one report, one answer. A restart between a report
    and its picture loses nothing; a revoked token is fetched anew; pings are answered."""
    env = dt_env
    await env.bind(WANG, "区工信局")
    frame = robot_message(WANG, "报送 7 本月完成400亿元", msg_id="dup-1")
    mark = env.server.mark()
    first = await env.server.push(frame)
    second = await env.server.push(frame)
    await env.server.wait_ack(first)
    await env.server.wait_ack(second)
    await env.answer(WANG.address, mark, "已收到任务7")
    with env.sessions() as s:
        assert len(list(s.scalars(select(Report)))) == 1
    assert len([x for x in env.server.sent[mark:] if "已收到" in x.text]) == 1
    pong = await env.server.wait_ack(await env.server.ping())
    assert pong["code"] == 200
    await env.restart_stream()
    env.server.revoke_tokens()
    env.server.files["dl-after"] = b"after restart"
    picture = {"downloadCode": "dl-after"}
    assert "任务7" in await env.ask(WANG, "", "附件", msgtype="picture", content=picture)
    with env.sessions() as s:
        assert len(list(s.scalars(select(Evidence)))) == 1
    assert env.server.opens == 2
    await env.server.drop_connection()  # DingTalk's gateway goes away: the SDK opens anew
    assert "任务7" in await env.ask(WANG, "任务")
    assert env.server.opens == 3


async def test_a_unit_on_both_channels_gets_its_digest_on_each(dt_env: DtEnv) -> None:
    """区工信局 has a Telegram contact and a DingTalk contact: one digest, sent on both. When
    DingTalk throttles, the retry goes to DingTalk only (Telegram's copy went out)."""
    env = dt_env
    await env.bind(WANG, "区工信局")
    with transaction(env.sessions) as s:
        s.add(Contact(unit_id=env.ids["ind"], channel=TELEGRAM, user_address="501", address="501"))
    telegram = MemoryChannel(needs_addresses=True)
    settings = engine_settings(env.ctx.config)
    env.remind("ind7")
    env.server.fail("/v1.0/robot/oToMessages/batchSend", 429, "Throttling", retry_after="5")
    report = await deliver(env.sessions, [telegram, env.channel], settings, env.now())
    assert report.items_failed == 1
    assert [a for a, _ in telegram.received] == ["501"]
    with env.sessions() as s:
        digest = s.scalar(select(Digest))
        assert (digest.state, digest.delivered_to) == ("partial", ["501"])
    env.clock["now"] = digest.next_attempt_at
    mark = env.server.mark()
    report = await deliver(env.sessions, [telegram, env.channel], settings, env.now())
    assert report.items_sent == 1 and len(telegram.received) == 1
    assert "任务7" in (await env.answer(WANG.address, mark)).text


async def test_the_leader_in_charge_gets_the_leader_stage_on_dingtalk(dt_env: DtEnv) -> None:
    """[[leaders]] dingtalk_users: the D+8 digest goes to the leader 1:1, by lead department."""
    env = dt_env
    recipient = Recipient.leader(0)
    with transaction(env.sessions) as s:
        enqueue(
            s, kind=MessageKind.ESCALATION_LEADER, recipient=recipient, role="leader",
            facts=Facts(task=9, unit="区工信局", due="2024-03-25", leads=("区发改局",),
                        details={"overdue_days": 8}),
            recipient_name="张副区长",
            dedupe_key=dedupe_key(MessageKind.ESCALATION_LEADER, recipient, scope=(9, 9), stage=1),
            due_at=env.now(),
        )  # fmt: skip
    mark = env.server.mark()
    report = await env.deliver()
    assert report.items_sent == 1
    digest = await env.answer(LEADER.address, mark, "任务9")
    assert "张副区长" in digest.text and "区发改局" in digest.text
