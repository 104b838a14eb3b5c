"""The same flows, told once, on both chat channels: Telegram (the real PTB Application
against the fake Bot API) and DingTalk (the real dingtalk-stream SDK against the fake
DingTalk). Each channel's adapter says how a person does a step there (a reply or a button on
Telegram; a text command or a link on DingTalk); the test says what must come of it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from db.models import AuditLog, Contact, Period, Report
from db.models.periods import ACCEPTED
from tests.bot_harness import DEV, IND, STRANGER, running_env
from tests.dingtalk_harness import LI, LU, WANG, running_dingtalk

LINK = re.compile(r"\[([^\]]+)\]\(dtmd://dingtalkclient/sendMessage\?content=([^)]+)\)")


class Chat:
    """What both channels' harnesses do alike."""

    def __init__(self, env: Any) -> None:
        self.env = env

    async def bind(self, who: Any, unit: str) -> None:
        await self.env.bind(who, unit)

    async def reminder(self, who: Any, key: str) -> Any:
        return await self.env.reminder(who, key)

    async def deliver_to(self, who: Any, contains: str) -> Any:
        mark = self.env.server.mark()
        await self.env.deliver()
        return await self.env.answer(self.where(who), mark, contains)

    async def say(self, who: Any, text: str) -> str:
        mark = await self.env.say(who, text)
        return (await self.env.answer(self.where(who), mark)).text

    def where(self, who: Any) -> Any:
        raise NotImplementedError


class TelegramChat(Chat):
    name = "telegram"
    unit, lead, stranger = IND, DEV, STRANGER

    def where(self, who: Any) -> int:
        return who["id"]

    async def report(self, who: Any, reminder: Any, text: str) -> str:
        """Reply to the reminder: that is the report."""
        mark = await self.env.say(who, text, reply_to=self.env.server.message_of(reminder))
        return (await self.env.answer(who["id"], mark, "已收到")).text

    async def tap(self, who: Any, message: Any, label: str) -> str:
        mark = await self.env.press(who, message, label)
        return (await self.env.answer(who["id"], mark)).text


class DingTalkChat(Chat):
    name = "dingtalk"
    unit, lead, stranger = WANG, LI, LU

    def where(self, who: Any) -> str:
        return who.address

    async def report(self, who: Any, reminder: Any, text: str) -> str:
        """Name the task: 报送 7 …."""
        number = re.search(r"任务(\d+)", reminder.text).group(1)  # type: ignore[union-attr]
        mark = await self.env.say(who, f"报送 {number} {text}")
        return (await self.env.answer(who.address, mark, "已收到")).text

    async def tap(self, who: Any, message: Any, label: str) -> str:
        found = {lb.replace("\\", ""): unquote(c) for lb, c in LINK.findall(message.text)}
        mark = await self.env.say(who, found[label])
        return (await self.env.answer(who.address, mark)).text


@pytest.fixture(params=["telegram", "dingtalk"])
async def chat(request, config, engine, sessions, caplog, capsys):  # type: ignore[no-untyped-def]
    if request.param == "telegram":
        async with running_env(config, engine, sessions, caplog, capsys) as env:
            yield TelegramChat(env)
    else:
        async with running_dingtalk(config, engine, sessions, caplog) as env:
            yield DingTalkChat(env)


async def test_register_remind_report_review(chat: Any) -> None:
    """A contact registers, gets a reminder, reports on it; the lead gets it to review and
    accepts it; the unit hears the result. Stored: the contact on its channel, one report."""
    await chat.bind(chat.unit, "区工信局")
    await chat.bind(chat.lead, "区发改局")
    reminder = await chat.reminder(chat.unit, "ind9")
    assert "任务9" in reminder.text and "3月25日" in reminder.text
    answer = await chat.report(chat.unit, reminder, "园区道路改造已完工")
    assert "已收到任务9" in answer and "区工信局" in answer
    review = await chat.deliver_to(chat.lead, "园区道路改造已完工")
    assert "待审核的进展报告" in review.text
    assert "已通过任务9（区工信局）的进展报送" in await chat.tap(chat.lead, review, "通过")
    result = await chat.deliver_to(chat.unit, "任务9")
    assert "报告审核结果" in result.text
    with chat.env.sessions() as s:
        assert s.get(Period, chat.env.ids["ind9"]).state == ACCEPTED
        assert [r.text for r in s.scalars(select(Report))] == ["园区道路改造已完工"]
        assert {c.channel for c in s.scalars(select(Contact))} == {chat.name}


async def test_strangers_get_one_explanation_and_are_audited(chat: Any) -> None:
    text = await chat.say(chat.stranger, "任务" if chat.name == "dingtalk" else "/tasks")
    assert "仅供已登记的单位联络员使用" in text
    with chat.env.sessions() as s:
        refused = list(s.scalars(select(AuditLog).where(AuditLog.action == "unbound")))
    assert len(refused) == 1 and refused[0].refused
