"""The bot token kept out of every log line (a filter redacts it wherever it appears), and
people's data kept out of PTB's own logging. Reading the token is the shell's:
duban/telegram_token.py."""

from __future__ import annotations

import logging


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
