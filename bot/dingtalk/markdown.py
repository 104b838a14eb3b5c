"""The digests' Telegram HTML (messages/ renders it) as DingTalk markdown.

DingTalk's robot markdown knows bold, links, headings, lists and quotes, not HTML; a line
break needs two trailing spaces. A group message's msgParam may hold 15 000 bytes (the
robot API's documented limit), so the text is split between lines well under it."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from jobs.delivery.contracts import Button

# Bytes of markdown text per message: msgParam (≤ 15 000 bytes) also holds the title and
# JSON escaping; Chinese text is 3 bytes a character.
MAX_BYTES = 12_000
TITLE_CHARS = 24

_TOKENS = re.compile(r"(<[^>]*>)")
_HREF = re.compile(r'href="([^"]*)"')
_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")


def _escape(text: str) -> str:
    """User text shown literally: markdown's own characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(part: str) -> str:
    """One rendered part (Telegram HTML, values already escaped) as DingTalk markdown: bold
    stays bold, links stay links, quotes become `> ` lines, other tags leave their text."""
    out: list[str] = []
    hrefs: list[str] = []
    quoted = False
    for token in _TOKENS.split(part):
        if not token.startswith("<"):
            text = _escape(html.unescape(token))
            out.append(text.replace("\n", "\n> ") if quoted else text)
            continue
        tag = token.strip("</>").split()[0].lower() if token.strip("</>") else ""
        closing = token.startswith("</")
        if tag in ("b", "strong"):
            out.append("**")
        elif tag == "a" and not closing:
            m = _HREF.search(token)
            hrefs.append(html.unescape(m.group(1)) if m else "")
            out.append("[")
        elif tag == "a":
            out.append(f"]({hrefs.pop() if hrefs else ''})")
        elif tag == "blockquote":
            quoted = not closing
            out.append("> " if quoted else "")
    return "  \n".join(line.rstrip() for line in "".join(out).split("\n"))


def plain_title(markdown: str) -> str:
    """The notification's title: the first line without markup, cut short."""
    first = next((ln for ln in markdown.split("\n") if ln.strip()), "督办")
    first = re.sub(r"[*#>\[\]]|\(dtmd://[^)]*\)|\s+$", "", first).strip() or "督办"
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def action_links(rows: tuple[tuple[Button, ...], ...]) -> str:
    """Buttons as links that make the DingTalk client send `<label> <code>` to the robot (its
    dtmd://dingtalkclient/sendMessage scheme): one line per row."""
    lines = []
    for row in rows:
        links = [
            f"[{_escape(b.label)}](dtmd://dingtalkclient/sendMessage?content="
            f"{quote(f'{b.label} {b.data}', safe='')})"
            for b in row
        ]
        lines.append(" · ".join(links))
    return "  \n".join(lines)


def split(markdown: str, limit: int = MAX_BYTES) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut between lines (a line longer than that
    alone is cut between characters)."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in markdown.split("\n"):
        while len(line.encode()) > limit:
            head = line.encode()[:limit].decode(errors="ignore")
            if current:
                pieces.append("\n".join(current))
                current, size = [], 0
            pieces.append(head)
            line = line[len(head) :]
        n = len(line.encode()) + 1
        if current and size + n > limit:
            pieces.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += n
    if current:
        pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()]
