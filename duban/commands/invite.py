"""`duban invite UNIT [--expires 7d] [--channel telegram|dingtalk]`: a single-use invitation
that binds a chat account to UNIT.

Telegram: a deep link; the bot's username comes from getMe on the configured Bot API server
([telegram] base_url), so this works against Telegram and against any compatible server.
DingTalk: a short code the contact sends to the robot as `绑定 CODE` (in a 1:1 chat, or in the
unit's group to bind the group).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from db.engine import transaction
from db.models.contacts import DINGTALK, TELEGRAM
from duban import context
from duban.config import Config
from duban.errors import UserError
from duban.importer import NameIndex
from duban.telegram_token import load_token, telegram_errors
from services.registration import (
    RegistrationError,
    create_invite,
    find_unit,
    parse_duration,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "invite",
        help="print a single-use registration link (Telegram) or code (DingTalk) for a unit",
        description="Print a single-use Telegram link (https://t.me/<bot>?start=<token>) that "
        "binds whoever opens it as a contact (联络员) of the unit. Needs the bot token (to ask "
        "Telegram for the bot's name); the link expires and cannot be used twice. With "
        "--channel dingtalk: a short code the contact sends to the DingTalk robot as "
        "`绑定 CODE` (1:1, or in the unit's group to bind the group).",
    )
    p.add_argument("unit", help="the unit's name (or an alias), e.g. 区发改局")
    p.add_argument("--expires", default="7d", help="how long the link works: 7d, 12h, 30m")
    p.add_argument(
        "--channel",
        choices=(TELEGRAM, DINGTALK),
        default=TELEGRAM,
        help="where the contact registers: a Telegram link, or a DingTalk code (绑定 CODE)",
    )
    p.set_defaults(func=run)


async def bot_username(cfg: Config, token: str) -> str:
    """getMe through the configured server, proxy and all."""
    # Lazy: python-telegram-bot loads only for the commands that talk to Telegram.
    from duban.bot_wiring import application_builder

    app = application_builder(cfg, token).updater(None).build()
    with telegram_errors(cfg, token):
        async with app:
            return app.bot.username


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    with ctx.sessions() as session:  # an unknown unit is the first thing to tell
        try:
            placeholder = find_unit(session, args.unit).placeholder
        except RegistrationError as exc:
            closest = "、".join(NameIndex.from_session(session).closest(args.unit)) or "(none)"
            raise UserError(f"{exc}; closest known: {closest}") from exc
    if placeholder:
        print(
            f"duban: warning: {args.unit} is an example unit of the config (placeholder = true): "
            "replace it with the district's real unit before inviting its contact",
            file=sys.stderr,
        )
    channel = args.channel
    if channel == DINGTALK and not ctx.config.dingtalk.enabled:
        raise UserError(
            "--channel dingtalk: DingTalk is not enabled in the config "
            "(set [dingtalk] enabled = true and client_id)"
        )
    now = dt.datetime.now(ctx.config.tz)
    try:
        expires = parse_duration(args.expires)
        _ = now + expires  # the link must end on a date the calendar can hold
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    except OverflowError:
        raise UserError(f"--expires {args.expires!r}: too far in the future") from None
    username = ""
    if channel == TELEGRAM:
        username = asyncio.run(bot_username(ctx.config, load_token(ctx.config)))
    try:
        with transaction(ctx.sessions) as session:
            invite = create_invite(session, args.unit, now=now, expires=expires, channel=channel)
            unit, token_text, until = invite.unit.name, invite.token, invite.expires_at
    except RegistrationError as exc:
        raise UserError(str(exc)) from exc
    if channel == TELEGRAM:
        print(f"https://t.me/{username}?start={token_text}")
    else:
        print(f"绑定 {token_text}")
    print(
        f"# {unit}: single use, valid until {until.astimezone(ctx.config.tz):%Y-%m-%d %H:%M}",
    )
    return 0
