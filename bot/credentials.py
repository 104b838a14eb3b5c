"""The bot token: read from the environment variable (or file) the config names, and kept out
of every log line by a filter that redacts it wherever it appears."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from duban.config import Config
from duban.errors import UserError


def load_token(cfg: Config, environ: dict[str, str] | None = None) -> str:
    """The token, or a UserError saying exactly what to set."""
    env = os.environ if environ is None else environ
    tg = cfg.telegram
    token = env.get(tg.token_env, "").strip()
    if not token and tg.token_file:
        path = Path(tg.token_file)
        path = path if path.is_absolute() else cfg.base_dir / path
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserError(
                f"[telegram] token_file = {tg.token_file!r}: cannot read {path}: {exc.strerror}"
            ) from exc
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


class RedactTokenFilter(logging.Filter):
    """Replaces the token in a record's message and arguments (and exception text)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def _clean(self, value: object) -> object:
        if isinstance(value, str) and self.token in value:
            return value.replace(self.token, "<token>")
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        msg = record.getMessage() if record.args else str(record.msg)
        if self.token in msg:
            record.msg, record.args = msg.replace(self.token, "<token>"), None
        elif isinstance(record.args, tuple):
            record.args = tuple(self._clean(a) for a in record.args)
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_text = text.replace(self.token, "<token>")
                record.exc_info = None
        return True


class WithholdUpdates(logging.Filter):
    """PTB logs the raw updates at CRITICAL when it cannot parse them (a Bot API newer than
    the library): names, phone numbers, messages. Keep the line, not the data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Error while parsing updates!"):
            record.args = ("<withheld: updates hold names and messages>",)
        return True


WITHHOLD = WithholdUpdates()
_installed: set[str] = set()


def install_redaction(token: str) -> RedactTokenFilter:
    """Redact the token in every log record created from now on, whatever logger or handler
    (a record factory runs before any handler, so test capture and files are covered too),
    and keep httpx's per-request INFO lines (they carry the URL) quiet."""
    filt = RedactTokenFilter(token)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # PTB logs whole updates and API results (names, messages) at DEBUG: never go that low.
    for name in ("telegram.ext.Application", "telegram.ext.ExtBot", "telegram.Bot"):
        if logging.getLogger(name).getEffectiveLevel() < logging.INFO:
            logging.getLogger(name).setLevel(logging.INFO)
        if WITHHOLD not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(WITHHOLD)
    if token and token not in _installed:
        _installed.add(token)
        previous = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            filt.filter(record)
            return record

        logging.setLogRecordFactory(factory)
    return filt
