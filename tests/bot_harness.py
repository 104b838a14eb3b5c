"""Harness for the bot's end-to-end tests: the example config, a small world (two tasks led by
区发改局 with 区工信局 responsible), the fake Bot API server and the real PTB Application."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.rate_limit import telegram_pacer
from db.contracts import Facts, MessageKind, Recipient, dedupe_key
from db.engine import transaction
from db.models import Assignment, AuditLog, Period, Report, Target, Task, Unit
from db.models.periods import OPEN
from db.models.tasks import LEAD, RESPONSIBLE
from duban.bot_wiring import application, telegram_channel
from duban.config import OfficeConfig, TelegramConfig
from duban.context import AppContext
from duban.office_files import weekly_files
from duban.wiring import engine_settings
from jobs.delivery import deliver
from jobs.outbox import enqueue
from jobs.planner import ladder_anchor
from services.registration import create_invite
from tests.fakebot import Call, FakeBotAPI
from tests.virtual_time import VirtualTime

TOKEN = "7000001:AAH-fake-secret-token_for-tests-xyz"
TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2024, 3, 20, 10, 0, tzinfo=TZ)
OFFICE_CHAT = -100777


def user(uid: int, name: str) -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name}


IND = user(501, "王工信")  # 区工信局 (responsible unit)
DEV = user(502, "李发改")  # 区发改局 (lead unit)
OTHER = user(503, "赵商务")  # 区商务局 (no part in these tasks)
STRANGER = user(504, "路人甲")  # never registered
CLERK = user(505, "督查室小张")  # writes in the office group
OFFICE = {"id": OFFICE_CHAT, "type": "group", "title": "区政府督查室"}
STICKER = {  # Message.sticker as Telegram sends it
    "file_id": "STK",
    "file_unique_id": "STKU",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}


@dataclass
class Env:
    server: FakeBotAPI
    app: Any
    ctx: Any
    ids: dict[str, int]
    clock: dict[str, dt.datetime] = field(default_factory=lambda: {"now": NOW})

    @property
    def sessions(self):  # type: ignore[no-untyped-def]
        return self.ctx.sessions

    @property
    def config(self):  # type: ignore[no-untyped-def]
        return self.ctx.config

    def now(self) -> dt.datetime:
        return self.clock["now"]

    async def say(self, who: dict[str, Any], text: str, **kw: Any) -> int:
        mark = self.server.mark()
        await self.server.send_text(who, text, **kw)
        return mark

    async def answer(self, chat_id: int, after: int, contains: str = "") -> Call:
        try:
            return await self.server.wait_sent(chat_id, after=after, contains=contains)
        except TimeoutError:
            seen = [(c.method, c.chat_id, c.text[:80]) for c in self.server.calls[after:]]
            raise AssertionError(f"no message to {chat_id} with {contains!r}; saw {seen}") from None

    async def press(self, who: dict[str, Any], call: Call, label: str) -> int:
        mark = self.server.mark()
        await self.server.press(who, call.button(label), self.server.message_of(call))
        return mark

    async def press_data(self, who: dict[str, Any], data: str, call: Call) -> int:
        mark = self.server.mark()
        await self.server.press(who, data, self.server.message_of(call))
        return mark

    async def alert(self, after: int) -> Call:
        return await self.server.wait_for(
            lambda c: c.method == "answerCallbackQuery" and bool(c.params.get("text")), after=after
        )

    async def bind(self, who: dict[str, Any], unit: str) -> None:
        with transaction(self.sessions) as s:
            token = create_invite(s, unit, now=self.now()).token
        mark = await self.say(who, f"/start {token}")
        await self.answer(who["id"], mark, "绑定成功")

    async def deliver(self) -> Any:
        channel = telegram_channel(self.ctx, self.app.bot)
        return await deliver(
            self.sessions,
            channel,
            engine_settings(self.config),
            self.now(),
            attachments=weekly_files(self.sessions, self.config),
        )

    async def reminder(self, who: dict[str, Any], *keys: str) -> Call:
        """Remind these periods (world keys) and deliver: the message `who` got."""
        self.remind(*keys)
        mark = self.server.mark()
        await self.deliver()
        return await self.answer(who["id"], mark, "任务")

    async def review_request(self, text: str) -> Call:
        """区工信局 replies `text` to its reminder of task 9; what 区发改局 gets to review."""
        await self.bind(IND, "区工信局")
        await self.bind(DEV, "区发改局")
        reminder = await self.reminder(IND, "ind9")
        mark = await self.say(IND, text, reply_to=self.server.message_of(reminder))
        await self.answer(IND["id"], mark, "已收到任务9")
        mark = self.server.mark()
        await self.deliver()
        return await self.answer(DEV["id"], mark, text[:20])

    def remind(self, *keys: str, kind: str = "reminder", stage: int = 1) -> None:
        """Put reminders for these periods (world keys) in the outbox, as the planner would."""
        remind(self.sessions, self.ids, self.now(), *keys, kind=kind, stage=stage)


def remind(  # type: ignore[no-untyped-def]
    sessions,
    ids: dict[str, int],
    now: dt.datetime,
    *keys: str,
    kind: str = "reminder",
    stage: int = 1,
) -> None:
    """Put reminders for these periods (world keys) in the outbox, as the planner would."""
    with transaction(sessions) as s:
        for key in keys:
            period = s.get(Period, ids[key])
            a = period.assignment
            recipient = Recipient.unit(a.unit_id)
            anchor = ladder_anchor(
                period.effective_due.isoformat(),
                period.due_on.isoformat(),
                period.state,
                period.restarted_on and period.restarted_on.isoformat(),
            )
            enqueue(
                s,
                kind=MessageKind(kind),
                recipient=recipient,
                role="unit",
                facts=Facts(
                    task=a.task.number,
                    unit=a.unit.name,
                    due=period.effective_due.isoformat(),
                    anchor=anchor or None,
                    details={"days_left": 3},
                ),
                recipient_name=a.unit.name,
                dedupe_key=dedupe_key(
                    MessageKind(kind), recipient, scope=(a.id, period.id), stage=stage
                ),
                due_at=now,
                stage=stage,
                assignment_id=a.id,
                period_id=period.id,
            )


def make_world(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Task 7 (a numeric target) and task 9, both led by 区发改局, 区工信局 responsible."""
    ids: dict[str, int] = {}
    with transaction(sessions) as s:
        units = {u.name: u for u in s.scalars(select(Unit))}
        ids["dev"], ids["ind"], ids["com"] = (
            units["区发改局"].id,
            units["区工信局"].id,
            units["区商务局"].id,
        )
        for number, text in (
            (7, "服务业增加值达到1087亿元。"),
            (9, "推进产业园区提档升级。"),
        ):
            task = Task(number=number, section="一、着力推动经济高质量发展", text=text)
            s.add(task)
            s.flush()
            ids[f"task{number}"] = task.id
            if number == 7:
                s.add(
                    Target(
                        task_id=task.id,
                        ordinal=0,
                        comparator=">=",
                        value=1087,
                        unit_label="亿元",
                        label="服务业增加值",
                        raw="服务业增加值达到1087亿元",
                    )
                )
            for unit, role, key in ((ids["dev"], LEAD, "lead"), (ids["ind"], RESPONSIBLE, "ind")):
                a = Assignment(task_id=task.id, unit_id=unit, role=role)
                s.add(a)
                s.flush()
                p = Period(
                    assignment_id=a.id,
                    label="2024-03",
                    starts_on=dt.date(2024, 3, 1),
                    due_on=dt.date(2024, 3, 25),
                    state=OPEN,
                )
                s.add(p)
                s.flush()
                ids[f"{key}{number}"] = p.id
    return ids


def make_app(ctx, env_clock):  # type: ignore[no-untyped-def]
    return application(ctx, TOKEN, now=lambda: env_clock["now"])


@contextlib.asynccontextmanager
async def running_env(config, engine, sessions, caplog, capsys) -> AsyncIterator[Env]:  # type: ignore[no-untyped-def]
    """The world, the fake server and the real Application, polling; torn down afterwards.
    On the way out: the token was in every URL and nowhere in what was logged or printed."""
    caplog.set_level(logging.DEBUG)
    server = FakeBotAPI(TOKEN)
    await server.start()
    cfg = config.model_copy(
        update={
            "office": OfficeConfig(chat_ids=[OFFICE_CHAT]),
            "telegram": TelegramConfig(
                base_url=server.base_url, base_file_url=server.base_file_url
            ),
        }
    )
    ctx = AppContext(cfg, engine, sessions)
    ids = make_world(sessions)
    clock = {"now": NOW}
    app = make_app(ctx, clock)
    vt = VirtualTime()  # the bot paces its sends (bot/rate_limit.py): in virtual time here
    app.bot.rate_limiter.pacer = telegram_pacer(clock=vt.clock, sleep=vt.sleep)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        yield Env(server, app, ctx, ids, clock)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await server.stop()
    _dump_traffic(server)
    assert any(TOKEN in p for p in server.raw_paths)
    out, err = capsys.readouterr()
    assert TOKEN not in caplog.text and TOKEN not in out and TOKEN not in err


def _dump_traffic(server: FakeBotAPI) -> None:
    """docs/bot.md's walk-through comes from this (DUBAN_DUMP_TRAFFIC=/tmp/t.jsonl pytest …)."""
    dump = os.environ.get("DUBAN_DUMP_TRAFFIC")
    if not dump:
        return
    with open(dump, "a", encoding="utf-8") as fh:
        for c in server.calls:
            if c.method in {"sendMessage", "editMessageText", "answerCallbackQuery"}:
                row = [c.method, c.chat_id, c.text, c.buttons, c.params.get("text")]
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.write("----\n")


def audit(env: Env, action: str | None = None, refused: bool | None = None) -> list[AuditLog]:
    with env.sessions() as s:
        q = select(AuditLog)
        if action:
            q = q.where(AuditLog.action == action)
        if refused is not None:
            q = q.where(AuditLog.refused == refused)
        return list(s.scalars(q))


def reports(env: Env) -> list[Report]:
    """Every report stored, oldest first, with its evidence loaded."""
    with env.sessions() as s:
        found = list(s.scalars(select(Report).order_by(Report.id)))
        for r in found:
            _ = r.evidence
        return found
