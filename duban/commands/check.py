"""`duban check`: are the enabled chat channels' credentials good? One line per check.

Telegram (when enabled): the token is set and the Bot API server accepts it (getMe).
DingTalk (when enabled): the AppSecret is set and DingTalk issues an access token for the
AppKey (/v1.0/oauth2/accessToken on [dingtalk] api_base_url). Exit 0 when every check passes,
2 otherwise; nothing secret is printed.
"""

from __future__ import annotations

import argparse
import asyncio

import httpx

from duban import context
from duban.commands import add_command
from duban.config import Config
from duban.errors import UserError

SUMMARY = "check the enabled chat channels' credentials (Telegram, DingTalk)"
MORE = (
    "Telegram: the bot token is set and the Bot API server accepts it (getMe). DingTalk: the "
    "AppSecret is set and DingTalk issues an access token for the AppKey. One line per check; "
    "exit status 0 when every check passes, 2 otherwise."
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add_command(sub, "check", SUMMARY, MORE).set_defaults(func=run)


def check_telegram(cfg: Config) -> str:
    # Lazy: python-telegram-bot loads only for the commands that talk to Telegram.
    from duban.commands.invite import bot_username
    from duban.telegram_token import load_token

    return f"Telegram: bot @{asyncio.run(bot_username(cfg, load_token(cfg)))} answers"


def check_dingtalk(cfg: Config) -> str:
    # Lazy: the DingTalk client loads only when DingTalk is on.
    from bot.dingtalk.api import DingTalkError
    from duban.dingtalk_wiring import dingtalk_api, load_secret

    d = cfg.dingtalk
    api = dingtalk_api(cfg, load_secret(cfg))

    async def fetch() -> None:
        try:
            await api.token()
        finally:
            await api.aclose()

    try:
        asyncio.run(fetch())
    except DingTalkError as exc:
        raise UserError(
            f"DingTalk refused the credentials of AppKey {d.client_id} at {d.api_base_url}: "
            f"{exc.code or exc.status} (check [dingtalk] client_id and the AppSecret)"
        ) from None
    except httpx.HTTPError as exc:
        reason = type(exc).__name__
        raise UserError(f"DingTalk at {d.api_base_url} not reachable: {reason}") from None
    return f"DingTalk: access token issued for AppKey {d.client_id} (robot {d.robot})"


def run(args: argparse.Namespace) -> int:
    cfg = context.load(args).config
    checks = []
    if cfg.telegram.enabled:
        checks.append(check_telegram)
    if cfg.dingtalk.enabled:
        checks.append(check_dingtalk)
    if not checks:
        print("no chat channel enabled ([telegram] enabled = false, [dingtalk] not enabled)")
        return 2
    failed = 0
    for check in checks:
        try:
            print(f"ok    {check(cfg)}")
        except UserError as exc:
            print(f"FAIL  {exc}")
            failed += 1
    return 2 if failed else 0
