"""A saved web page (.html) as the text layout: one line per block element or table cell."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {
    "p", "div", "br", "tr", "td", "th", "li", "table", "tbody", "thead",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "ul", "ol", "title",
}  # fmt: skip
_SKIP = {"script", "style", "noscript", "head"}
HTML_START = re.compile(r"^\s*(<!doctype\s+html|<html|<meta|<head|<body|<table)", re.I)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data.replace("\n", " "))


def looks_like_html(text: str) -> bool:
    return bool(HTML_START.match(text[:2000].lstrip("\ufeff")))


def html_to_lines(text: str) -> str:
    """The visible text, one line per block; line numbers then refer to this text."""
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = "".join(parser.parts).split("\n")
    return "\n".join(line.strip() for line in lines if line.strip()) + "\n"
