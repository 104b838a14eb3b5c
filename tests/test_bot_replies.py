"""Replies to reminders as contacts really send them: several items, the wrong message, an old
reminder, stickers and polls, long texts, HTML, albums, bare documents, edits."""

from __future__ import annotations

import pytest

from db.engine import transaction
from db.models import Period
from db.models.periods import DONE
from tests.bot_harness import DEV, IND, OFFICE_CHAT, STICKER, Env, reports
from tests.fakebot import Call


async def settle(env: Env, who: dict) -> None:
    """Updates are handled in order: once this /tasks is answered, everything before it is."""
    mark = await env.say(who, "/tasks")
    await env.answer(who["id"], mark, "的任务")


async def album(env: Env, reminder: Call, caption: str, photos: list[str]) -> None:
    """IND replies to `reminder` with an album: one message per photo, the caption on the
    first, all with the same media_group_id (as Telegram delivers them)."""
    for n, photo in enumerate(photos):
        await env.server.send_text(
            IND,
            caption if n == 0 else "",
            reply_to=env.server.message_of(reminder),
            photo=photo,
            extra={"media_group_id": f"G-{photos[0]}"},
        )
    await settle(env, IND)


async def test_other_pick_button_is_dead_once_one_item_was_chosen(env: Env) -> None:
    await env.bind(IND, "区工信局")
    digest = await env.reminder(IND, "ind7", "ind9")
    mark = await env.say(IND, "园区改造已完成招标", reply_to=env.server.message_of(digest))
    which = await env.answer(IND["id"], mark, "哪一项")
    (nine,) = [label for label, _ in which.buttons if "任务9" in label]
    (seven,) = [label for label, _ in which.buttons if "任务7" in label]
    mark = await env.press(IND, which, nine)
    await env.answer(IND["id"], mark, "已收到任务9")
    mark = await env.press(IND, which, seven)  # the same question, answered again
    assert "已失效" in (await env.alert(mark)).params["text"]
    assert [r.period_id for r in reports(env)] == [env.ids["ind9"]]


async def test_reply_to_a_message_that_is_not_a_reminder(env: Env) -> None:
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, "/tasks")
    tasks = await env.answer(IND["id"], mark, "的任务")
    mark = await env.say(IND, "这是进展", reply_to=env.server.message_of(tasks))
    assert "不是任务提醒" in (await env.answer(IND["id"], mark)).text
    assert reports(env) == []


async def test_lead_replying_to_a_review_request_is_pointed_to_the_buttons(env: Env) -> None:
    review = await env.review_request("道路改造完成")
    mark = await env.say(DEV, "数据呢？", reply_to=env.server.message_of(review))
    reply = await env.answer(DEV["id"], mark)
    assert "不是本单位" in reply.text and "按钮" in reply.text
    assert len(reports(env)) == 1


async def test_reply_to_an_old_reminder_whose_item_is_closed(env: Env) -> None:
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind7")
    with transaction(env.sessions) as s:
        s.get(Period, env.ids["ind7"]).state = DONE
    mark = await env.say(IND, "补充一点进展", reply_to=env.server.message_of(reminder))
    reply = await env.answer(IND["id"], mark)
    assert "已办结" in reply.text
    assert reports(env) == []


UNSUPPORTED = {
    "sticker": {"sticker": STICKER},
    "voice": {"voice": {"file_id": "VO", "file_unique_id": "VOU", "duration": 3}},
    "location": {"location": {"latitude": 41.8, "longitude": 123.4}},
    "contact": {"contact": {"phone_number": "+8613800000000", "first_name": "王"}},
    "poll": {
        "poll": {
            "id": "P1",
            "question": "哪天开会？",
            "options": [
                {"persistent_id": "o1", "text": "周一", "voter_count": 0},
                {"persistent_id": "o2", "text": "周二", "voter_count": 0},
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
    },
}


@pytest.mark.parametrize("kind", sorted(UNSUPPORTED))
async def test_unsupported_reply_gets_a_clear_answer(env: Env, kind: str) -> None:
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind7")
    mark = env.server.mark()
    await env.server.send_text(
        IND, reply_to=env.server.message_of(reminder), extra=UNSUPPORTED[kind]
    )
    reply = await env.answer(IND["id"], mark)
    assert "文字、照片或文件" in reply.text
    # Not a reply, too: the same answer.
    mark = env.server.mark()
    await env.server.send_text(IND, extra=UNSUPPORTED[kind])
    assert "文字、照片或文件" in (await env.answer(IND["id"], mark)).text
    assert reports(env) == []


NOT_UNDERSTOOD = (
    "要报送进展，请直接“回复”提醒消息（文字、照片或文件均可），或发送 /report。"
    "发送 /tasks 查看本单位的任务，/help 查看全部命令。"
)


async def test_plain_text_that_is_no_reply_says_how_to_report(env: Env) -> None:
    """The one answer a bound contact gets to a message that is no reply (text or a photo),
    word for word, and nothing is filed."""
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, "你好，请问怎么报送？")
    reply = await env.answer(IND["id"], mark)
    assert reply.text == NOT_UNDERSTOOD
    mark = env.server.mark()
    await env.server.send_text(IND, "截至3月底完成", photo="P-1")
    assert (await env.answer(IND["id"], mark)).text == NOT_UNDERSTOOD
    answers = [c for c in env.server.sent_to(IND["id"]) if c.text == NOT_UNDERSTOOD]
    assert len(answers) == 2
    assert reports(env) == []


async def test_a_5000_character_reply_is_kept_and_nothing_sent_is_too_long(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    reminder = await env.reminder(IND, "ind9")
    long_text = ("园区道路改造进展顺利，" * 500)[:5000]
    mark = await env.say(IND, long_text, reply_to=env.server.message_of(reminder))
    reply = await env.answer(IND["id"], mark, "已收到任务9")
    (report,) = reports(env)
    assert long_text.startswith(report.text) and len(report.text) >= 4000
    if len(report.text) < len(long_text):
        assert str(len(report.text)) in reply.text  # the contact is told what was kept
    mark = env.server.mark()
    await env.deliver()
    await env.answer(DEV["id"], mark, "园区道路改造")
    assert not [c for c in env.server.calls if "_failed" in c.params]


HOSTILE = "<b>完成</b> R&D 投入 <script>x</script> & 1<2"


async def test_html_in_a_reply_is_escaped_for_the_lead_and_the_office(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    reminder = await env.reminder(IND, "ind9")
    mark = await env.say(IND, HOSTILE, reply_to=env.server.message_of(reminder))
    await env.answer(IND["id"], mark, "已收到任务9")
    mark = env.server.mark()
    await env.deliver()
    review = await env.answer(DEV["id"], mark, "R&amp;D")
    assert "&lt;script&gt;" in review.text and "<script>" not in review.text
    # The lead's own report goes to the office.
    own = await env.reminder(DEV, "lead9")
    mark = await env.say(DEV, HOSTILE, reply_to=env.server.message_of(own))
    await env.answer(DEV["id"], mark, "已收到任务9")
    mark = env.server.mark()
    await env.deliver()
    office = await env.answer(OFFICE_CHAT, mark, "R&amp;D")
    assert "&lt;b&gt;完成&lt;/b&gt;" in office.text
    assert not [c for c in env.server.calls if "_failed" in c.params]  # no plain-text fallback
    assert {r.text for r in reports(env)} == {HOSTILE}  # stored as typed


async def test_an_album_reply_is_one_report_with_every_photo(env: Env) -> None:
    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    reminder = await env.reminder(IND, "ind9")
    mark = env.server.mark()
    await album(env, reminder, "现场照片三张", ["ALB-0", "ALB-1", "ALB-2"])
    (report,) = reports(env)
    assert [e.file_id for e in report.evidence] == ["ALB-0", "ALB-1", "ALB-2"]
    assert report.text == "现场照片三张"
    confirmations = [c for c in env.server.calls[mark:] if "已收到任务9" in c.text]
    assert confirmations and "附件 3 个" in confirmations[-1].text
    assert len([c for c in confirmations if c.method == "sendMessage"]) == 1


async def test_an_album_reply_to_a_digest_of_two_items_asks_once(env: Env) -> None:
    await env.bind(IND, "区工信局")
    digest = await env.reminder(IND, "ind7", "ind9")
    mark = env.server.mark()
    await album(env, digest, "照片", ["AL2-0", "AL2-1"])
    questions = [c for c in env.server.calls[mark:] if "哪一项" in c.text]
    assert len(questions) == 1
    (nine,) = [label for label, _ in questions[0].buttons if "任务9" in label]
    mark = await env.press(IND, questions[0], nine)
    await env.answer(IND["id"], mark, "附件 2 个")
    (report,) = reports(env)
    assert [e.file_id for e in report.evidence] == ["AL2-0", "AL2-1"]


async def test_a_document_without_caption_is_a_report_with_one_file(env: Env) -> None:
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind9")
    mark = await env.say(
        IND, "", reply_to=env.server.message_of(reminder), document=("DOC-1", "a.pdf")
    )
    assert "附件 1 个" in (await env.answer(IND["id"], mark, "已收到任务9")).text
    (report,) = reports(env)
    assert report.text == "" and [e.file_name for e in report.evidence] == ["a.pdf"]


async def test_editing_a_reply_does_not_file_a_second_report(env: Env) -> None:
    await env.bind(IND, "区工信局")
    reminder = await env.reminder(IND, "ind9")
    sent = await env.server.send_text(
        IND, "道路改造完成80%", reply_to=env.server.message_of(reminder)
    )
    await env.server.wait_sent(IND["id"], contains="已收到任务9")
    mark = env.server.mark()
    await env.server.edit(sent, "道路改造完成90%")
    reply = await env.answer(IND["id"], mark)
    assert "修改" in reply.text and "/report" in reply.text
    assert [r.text for r in reports(env)] == ["道路改造完成80%"]


async def test_the_lead_and_the_office_can_see_a_reports_files(env: Env) -> None:
    from tests.bot_harness import CLERK, OTHER

    await env.bind(IND, "区工信局")
    await env.bind(DEV, "区发改局")
    reminder = await env.reminder(IND, "ind9")
    await album(env, reminder, "现场照片", ["EV-1", "EV-2"])
    mark = env.server.mark()
    await env.deliver()
    review = await env.answer(DEV["id"], mark, "现场照片")
    assert [label for label, _ in review.buttons] == ["通过", "退回", "查看附件"]
    mark = await env.press(DEV, review, "查看附件")
    await env.server.wait_for(
        lambda c: c.method == "sendPhoto" and c.params.get("photo") == "EV-2", after=mark
    )
    shown = [c for c in env.server.calls[mark:] if c.method == "sendPhoto"]
    assert [(c.chat_id, c.params["photo"]) for c in shown] == [
        (DEV["id"], "EV-1"),
        (DEV["id"], "EV-2"),
    ]
    await env.bind(OTHER, "区商务局")  # not the lead: refused
    mark = await env.press(OTHER, review, "查看附件")
    assert "已失效或无权操作" in (await env.alert(mark)).params["text"]
    # A lead's own report goes to the office, with its file.
    own = await env.reminder(DEV, "lead9")
    mark = await env.say(
        DEV, "牵头单位自报", reply_to=env.server.message_of(own), document=("EV-D", "表.xlsx")
    )
    await env.answer(DEV["id"], mark, "已收到任务9")
    mark = env.server.mark()
    await env.deliver()
    office = await env.answer(OFFICE_CHAT, mark, "牵头单位自报")
    mark = await env.press(CLERK, office, "查看附件")
    doc = await env.server.wait_for(lambda c: c.method == "sendDocument", after=mark)
    assert doc.chat_id == OFFICE_CHAT and doc.params.get("document") == "EV-D"
