"""Office commands from the wrong chats, on an empty database and on long lists; and the one
error handler: brief, escaped, no traceback or token for the user, no personal data logged."""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest
from sqlalchemy import delete

from db.engine import transaction
from db.models import Assignment, Period, Target, Task
from db.models.periods import OPEN
from db.models.tasks import LEAD, RESPONSIBLE
from tests.bot_harness import CLERK, DEV, IND, OFFICE, OFFICE_CHAT, TOKEN, Env
from tests.fakebot import TEXT_LIMIT, Call


@pytest.mark.parametrize("command", ["/overview", "/overdue", "/export"])
async def test_office_commands_elsewhere_are_refused(env: Env, command: str) -> None:
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, command)
    assert "仅限区政府督查室" in (await env.answer(IND["id"], mark)).text
    group = {"id": -100999, "type": "supergroup", "title": "工信局群"}
    mark = await env.say(IND, command, chat=group)  # a bound contact, in another group
    assert "仅限区政府督查室" in (await env.answer(group["id"], mark)).text
    assert not [c for c in env.server.calls if c.method in {"sendDocument", "sendPhoto"}]


async def test_export_with_an_empty_database(env: Env) -> None:
    with transaction(env.sessions) as s:
        for model in (Period, Target, Assignment, Task):
            s.execute(delete(model))
    mark = await env.say(CLERK, "/export", chat=OFFICE)
    got = await env.server.wait_for(
        lambda c: c.chat_id == OFFICE_CHAT and c.method in {"sendDocument", "sendMessage"},
        after=mark,
        timeout=30,
    )
    assert "出错" not in got.text
    if got.method == "sendDocument":
        (xlsx,) = got.files.values()
        assert xlsx[:2] == b"PK"


def many_tasks(env: Env, n: int) -> None:
    """n more tasks led by 区发改局 or 区商务局 (in turn) with 区工信局 responsible, all due
    1 March (overdue)."""
    with transaction(env.sessions) as s:
        for number in range(100, 100 + n):
            task = Task(number=number, section="三、<测试>板块", text=f"第{number}项工作。")
            s.add(task)
            s.flush()
            lead = env.ids["dev"] if number % 2 else env.ids["com"]
            for unit, role in ((lead, LEAD), (env.ids["ind"], RESPONSIBLE)):
                a = Assignment(task_id=task.id, unit_id=unit, role=role)
                s.add(a)
                s.flush()
                s.add(
                    Period(
                        assignment_id=a.id,
                        label="2024-02",
                        starts_on=dt.date(2024, 2, 1),
                        due_on=dt.date(2024, 3, 1),
                        state=OPEN,
                    )
                )


async def assert_whole(
    env: Env, who: dict, chat: dict | None, command: str, line: str, tasks: range
) -> list[Call]:
    """`who` sends `command`: every part of the answer went out (none refused by Telegram),
    and `line` with {n} for each of `tasks` stands whole in one of them."""
    chat_id = chat["id"] if chat else who["id"]
    mark = await env.say(who, command, chat=chat)
    barrier = await env.say(who, "/help", chat=chat)  # answered once the command is done
    help_line = "/export" if chat else "/cancel"  # the office's /help, a contact's /help
    done = env.server.calls.index(await env.answer(chat_id, barrier, help_line))
    sent = [c for c in env.server.calls[mark:done] if c.chat_id == chat_id]
    assert sent and not [c for c in sent if "_failed" in c.params]
    assert all(len(c.text) <= TEXT_LIMIT for c in sent)
    for n in tasks:
        assert any(line.format(n=n) in c.text for c in sent), line.format(n=n)
    return sent


def age_of_march_1(env: Env) -> int:
    """Working days after 1 March up to the env's today, counted day by day on chinesecalendar."""
    today = env.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    due = dt.date(2024, 3, 1)
    age = sum(
        chinese_calendar.is_workday(due + dt.timedelta(days=k))
        for k in range(1, (today - due).days + 1)
    )
    assert age > 0
    return age


async def test_long_overdue_list_goes_out_whole_in_valid_parts(env: Env) -> None:
    """… each line with its age in working days, counted here on chinesecalendar."""
    many_tasks(env, 150)
    age = age_of_march_1(env)
    line = "· 任务{n} 区工信局，截止 3月1日（周五），已逾期" + f"{age}个工作日"
    sent = await assert_whole(env, CLERK, OFFICE, "/overdue", line, range(100, 250))
    assert len(sent) > 1
    assert all("工作日·" not in c.text for c in sent)  # one line each


async def test_long_status_and_tasks_go_out_whole(env: Env) -> None:
    many_tasks(env, 150)
    await env.bind(DEV, "区发改局")
    await assert_whole(env, DEV, None, "/status", "<b>任务{n}</b>", range(101, 250, 2))
    age = age_of_march_1(env)
    status = await assert_whole(env, DEV, None, "/status", "区工信局（责任）", range(1))
    lines = [
        line for c in status for line in c.text.splitlines() if "区工信局（责任）2024-02" in line
    ]
    assert len(lines) == 75  # the 75 tasks 区发改局 leads
    assert all(line.endswith(f"，已逾期{age}个工作日") for line in lines), lines[0]
    await env.bind(IND, "区工信局")
    line = "任务{n}（责任）2024-02，截止 3月1日（周五）"
    await assert_whole(env, IND, None, "/tasks", line, range(100, 250))
    mark = await env.say(CLERK, "/overview", chat=OFFICE)
    overview = await env.answer(OFFICE_CHAT, mark, "&lt;测试&gt;")
    assert "_failed" not in overview.params


async def test_errors_are_brief_escaped_and_logged_without_personal_data(
    env: Env, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    from bot import report_submit

    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind9")
    secret_text = "王工信的手机13800000000 <b>"

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"INSERT failed for {secret_text!r} via /bot{TOKEN}/sendMessage")

    monkeypatch.setattr(report_submit, "submit_report", broken)
    mark = await env.say(IND, secret_text, reply_to=env.server.message_of(reminder))
    reply = await env.answer(IND["id"], mark, "出错了")
    assert "_failed" not in reply.params and len(reply.text) < 200
    assert "Traceback" not in reply.text and TOKEN not in reply.text
    assert secret_text not in reply.text and "13800000000" not in reply.text
    assert "error while handling an update" in caplog.text
    assert "13800000000" not in caplog.text and "王工信" not in caplog.text
    # A button that fails before it is answered: the error handler stops the spinner.
    from bot import common

    monkeypatch.setattr(common, "resolve", broken)
    mark = await env.press(IND, reminder, "报送进展")
    await env.answer(IND["id"], mark, "出错了")
    assert [c for c in env.server.calls[mark:] if c.method == "answerCallbackQuery"]
    assert "13800000000" not in caplog.text


async def test_an_error_with_logging_at_info_leaks_nothing_either(env: Env, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    await env.bind(IND, "区工信局")
    assert "王工信" not in caplog.text and "/start" not in caplog.text


async def test_an_update_ptb_cannot_parse_is_not_logged_with_its_data(env: Env) -> None:
    """PTB logs such updates whole at CRITICAL (bot/_bot.py get_updates); the data is withheld."""
    logger = logging.getLogger("telegram.ext.ExtBot")
    update = [{"message": {"from": {"first_name": "王工信"}, "text": "手机13800000000"}}]
    record = logger.makeRecord(
        logger.name, logging.CRITICAL, __file__, 1,
        "Error while parsing updates! Received data was %r", (update,), None,
    )  # fmt: skip
    assert logger.filter(record)
    assert "王工信" not in record.getMessage() and "13800000000" not in record.getMessage()
    assert record.getMessage().startswith("Error while parsing updates!")


async def test_telegrams_own_error_description_is_logged(env: Env, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from telegram.error import BadRequest

    from bot import queries

    await env.bind(IND, "区工信局")

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise BadRequest("Message is too long")

    monkeypatch.setattr(queries, "current_items", refused)
    mark = await env.say(IND, "/tasks")
    await env.answer(IND["id"], mark, "出错了")
    assert "BadRequest: Message is too long" in caplog.text
