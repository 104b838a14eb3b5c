"""What a contact's message holds for a report: its text (clipped to what is kept), its files
(Telegram file ids) and the figure toward a numeric target among the numbers it writes."""

from __future__ import annotations

import re

from telegram import Message

from services.quantities import convert, quantities

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


def read_figure(text: str, unit: str) -> tuple[list[str], float | None, list[str]]:
    """The numbers in a reply, the figure among them in the target's unit, and the quantities
    whose unit does not fit the target's. The figure: the only quantity whose unit converts
    (5200万元 → 0.52 against 亿元); else, when no number carries another unit, the only
    number, or the only one written with the target's unit (截至9月底完成520亿元 → 520, not 9);
    None if unclear or if the unit fits not (增长8% against 亿元)."""
    written = [q for q in quantities(text) if q.measure] if unit else []
    fits = {v for q in quantities(text) if (v := convert(q, unit)) is not None} if unit else set()
    unfit = [q.written for q in written if convert(q, unit) is None]
    # Thousands separators only (1,087 → 1087): "3，5" stays two numbers.
    text = _THOUSANDS.sub("", text.translate(_FULL_WIDTH))
    found = list(_NUMBER.finditer(text))
    numbers = [m.group() for m in found]
    if len(fits) == 1:
        return numbers, fits.pop(), []
    if unfit and not fits:
        return numbers, None, unfit
    if len(found) == 1:
        return numbers, float(found[0].group()), []
    with_unit = [m for m in found if unit and text[m.end() :].lstrip().startswith(unit)]
    if len(with_unit) == 1:
        return numbers, float(with_unit[0].group()), []
    return numbers, None, []
