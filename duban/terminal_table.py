"""Tables for the terminal, aligned by display width: a CJK character takes two columns, so
padding by len() would push every column after a Chinese name out of line (wcwidth knows the
width of each character, combining marks and emoji included)."""

from __future__ import annotations

from collections.abc import Sequence

from wcwidth import wcswidth, wcwidth


def width(text: str) -> int:
    """Columns `text` takes in a terminal (a non-printable character counts as one)."""
    n = wcswidth(text)
    return n if n >= 0 else sum(max(wcwidth(ch), 1) for ch in text)


def clip(text: str, columns: int) -> str:
    """`text` on one line, cut with … to at most `columns` display columns."""
    text = " ".join(text.split())
    if width(text) <= columns:
        return text
    out, used = [], 1  # room for the …
    for ch in text:
        w = max(wcwidth(ch), 0)
        if used + w > columns:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, columns: int, right: bool = False) -> str:
    gap = " " * max(columns - width(text), 0)
    return gap + text if right else text + gap


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[bool] = (),
    limits: Sequence[int | None] = (),
) -> list[str]:
    """Lines of a table: a header, a rule, the rows. Columns are two spaces apart; `right`
    marks right-aligned columns; `limits` caps a column's width (cells clipped with …)."""
    cells = [[clip(str(c), limits[i] if i < len(limits) and limits[i] else 10**6)
              for i, c in enumerate(row)] for row in rows]  # fmt: skip
    widths = [max([width(h)] + [width(row[i]) for row in cells]) for i, h in enumerate(headers)]
    last = len(headers) - 1

    def line(values: Sequence[str]) -> str:
        parts = [
            pad(v, widths[i], right=i < len(right) and right[i]) if i < last else v
            for i, v in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    # ASCII: box-drawing lines are double width in terminals set to CJK ambiguous width
    rule = "  ".join("-" * w for w in widths)
    return [line(headers), rule, *(line(row) for row in cells)]
