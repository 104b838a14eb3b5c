"""The bot token: read from the environment variable (or file) the config names; what the Bot
API server says while a command starts up turned into a UserError that never shows the token.
(bot/redaction.py keeps it out of the logs.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from duban.config import Config
from duban.errors import UserError
from duban.secret_files import read_secret


def load_token(cfg: Config, environ: dict[str, str] | None = None) -> str:
    """The token, or a UserError saying exactly what to set."""
    tg = cfg.telegram
    token = read_secret(
        "telegram", tg.token_env, "token_file", tg.token_file, cfg.base_dir, environ
    )
    if not token:
        where = " or put it in the file named by [telegram] token_file" if tg.token_file else ""
        raise UserError(
            f"no bot token: set the environment variable {tg.token_env} to the token "
            f"BotFather gave you{where} (e.g. `export {tg.token_env}=123456:ABC…`)"
        )
    return token


@contextmanager
def telegram_errors(cfg: Config, token: str) -> Iterator[None]:
    """Turn what the Bot API server says while a command starts up or sends (token rejected,
    server unreachable, another process polling) into a UserError that says what to check.
    PTB's own messages may quote the token (InvalidToken does): it is never shown."""
    # Lazy: python-telegram-bot loads only for the commands that talk to Telegram.
    from telegram.error import InvalidToken, NetworkError, TelegramError

    tg = cfg.telegram
    server = tg.base_url or "https://api.telegram.org/bot"
    try:
        yield
    except InvalidToken:
        source = f"[telegram] token_file = {tg.token_file!r}" if tg.token_file else tg.token_env
        raise UserError(
            f"the Bot API server ({server}) rejected the bot token: check {source} "
            "against the token BotFather gave you"
        ) from None
    except NetworkError as exc:
        raise UserError(
            f"cannot reach the Bot API server ({server}): {_redacted(str(exc), token)} "
            "(check the network, [telegram] base_url and proxy)"
        ) from None
    except TelegramError as exc:
        raise UserError(
            f"the Bot API server ({server}) refused: {_redacted(str(exc), token)}"
        ) from None


def _redacted(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text
