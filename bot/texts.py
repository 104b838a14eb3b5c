"""Bot dialogue texts from messages/<locale>/bot_*.j2, through the shared renderer
(messages/render.py: autoescaped HTML, StrictUndefined, the `date` filter).

Each dialogue has one template; `m` picks the message inside it, so a translator sees a whole
conversation in one file.
"""

from __future__ import annotations

import html
import re
from typing import Any

from messages.render import Renderer


def render(locale: str, template: str, m: str, **ctx: Any) -> str:
    """Render message `m` of a dialogue template; runs of blank lines collapse to one."""
    text = Renderer(locale).render(template, m=m, **ctx)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def plain(text: str) -> str:
    """HTML → plain text (for a resend after Telegram rejected the markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))
