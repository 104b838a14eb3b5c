"""Registration as real contacts try it: no token, garbage, revoked, two units, group chats,
and what someone who is not bound gets for anything they send."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import transaction
from db.models import Contact, Invite
from services.registration import create_invite, revoke_contact
from tests.bot_harness import IND, NOW, OTHER, STICKER, STRANGER, Env, audit


def invite(env: Env, unit: str) -> str:
    with transaction(env.sessions) as s:
        return create_invite(s, unit, now=env.now()).token


def active_units(env: Env, who: dict) -> list[int]:
    with env.sessions() as s:
        return [
            c.unit_id
            for c in s.scalars(
                select(Contact).where(
                    Contact.user_address == str(who["id"]), Contact.revoked_at.is_(None)
                )
            )
        ]


async def test_start_without_a_token_explains_and_binds_nothing(env: Env) -> None:
    mark = await env.say(STRANGER, "/start")
    reply = await env.answer(STRANGER["id"], mark)
    assert "邀请链接" in reply.text and "仅供已登记的单位联络员使用" in reply.text
    assert active_units(env, STRANGER) == []


async def test_garbage_tokens_are_refused_and_escaped(env: Env) -> None:
    for garbage in ("<b>&amp;", "x" * 300, "пароль"):
        mark = await env.say(STRANGER, f"/start {garbage}")
        reply = await env.answer(STRANGER["id"], mark)
        assert "无法识别该邀请链接" in reply.text and "_failed" not in reply.params
    assert active_units(env, STRANGER) == []
    assert len(audit(env, "invite.redeem", refused=True)) == 3


async def test_a_revoked_contact_cannot_come_back_through_its_old_link(env: Env) -> None:
    token = invite(env, "区工信局")
    mark = await env.say(IND, f"/start {token}")
    await env.answer(IND["id"], mark, "绑定成功")
    with transaction(env.sessions) as s:
        contact = s.scalar(select(Contact).where(Contact.user_address == str(IND["id"])))
        revoke_contact(s, contact.id, now=NOW)
    mark = await env.say(IND, f"/start {token}")
    assert "已被使用过" in (await env.answer(IND["id"], mark)).text
    mark = await env.say(IND, "/tasks")
    assert "仅供已登记的单位联络员使用" in (await env.answer(IND["id"], mark)).text
    # A fresh invite binds again.
    mark = await env.say(IND, f"/start {invite(env, '区工信局')}")
    await env.answer(IND["id"], mark, "绑定成功")
    assert active_units(env, IND) == [env.ids["ind"]]


async def test_opening_a_second_units_invite_says_the_first_binding_ended(env: Env) -> None:
    await env.bind(IND, "区工信局")
    mark = await env.say(IND, f"/start {invite(env, '区商务局')}")
    reply = await env.answer(IND["id"], mark, "绑定成功")
    assert "区商务局" in reply.text
    assert "区工信局" in reply.text and "解除" in reply.text  # told, not silently moved
    assert active_units(env, IND) == [env.ids["com"]]


async def test_start_in_a_group_points_to_the_private_chat_and_keeps_the_invite(
    env: Env,
) -> None:
    token = invite(env, "区工信局")
    group = {"id": -100555, "type": "supergroup", "title": "工信局工作群"}
    mark = await env.say(IND, f"/start@duban_test_bot {token}", chat=group)
    reply = await env.answer(group["id"], mark)
    assert "私聊" in reply.text
    with env.sessions() as s:
        assert s.scalar(select(Invite).where(Invite.token == token)).used_at is None
    assert active_units(env, IND) == []
    mark = await env.say(IND, f"/start {token}")  # the same link, in private: works
    await env.answer(IND["id"], mark, "绑定成功")


async def test_unbound_photo_sticker_edit_and_old_button_get_the_one_explanation(
    env: Env,
) -> None:
    await env.bind(OTHER, "区商务局")
    mark = await env.say(OTHER, "/report")
    choose = await env.answer(OTHER["id"], mark)
    sent = [
        await env.server.send_text(STRANGER, "现场照片", photo="PH-9"),
        await env.server.send_text(STRANGER, extra={"sticker": STICKER}),
    ]
    await env.server.edit(sent[0], "改过的说明")
    # Updates are handled in order: once a bound user's command is answered, so are these.
    barrier = await env.say(OTHER, "/tasks")
    await env.answer(OTHER["id"], barrier)
    replies = env.server.sent_to(STRANGER["id"])
    assert len(replies) == 3 and all("仅供已登记的单位联络员使用" in c.text for c in replies)
    # An old button (from a message forwarded to them): an alert, nothing else.
    mark = await env.press_data(STRANGER, "rp:AAAAAAAAAAA", choose)
    assert "尚未绑定单位" in (await env.alert(mark)).params["text"]
    assert len(audit(env, "unbound", refused=True)) == 4
