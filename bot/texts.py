"""Bot dialogue texts from messages/<locale>/bot_*.j2 (autoescaped HTML).

Each dialogue has one template; `m` picks the message inside it, so a translator sees a whole
conversation in one file.
INTEGRATION POINT: when E2's messages/render.py (Renderer) is on main, this can delegate to it;
the templates and their names stay the same.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

MESSAGES = Path(__file__).resolve().parent.parent / "messages"
LOCALES = ("zh_CN", "en")
_WEEKDAYS = {"zh_CN": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_date(value: dt.date | str | None, locale: str = "zh_CN") -> str:
    """3月25日（周一） / Mon 25 Mar."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    if locale == "en":
        return f"{_WEEKDAYS['en'][value.weekday()]} {value.day} {_MONTHS[value.month - 1]}"
    return f"{value.month}月{value.day}日（周{_WEEKDAYS['zh_CN'][value.weekday()]}）"


@lru_cache(maxsize=4)
def _env(locale: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(MESSAGES / locale), str(MESSAGES / "zh_CN")]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["date"] = lambda v: fmt_date(v, locale)
    return env


def render(locale: str, template: str, m: str, **ctx: Any) -> str:
    """Render message `m` of a dialogue template; blank lines at the ends are dropped."""
    locale = locale if locale in LOCALES else "zh_CN"
    text = _env(locale).get_template(template).render(m=m, **ctx)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def plain(text: str) -> str:
    """HTML → plain text (for a resend after Telegram rejected the markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))
