"""Quantities written in a contact's message — "完成固定资产投资52.3亿元", "新增就业1.2万人",
"五十二家" — and how one unit converts to another (亿元 ↔ 万元, 公里 ↔ 千米, 人 ↔ 名).

A quantity is a number (Arabic digits, full-width digits, 1,087 with a thousands separator, or
a Chinese numeral of two characters or more: 五十二, 三千五百万) followed by an optional scale
(十 百 千 万 亿, combined as in 百万, 千万, 万亿) and a measure word. Only numbers *with* a measure
word (or a scale) count: a bare "9" in "截至9月底" or "2024年" is no quantity, nor is an ordinal
(第3批) or a single Chinese numeral (一个, 两项: prose, not figures).

Units convert within one dimension (money in 元, length in 米, area in 平方米, people in 人…);
家 and 个 are different things (enterprises vs projects) and do not convert into each other. A
number with a scale but no measure word ("52.3亿") takes the measure word of the target it is
compared with, except for % and 倍.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Measure word → (dimension, factor to the dimension's base). Longest spellings are tried first.
_MEASURES: dict[str, tuple[str, float]] = {
    "元": ("元", 1),
    "米": ("米", 1),
    "千米": ("米", 1000),
    "公里": ("米", 1000),
    "平方米": ("平方米", 1),
    "平方公里": ("平方米", 1_000_000),
    "公顷": ("平方米", 10_000),
    "亩": ("平方米", 10_000 / 15),
    "吨": ("吨", 1),
    "人": ("人", 1),
    "名": ("人", 1),
    "人次": ("人次", 1),
    "%": ("%", 1),
    "个百分点": ("百分点", 1),
    "百分点": ("百分点", 1),
}
# Counting words: each its own dimension (20家 enterprises are not 20个 projects).
for _word in "户家个条项所座处场次件台辆套间张批栋倍":
    _MEASURES.setdefault(_word, (_word, 1))
_BY_LENGTH = sorted(_MEASURES, key=len, reverse=True)
NO_BARE_SCALE = frozenset({"%", "百分点", "倍"})  # "5万" is never a percentage
_SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
# After 个: time spans (3个月, 5个工作日) are no counts.
_NOT_AFTER_GE = ("月", "工作日", "小时", "季度", "星期", "年")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_APPROX = ("余", "多")
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_SCALES)
_NUMBER = re.compile(rf"\d+(?:\.\d+)?|[{_CN_CHARS}]{{2,}}")
_GAP = re.compile(r"(?<=\d)[ \u3000]+(?=[^\d\s])")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")
CONTEXT = 16  # characters before a number that say what it counts (完成固定资产投资)


@dataclass(frozen=True)
class Quantity:
    value: float  # in the written unit: 52.3 for 52.3亿元
    scale: float  # 1e8 for 亿
    measure: str  # 元; "" when only a scale was written (52.3亿)
    written: str  # as the contact wrote it, normalised: 52.3亿元
    context: str  # the words before it in its clause: 完成固定资产投资
    noun: str = ""  # what it counts, when written after it: 3个项目 → 项目

    @property
    def base(self) -> float:
        """The value in the measure word's own unit (52.3亿元 → 5 230 000 000 元)."""
        return self.value * self.scale


def parse_unit(label: str) -> tuple[float, str] | None:
    """A unit as targets write it (亿元, 万人, 平方米, %) → (scale, measure word)."""
    scale, rest = 1.0, label
    while rest and rest not in _MEASURES and rest[0] in _SCALES:
        scale, rest = scale * _SCALES[rest[0]], rest[1:]
    if rest in _MEASURES:
        return scale, rest
    if not rest and scale != 1:
        return scale, ""
    return None


def convert(quantity: Quantity, unit_label: str) -> float | None:
    """The quantity in a target's unit, or None when it measures something else."""
    target = parse_unit(unit_label)
    if target is None:
        return None
    scale, measure = target
    if not quantity.measure:
        if measure in _MEASURES and _MEASURES[measure][0] in NO_BARE_SCALE:
            return None
        return quantity.base / scale
    if not measure:
        return None
    dim, factor = _MEASURES[quantity.measure]
    target_dim, target_factor = _MEASURES[measure]
    if dim != target_dim:
        return None
    return quantity.base * factor / (scale * target_factor)


def chinese_number(text: str) -> float | None:
    """五十二 → 52, 三千五百万 → 35 000 000, 一亿二千万 → 120 000 000; None when it is no
    numeral (千万 as in "千万不要", 二〇二四 as a year, 三五 as "a few")."""
    if text[0] not in _CN_DIGITS and text[0] != "十":
        return None
    yi = wan = section = 0.0
    digit: int | None = None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit:  # two digits in a row (三五) only after 零 (一百零五)
                return None
            digit = _CN_DIGITS[ch]
        elif ch == "万":
            wan, section, digit = (wan + section + (digit or 0)) * 10_000, 0.0, None
        elif ch == "亿":
            yi, wan, section, digit = (yi + wan + section + (digit or 0)) * 1e8, 0.0, 0.0, None
        else:  # 十 百 千
            section += (1 if digit is None else digit) * _SCALES[ch]
            digit = None
    return yi + wan + section + (digit or 0)


def _measure_at(text: str, i: int) -> str:
    for word in _BY_LENGTH:
        if text.startswith(word, i):
            if word == "个" and text.startswith(_NOT_AFTER_GE, i + 1):
                return ""
            return word
    return ""


_STOPS = "，,。；;：:！!？?、（()）\n "


def _context(text: str, start: int) -> str:
    before = text[max(0, start - CONTEXT) : start]
    for stop in _STOPS:
        before = before.rsplit(stop, 1)[-1]
    return before.strip()


def _noun(text: str, end: int) -> str:
    after = text[end : end + CONTEXT // 2]
    for stop in _STOPS:
        after = after.split(stop, 1)[0]
    return re.split(r"[\d%]", after, maxsplit=1)[0]


def _is_name(text: str, start: int) -> bool:
    """An ordinal (第3批), part of a range, code or formula (3-5, 2+5, A3)."""
    before = text[start - 1] if start else ""
    return bool(before) and (before in "第.+/-" or (before.isascii() and before.isalnum()))


def quantities(text: str) -> list[Quantity]:
    """Every quantity in a message, in reading order."""
    text = _THOUSANDS.sub("", text.translate(_FULL_WIDTH))
    text = _GAP.sub("", text)  # 520 亿元 as 520亿元
    found: list[Quantity] = []
    consumed = 0
    for m in _NUMBER.finditer(text):
        start, i = m.start(), m.end()
        if start < consumed or _is_name(text, start):
            continue
        raw = m.group()
        value = float(raw) if raw[0].isdigit() else chinese_number(raw)
        if value is None:
            continue
        i += text.startswith(_APPROX, i)  # 40余家, 1000多人
        scale, measure = 1.0, _measure_at(text, i)
        while not measure and i < len(text) and text[i] in _SCALES:
            scale *= _SCALES[text[i]]
            i += 1
            i += text.startswith(_APPROX, i)  # 1.2万余人
            measure = _measure_at(text, i)
        if not measure and scale == 1 and not ("万" in raw or "亿" in raw):
            continue  # a bare number: a date, a code, a count of nothing said
        consumed = i + len(measure)
        written = text[start:consumed]
        context, noun = _context(text, start), _noun(text, consumed)
        found.append(Quantity(value, scale, measure, written, context, noun))
    return found
