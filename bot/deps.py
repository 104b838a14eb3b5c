"""What every handler needs, in one typed object (not a bot_data grab-bag):
the config, the session factory, the clock and the bot's username."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application, CallbackContext

from duban.config import Config

DEPS_KEY = "duban"


@dataclass
class BotDeps:
    config: Config
    sessions: sessionmaker[Session]
    now: Callable[[], dt.datetime]  # aware, in the config's zone; tests inject a fixed clock
    username: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.config.tz)

    @property
    def locale(self) -> str:
        return self.config.duban.locale


def deps(context: CallbackContext | Application) -> BotDeps:  # type: ignore[type-arg]
    app = context if isinstance(context, Application) else context.application
    return app.bot_data[DEPS_KEY]  # type: ignore[no-any-return]
