"""The shell's wiring of DingTalk: the `[dingtalk]` table into bot/dingtalk's plain values.

The AppSecret comes from the environment variable [dingtalk] client_secret_env names, or from
the file client_secret_file names, which must lie outside any git work tree (a secret inside
the repository is one `git add` from being published).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.dingtalk.api import DingTalkAPI
from bot.dingtalk.channel import DingTalkChannel, make_pacer
from bot.dingtalk.commands import Commands, DingTalkDeps, Incoming
from bot.dingtalk.stream import StreamThread
from db.models.contacts import group_address
from duban.config import Config
from duban.context import AppContext
from duban.errors import UserError
from duban.secret_files import read_secret
from duban.wiring import config_plan_window

Clock = Callable[[], dt.datetime]


def load_secret(cfg: Config, environ: dict[str, str] | None = None) -> str:
    """The AppSecret, or a UserError saying exactly what to set."""
    d = cfg.dingtalk
    secret = read_secret(
        "dingtalk", d.client_secret_env, "client_secret_file", d.client_secret_file,
        cfg.base_dir, environ, outside_repo=True,
    )  # fmt: skip
    if not secret:
        raise UserError(
            f"no DingTalk AppSecret: set the environment variable {d.client_secret_env} to the "
            "app's AppSecret (Client Secret) or put it in the file named by "
            "[dingtalk] client_secret_file"
        )
    return secret


def dingtalk_api(cfg: Config, secret: str) -> DingTalkAPI:
    # httpx logs each request's URL at INFO; a file's download URL is signed (a short-lived
    # credential to a person's file): keep those lines out of the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    d = cfg.dingtalk
    return DingTalkAPI(d.api_base_url, d.client_id, secret, d.robot)


def dingtalk_channel(cfg: Config, api: DingTalkAPI, **timing: Any) -> DingTalkChannel:
    """The channel, paced by the config's limits (`timing`: the pacer's clock and sleep)."""
    d = cfg.dingtalk
    pacer = make_pacer(d.group_messages_per_minute, d.requests_per_second, **timing)
    return DingTalkChannel(api, pacer)


def dingtalk_deps(
    ctx: AppContext,
    now: Clock | None = None,
    fetch: Callable[[str], Awaitable[bytes]] | None = None,
) -> DingTalkDeps:
    cfg = ctx.config

    def plan_end(session: Session, day: dt.date) -> dt.date:
        return config_plan_window(session, cfg, day)[1]

    return DingTalkDeps(
        sessions=ctx.sessions,
        now=now or (lambda: dt.datetime.now(cfg.tz)),
        tz=cfg.tz,
        locale=cfg.duban.locale,
        office_name=cfg.office.name,
        office_groups=frozenset(group_address(c) for c in cfg.dingtalk.office_groups),
        evidence_dir=cfg.data_path / "evidence",
        plan_end=plan_end,
        fetch=fetch,
    )


def stream_thread(
    ctx: AppContext, secret: str, now: Clock | None = None, **timing: Any
) -> StreamThread:
    """The Stream client's thread: messages in, answers out through an API client of its own
    (made inside the thread's loop)."""
    cfg = ctx.config

    def make_handler():  # type: ignore[no-untyped-def]
        api = dingtalk_api(cfg, secret)
        channel = dingtalk_channel(cfg, api, **timing)
        commands = Commands(dingtalk_deps(ctx, now, fetch=api.download))

        async def on_message(msg: Incoming) -> None:
            for text in await commands.handle(msg):
                await channel.reply(msg.reply_to, text)

        return on_message, api.aclose

    d = cfg.dingtalk
    return StreamThread(d.client_id, secret, d.api_base_url, make_handler)
