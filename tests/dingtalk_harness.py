"""Harness for DingTalk's end-to-end tests: the same small world as the Telegram ones
(tests/bot_harness.py), the fake DingTalk (tests/fakedingtalk.py), the real `dingtalk-stream`
SDK client in its own thread receiving, and the DingTalk channel delivering."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.dingtalk.channel import DingTalkChannel
from db.engine import transaction
from duban.config import DingTalkConfig, LeaderConfig
from duban.context import AppContext
from duban.dingtalk_wiring import dingtalk_api, dingtalk_channel, stream_thread
from duban.wiring import engine_settings
from jobs.delivery import deliver
from services.registration import create_invite
from tests.bot_harness import NOW, make_world, remind
from tests.fakedingtalk import FakeDingTalk, Sent

OFFICE_GROUP = "cidOFFICE=="
_msg_ids = itertools.count(1)


@dataclass(frozen=True)
class Person:
    staff_id: str
    nick: str

    @property
    def address(self) -> str:
        return f"user:{self.staff_id}"


WANG = Person("manager501", "王工信")  # 区工信局 (responsible unit)
LI = Person("manager502", "李发改")  # 区发改局 (lead unit)
LU = Person("manager504", "路人甲")  # never registered
CLERK = Person("manager505", "督查室小张")
LEADER = Person("leader001", "张副区长")  # [[leaders]] dingtalk_users


class FakeTime:
    """Pacing's clock and sleep: waiting moves the clock, nobody sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds

    def timing(self) -> dict[str, Any]:
        """The pacer's clock and sleep, virtual."""
        return {"clock": self.clock, "sleep": self.sleep}


def robot_message(
    who: Person, text: str = "", *, group: str = "", msgtype: str = "text",
    content: dict[str, Any] | None = None, msg_id: str = "",
) -> dict[str, Any]:  # fmt: skip
    """A robot message as DingTalk's Stream mode pushes it (topic /v1.0/im/bot/messages/get)."""
    data: dict[str, Any] = {
        "conversationId": group or f"cidp2p-{who.staff_id}",
        "conversationType": "2" if group else "1",
        "conversationTitle": "区发改局工作群" if group else "",
        "msgId": msg_id or f"msg{next(_msg_ids)}",
        "senderNick": who.nick,
        "senderStaffId": who.staff_id,
        "senderId": f"$:LWCP_v1:${who.staff_id}",
        "chatbotUserId": "$:LWCP_v1:$robot",
        "robotCode": "dingapp-test",
        "createAt": 1710900000000,
        "isInAtList": True,
        "msgtype": msgtype,
    }
    if msgtype == "text":
        data["text"] = {"content": text}
    else:
        data["content"] = content or {}
    return data


@dataclass
class DtEnv:
    server: FakeDingTalk
    ctx: AppContext
    ids: dict[str, int]
    channel: DingTalkChannel
    time: FakeTime
    clock: dict[str, dt.datetime] = field(default_factory=lambda: {"now": NOW})
    thread: Any = None

    @property
    def sessions(self):  # type: ignore[no-untyped-def]
        return self.ctx.sessions

    def now(self) -> dt.datetime:
        return self.clock["now"]

    async def say(self, who: Person, text: str = "", *, group: str = "", **kw: Any) -> int:
        """`who` writes to the robot; returns the mark after which its answer comes."""
        mark = self.server.mark()
        await self.server.push(robot_message(who, text, group=group, **kw))
        return mark

    async def ask(
        self, who: Person, text: str = "", contains: str = "", *, group: str = "", **kw: Any
    ) -> str:
        """`who` writes; the text of the robot's answer (in the group, if written there)."""
        mark = await self.say(who, text, group=group, **kw)
        return (await self.answer(f"group:{group}" if group else who.address, mark, contains)).text

    async def answer(self, address: str, after: int, contains: str = "") -> Sent:
        return await self.server.wait_sent(address, after, contains)

    async def bind(self, who: Person, unit: str, *, group: str = "") -> None:
        with transaction(self.sessions) as s:
            code = create_invite(s, unit, now=self.now(), channel="dingtalk").token
        mark = await self.say(who, f"绑定 {code}", group=group)
        where = f"group:{group}" if group else who.address
        await self.answer(where, mark, "绑定成功")

    async def deliver(self) -> Any:
        return await deliver(
            self.sessions, self.channel, engine_settings(self.ctx.config), self.now()
        )

    def remind(self, *keys: str, kind: str = "reminder", stage: int = 1) -> None:
        remind(self.sessions, self.ids, self.now(), *keys, kind=kind, stage=stage)

    async def reminder(self, who: Person, *keys: str) -> Sent:
        """Remind these periods (world keys) and deliver: the message `who` got."""
        self.remind(*keys)
        mark = self.server.mark()
        await self.deliver()
        return await self.answer(who.address, mark, "任务")

    async def restart_stream(self) -> None:
        """Stop the SDK client's thread and start a new one (a process restart)."""
        await asyncio.to_thread(self.thread.stop)
        secret = self.server.client_secret
        self.thread = stream_thread(self.ctx, secret, now=self.now, **self.time.timing())
        self.thread.start()
        await self.server.connected()


def dingtalk_config(config, server: FakeDingTalk):  # type: ignore[no-untyped-def]
    return config.model_copy(
        update={
            "dingtalk": DingTalkConfig(
                enabled=True,
                client_id=server.client_id,
                api_base_url=server.base_url,
                office_groups=[OFFICE_GROUP],
            ),
            "leaders": [
                LeaderConfig(name="张副区长", units=["区发改局"], dingtalk_users=[LEADER.staff_id])
            ],
        }
    )


@contextlib.asynccontextmanager
async def running_dingtalk(config, engine, sessions, caplog) -> AsyncIterator[DtEnv]:  # type: ignore[no-untyped-def]
    """The world, the fake DingTalk, the SDK client receiving and the channel sending. On the
    way out: the AppSecret and the access tokens appear nowhere in the log."""
    caplog.set_level(logging.DEBUG)
    server = FakeDingTalk()
    await server.start()
    cfg = dingtalk_config(config, server)
    ctx = AppContext(cfg, engine, sessions)
    ids = make_world(sessions)
    fake_time = FakeTime()
    api = dingtalk_api(cfg, server.client_secret)
    channel = dingtalk_channel(cfg, api, **fake_time.timing())
    env = DtEnv(server, ctx, ids, channel, fake_time)
    env.thread = stream_thread(ctx, server.client_secret, now=env.now, **fake_time.timing())
    env.thread.start()
    try:
        await server.connected()
        yield env
    finally:
        await asyncio.to_thread(env.thread.stop)
        await api.aclose()
        await server.stop()
    assert server.client_secret not in caplog.text
    assert not any(token in caplog.text for token in server.tokens)
