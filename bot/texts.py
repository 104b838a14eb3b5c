"""Bot dialogue texts from messages/<locale>/bot_*.j2, through the shared renderer
(messages/render.py: autoescaped HTML, StrictUndefined, the `date` filter).

Each dialogue has one template; `m` picks the message inside it, so a translator sees a whole
conversation in one file.
"""

from __future__ import annotations

import html
import re
from typing import Any

from messages.render import TELEGRAM_LIMIT, Renderer
from services import NotFound, PermissionDenied, ServiceError


def render(locale: str, template: str, m: str, **ctx: Any) -> str:
    """Render message `m` of a dialogue template; runs of blank lines collapse to one."""
    text = Renderer(locale).render(template, m=m, **ctx)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def plain(text: str) -> str:
    """HTML → plain text (for a resend after Telegram rejected the markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def split_lines(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A long list as messages of at most `limit` characters, split between lines (the bot's
    templates never open a tag on one line and close it on another). A single line longer
    than `limit` is sent as plain text, cut."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(line) > limit:
            line = html.escape(plain(line)[: limit - 1] + "…")[:limit]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def refusal(locale: str, exc: ServiceError) -> str:
    """What a refused action answers, on either chat channel: not allowed, gone (a stale
    button or link), or the service's reason in the reader's language."""
    if isinstance(exc, PermissionDenied):
        return render(locale, "bot_common.j2", "not_allowed")
    if isinstance(exc, NotFound):
        return render(locale, "bot_common.j2", "stale")
    reason = (
        Renderer(locale)
        .render("service_errors.j2", code=exc.code, params=exc.params, message=str(exc))
        .strip()
    )
    return render(locale, "bot_common.j2", "refused", reason=reason)
