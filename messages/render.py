"""Render user-facing text from the Jinja2 templates in messages/<locale>/.

Autoescape is on: every value a template prints is HTML-escaped unless it is already Markup,
so user text (report texts, comments, unit names) can never inject Telegram HTML.

Digests are rendered piece by piece (header, one heading per kind, one block per item) so
they can be split between items — never inside an HTML tag — when they exceed Telegram's
4096-character limit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from messages.vocabulary import (
    LIGHT_EMOJI,
    Light,
    light_word,
    period_state_word,
    report_status_word,
    status_word,
)

TEMPLATES = Path(__file__).resolve().parent
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
TELEGRAM_LIMIT = 4096
# User-written text inside one digest item is cut to this many characters so that a single
# item always fits into one message.
ITEM_TEXT_LIMIT = 1000

_CLAUSE_END = re.compile(r"[，,。；;：:！!？?]")


def short_title(text: str, limit: int = 16) -> str:
    """A task's first clause for a digest line (构建服务业跨越式发展模式,促进… → its first clause):
    "任务7" alone means nothing to a contact; the whole text is too long for a digest."""
    clause = _CLAUSE_END.split(text.strip(), maxsplit=1)[0].strip()
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"


def short_section(section: str) -> str:
    """一、优结构、谋发展，在加快构建… → 一、优结构、谋发展 (up to the first comma)."""
    return section.split("，")[0].split(",")[0].strip()


_WEEKDAYS_ZH = "一二三四五六日"


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def format_date(value: Any, locale: str = DEFAULT_LOCALE) -> str:
    """3月25日（周一） in Chinese, "Mon 25 Mar" in English."""
    if isinstance(value, str):
        return _format_iso_date(value, locale)  # digests repeat a few due dates many times
    return _format_date(value, locale)


@lru_cache(maxsize=4096)
def _format_iso_date(value: str, locale: str) -> str:
    return _format_date(value, locale)


def _format_date(value: Any, locale: str) -> str:
    day = _as_date(value)
    if day is None:
        return ""
    if locale == "en":
        return day.strftime("%a %-d %b")
    return f"{day.month}月{day.day}日（周{_WEEKDAYS_ZH[day.weekday()]}）"


def format_datetime(value: dt.datetime, locale: str = DEFAULT_LOCALE) -> str:
    """3月25日（周一）09:00 / Mon 25 Mar 09:00 (in the value's own zone)."""
    return f"{format_date(value, locale)}{'' if locale != 'en' else ' '}{value:%H:%M}"


def normalise_locale(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    if locale in LOCALES:
        return locale
    if locale.lower().startswith("zh"):
        return "zh_CN"
    if locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


@cache
def _environment(locale: str, items: bool = False, plain: bool = False) -> Environment:
    """plain: for terminal text (cli_*.j2), no HTML escaping — `<` in a name prints as `<`."""
    env = (_ItemEnvironment if items else Environment)(
        loader=FileSystemLoader(str(TEMPLATES / locale)),
        autoescape=False
        if plain
        else select_autoescape(enabled_extensions=("j2", "html"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["date"] = lambda v: format_date(v, locale)
    env.filters["datetime"] = lambda v: format_datetime(v, locale)
    env.globals["locale"] = locale
    # The one status vocabulary (messages/vocabulary.py), never words spelled in a template.
    env.filters["status"] = lambda v: status_word(v, locale)
    env.filters["report_status"] = lambda v: report_status_word(v, locale)
    env.filters["light"] = lambda v: light_word(v, locale)
    env.filters["light_emoji"] = lambda v: LIGHT_EMOJI[Light(v)]
    env.filters["period_state"] = lambda v: period_state_word(v, locale)
    return env


_SEP = "\ue000"  # a private-use character: never in real text (stripped from input anyway)


def _clip(value: str) -> str:
    value = value.replace(_SEP, "")
    return value[:ITEM_TEXT_LIMIT] + "…" if len(value) > ITEM_TEXT_LIMIT else value


def _clipped(item: dict[str, Any]) -> dict[str, Any]:
    """The item with its text values clipped (the item itself when nothing needs it)."""
    for value in item.values():
        if type(value) is str and (len(value) > ITEM_TEXT_LIMIT or _SEP in value):
            return {
                key: _clip(value) if isinstance(value, str) else value
                for key, value in item.items()
            }
    return item


class _ItemEnvironment(Environment):
    """For item templates: `item["title"]` of an item without that key reads as None (one
    plain dict lookup per field: most of the rendering time of a 100 000-item tick), so a
    template can test optional fields. Attribute access and other templates stay strict."""

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is dict:
            return obj.get(argument)
        return super().getitem(obj, argument)


@cache
def _batch_template(locale: str, kind: str) -> Any:
    """A loop over one kind's item template: one render call per kind instead of per item."""
    env = _environment(locale, items=True)
    name = f"item_{kind}.j2"
    if name not in env.list_templates():
        name = "item_event.j2"
    # The item template's own source inside a loop: one compiled loop per kind, no include
    # per item. Item templates therefore hold no imports, macros or blocks.
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    return env.from_string("{% for item in items %}" + source + _SEP + "{% endfor %}")


@cache
def _digest_module(locale: str) -> Any:
    """digest.j2's macros, made once per locale: they take everything they show as arguments,
    and a busy tick renders 2 000 digests."""
    return _environment(locale).get_template("digest.j2").make_module()


class Renderer:
    """Renderer(locale).render("item_overdue.j2", item=...) → HTML text."""

    def __init__(self, locale: str | None = DEFAULT_LOCALE) -> None:
        self.locale = normalise_locale(locale)
        self.env = _environment(self.locale)

    def render(self, template_name: str, **ctx: Any) -> str:
        return self.env.get_template(template_name).render(**ctx).strip()

    def date(self, value: Any) -> str:
        return format_date(value, self.locale)

    def render_item(self, kind: str, item: dict[str, Any]) -> str:
        return self.render_items(kind, [item])[0]

    def render_items(self, kind: str, items: Sequence[dict[str, Any]]) -> list[str]:
        """Each item through messages/<locale>/item_<kind>.j2 (item_event.j2 if there is none),
        in one template call for speed; user text is cut to ITEM_TEXT_LIMIT characters."""
        clipped = [_clipped(item) for item in items]
        text = _batch_template(self.locale, kind).render(kind=kind, items=clipped)
        return [piece.strip() for piece in text.split(_SEP)[:-1]]

    def render_digest(
        self,
        *,
        recipient_name: str,
        role: str,
        groups: Sequence[tuple[str, Sequence[dict[str, Any]]]],
        now: dt.datetime | None = None,
        limit: int = TELEGRAM_LIMIT,
        max_items: int | None = None,
        oldest: int = 10,
    ) -> list[str]:
        """One digest as message parts, each ≤ limit characters, split only between items.

        groups: (kind, items) pairs, already in the order they should appear. More than
        max_items items (None: no bound) make a summary instead (_summary).
        """
        m = _Macros(self.locale)
        total = sum(len(items) for _, items in groups)
        if max_items is not None and total > max_items:
            return self._summary(m, recipient_name, role, groups, now, max_items, oldest, limit)
        blocks: list[tuple[str, str]] = []  # (kind, rendered item)
        for kind, items in groups:
            blocks.extend((kind, text) for text in self.render_items(kind, items))
        headings = {kind: m("heading", kind, len(items)) for kind, items in groups}
        header = m("header", recipient_name, role, total, now)
        return _assemble(header, m("continued", recipient_name), _footer(m, role, groups),
                         headings, blocks, limit)  # fmt: skip

    def _summary(
        self,
        m: _Macros,
        recipient_name: str,
        role: str,
        groups: Sequence[tuple[str, Sequence[dict[str, Any]]]],
        now: dt.datetime | None,
        max_items: int,
        oldest: int,
        limit: int,
    ) -> list[str]:
        """A digest too long to read item by item: counts per kind, unit and section, the
        `oldest` items with the earliest due dates, and where the rest is. Same header and
        parts rule as a digest (one message unless huge)."""
        flat = [(kind, item) for kind, items in groups for item in items]
        total = len(flat)
        blocks: list[tuple[str, str]] = []
        headings: dict[str, str] = {}

        def section(what: str, lines: list[str]) -> None:
            headings[what] = m("summary_heading", what, len(lines))
            blocks.extend((what, line) for line in lines)

        section("kinds", [m("summary_kind", kind, len(items)) for kind, items in groups])
        for what, key in (("units", "unit"), ("sections", "section")):
            section(what, [m("summary_count", *count) for count in _counts(flat, key)])
        picked = sorted(range(total), key=lambda i: (flat[i][1].get("due") or "9999", i))
        texts: list[str] = []
        for kind, item in (flat[i] for i in picked[:oldest]):  # earliest due first
            texts.extend(self.render_items(kind, [item]))
        section("oldest", texts)
        header = m("header", recipient_name, role, total, now)
        header += "\n" + m("summary_note", total, max_items)
        footer = "\n".join(t for t in (m("summary_where", role), _footer(m, role, groups)) if t)
        return _assemble(header, m("continued", recipient_name), footer, headings, blocks, limit)


def _footer(m: _Macros, role: str, groups: Sequence[tuple[str, Sequence[dict[str, Any]]]]) -> str:
    """The digest's footer: what to do with it. A designation request's names the day it is
    due (the earliest, if several) and /designate instead of the reporting hint."""
    designate_due = min(
        (i["due"] for k, items in groups if k == "designate" for i in items if i.get("due")),
        default=None,
    )
    return m("footer", role, [kind for kind, _ in groups], designate_due)


class _Macros:
    """digest.j2's macros of a locale, called by name, their output stripped."""

    def __init__(self, locale: str) -> None:
        self.module = _digest_module(locale)

    def __call__(self, name: str, *args: Any) -> str:
        return str(getattr(self.module, name)(*args)).strip()


def _counts(
    flat: Sequence[tuple[str, dict[str, Any]]], key: str
) -> list[tuple[str, int, str | None]]:
    """(value of `key`, items, earliest due date) per distinct value: most items first, then
    in the order of the task numbers (sections are numbered with their tasks). Items without
    one (the weekly ledger is about no unit) are not counted."""
    found: dict[str, list[Any]] = {}
    for _, item in flat:
        name = item.get(key)
        if not name:
            continue
        entry = found.setdefault(str(name), [0, None, item.get("task") or 0])
        entry[0] += 1
        due = item.get("due")
        if due and (entry[1] is None or due < entry[1]):
            entry[1] = due
        task = item.get("task") or 0
        entry[2] = min(entry[2], task) if isinstance(task, int) else entry[2]
    ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], kv[1][2], kv[0]))
    return [(name, n, first) for name, (n, first, _) in ranked]


def digest_footer(locale: str, role: str) -> str:
    """The line under a digest (how to answer it), as render_digest puts it: a channel that
    answers differently (DingTalk) puts its own in its place."""
    return str(_digest_module(normalise_locale(locale)).footer(role)).strip()  # type: ignore[attr-defined]


def _assemble(
    header: str,
    continued: str,
    footer: str,
    headings: dict[str, str],
    blocks: Iterable[tuple[str, str]],
    limit: int,
) -> list[str]:
    """Greedy packing of item blocks into parts; a heading repeats at the top of a new part.

    Items of one kind sit on consecutive lines; a blank line separates header, kinds and footer.
    """
    parts: list[str] = []
    current = header
    current_kind: str | None = None
    for kind, block in blocks:
        addition = "\n" + block if kind == current_kind else "\n\n" + headings[kind] + "\n" + block
        if len(current) + len(addition) > limit and current not in (header, continued):
            parts.append(current)
            current = continued + "\n\n" + headings[kind] + "\n" + block
        else:
            current += addition
        current_kind = kind
    if footer:
        if len(current) + 2 + len(footer) > limit:
            parts.append(current)
            current = continued + "\n\n" + footer
        else:
            current += "\n\n" + footer
    parts.append(current)
    return [_fit(p, limit) for p in parts]


def _fit(part: str, limit: int) -> str:
    """Last resort for a single oversized block: cut at a line break outside any tag."""
    if len(part) <= limit:
        return part
    cut = part.rfind("\n", 0, limit - 1)
    while cut > 0 and part.count("<", 0, cut) != part.count(">", 0, cut):
        cut = part.rfind("\n", 0, cut)
    return (part[:cut] if cut > 0 else _strip_tags(part)[: limit - 1]) + "…"


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]*>", "", text)


def escape(text: str) -> Markup:
    return Markup.escape(text)


def render_message(locale: str, template: str, m: str, **ctx: Any) -> str:
    """Message `m` of a dialogue template (bot_*.j2); runs of blank lines collapse to one."""
    text = Renderer(locale).render(template, m=m, **ctx)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render_plain(locale: str | None, template: str, **ctx: Any) -> str:
    """A template as plain text for a terminal (no HTML escaping)."""
    env = _environment(normalise_locale(locale), plain=True)
    return env.get_template(template).render(**ctx).strip()


def render_text(locale: str | None, template: str, m: str, **ctx: Any) -> str:
    """Message `m` of a command-line template (cli_*.j2), as plain text for a terminal."""
    return render_plain(locale, template, m=m, **ctx)
