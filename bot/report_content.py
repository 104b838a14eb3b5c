"""What a contact's message holds for a report: its text (clipped to what is kept), its files
(Telegram file ids) and the figure toward a numeric target among the numbers it writes."""

from __future__ import annotations

import re

from telegram import Message

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－，", "0123456789.-,")  # a Chinese IME's digits
TEXT_LIMIT = 4096  # a report's text (Telegram's own limit for one message)


def clip_text(text: str | None) -> tuple[str, int]:
    """The report text as kept, and its length when it had to be cut (0 when whole)."""
    text = (text or "").strip()
    return (text[:TEXT_LIMIT], TEXT_LIMIT) if len(text) > TEXT_LIMIT else (text, 0)


def files_of(message: Message) -> list[dict[str, str]]:
    """Evidence in a message, kept by Telegram file_id."""
    if message.photo:
        p = message.photo[-1]
        return [{"file_id": p.file_id, "file_unique_id": p.file_unique_id, "kind": "photo"}]
    if message.document:
        doc = message.document
        return [
            {
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "kind": "document",
                "file_name": doc.file_name or "",
                "mime_type": doc.mime_type or "",
            }
        ]
    return []


def read_figure(text: str, unit: str) -> tuple[list[str], float | None]:
    """The numbers in a reply, and the figure among them: the only one, else the only one
    written with the target's unit (截至9月底完成520亿元 → 520, not 9); None if unclear."""
    # Thousands separators only (1,087 → 1087): "3，5" stays two numbers.
    text = _THOUSANDS.sub("", text.translate(_FULL_WIDTH))
    found = list(_NUMBER.finditer(text))
    numbers = [m.group() for m in found]
    if len(found) == 1:
        return numbers, float(found[0].group())
    with_unit = [m for m in found if unit and text[m.end() :].lstrip().startswith(unit)]
    if len(with_unit) == 1:
        return numbers, float(with_unit[0].group())
    return numbers, None
