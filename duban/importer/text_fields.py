"""The grammar every text layout shares: headings, labelled fields (牵头单位：…), the page
around the table (chrome, page numbers, the closing note). ASCII and full-width punctuation are
alike everywhere: `:` `：`, `,` `，`, `;` `；`, `(` `（`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from duban.importer.layout import (
    CHINESE_NUMERALS,
    NOTE_RE,
    SECTION_RE,
    TASK_RE,
    normalise_digits,
    section_title,
)
from duban.importer.reading import (
    AFTER,
    BEFORE,
    DEADLINE,
    HEADER,
    IGNORED,
    LEAD,
    LEADER,
    NAME_KINDS,
    NOTE,
    PAGE_NUMBER,
    RESPONSIBLE,
    SECTION,
    SUBSECTION,
    TASK,
    TITLE,
    Readings,
)

# Lines of the web page around the table; the first of them after the table ends it.
CHROME_RE = re.compile(
    r"^(文件链接|相关链接|相关文件|附件[:：]|主办[:：]|承办[:：]|技术支持|政府网站标识码|网站标识码|"
    r"上一篇|下一篇|【?打印|【?关闭|扫一扫|分享到|ICP备案|抄送[:：]|联系人[:：]|联系电话[:：])"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发$"
)
PAGE_NUMBER_RE = re.compile(r"^(第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|[-—–]\s*\d+\s*[-—–])$")

# 第一部分 … / 第二章 …
PART_RE = re.compile(rf"^第\s*([{CHINESE_NUMERALS}\d]+)\s*(部分|章|篇)\s*[、.．:：]?\s*(.*)$")
# （一）… / (二)… : a subsection
SUBSECTION_RE = re.compile(rf"^[（(]\s*([{CHINESE_NUMERALS}]+)\s*[)）]\s*[、.．]?\s*(\S.*)$")
BARE_NUMBER_RE = re.compile(r"^(\d{1,4})\s*[.．、]?$")

# Field labels → what they name. Longer spellings first (the alternation takes the first match).
LABELS: dict[str, str] = {
    "牵头单位": LEAD, "牵头部门": LEAD, "主责单位": LEAD, "主责部门": LEAD, "牵头": LEAD,
    "责任单位": RESPONSIBLE, "责任部门": RESPONSIBLE, "配合单位": RESPONSIBLE,
    "配合部门": RESPONSIBLE, "协办单位": RESPONSIBLE, "协同单位": RESPONSIBLE,
    "参与单位": RESPONSIBLE, "参加单位": RESPONSIBLE, "配合": RESPONSIBLE, "协办": RESPONSIBLE,
    "参与": RESPONSIBLE,
    "责任领导": LEADER, "责任区领导": LEADER, "区级责任领导": LEADER, "分管区领导": LEADER,
    "分管领导": LEADER, "牵头区领导": LEADER, "牵头领导": LEADER, "包保领导": LEADER,
    "区级领导": LEADER,
    "完成时限": DEADLINE, "完成时间": DEADLINE, "时间节点": DEADLINE, "时限": DEADLINE,
}  # fmt: skip
_LABEL_WORDS = "|".join(sorted(LABELS, key=len, reverse=True))
LABEL_RE = re.compile(rf"(?:【\s*({_LABEL_WORDS})\s*】|({_LABEL_WORDS})\s*[:：])\s*")
# 牵头单位 区发改局: a long label at a line's start followed by a space and its value
_SPACED_LABEL_RE = re.compile(
    "^(" + "|".join(w for w in sorted(LABELS, key=len, reverse=True) if len(w) > 2)
    + r")[ \t\u3000]+(?=\S)"
)
# A block of fields in brackets after the task text: （责任领导：…；牵头单位：…）
_BLOCK_OPEN = "（(【〔["
_BLOCK_CLOSE = "）)】〕]"
_FIELD_END = " \t\u3000；;，,。、"

# The last characters of a unit's name, to tell a wrapped name list from a sub-heading.
UNIT_ENDINGS = (
    "局", "办", "委", "中心", "街道", "办事处", "政府", "院", "所", "队", "部", "会", "处",
    "室", "公司", "集团", "专班", "站", "馆", "行", "厅", "署", "社", "园区", "开发区", "指挥部",
    "联", "协", "团", "校", "镇", "乡", "科", "股", "组",
)  # fmt: skip
_LEADER_TITLES = re.compile(r"(区长|书记|主任|部长|主席|院长|检察长|政委|秘书长|常委|领导)$")


def clean(raw: str) -> str:
    """A line as the layouts read it: trimmed (also of full-width spaces and a BOM), with
    full-width digits made ASCII."""
    return normalise_digits(raw.strip().strip("\u3000\ufeff").strip())


def heading(line: str) -> tuple[str, str] | None:
    """(SECTION or SUBSECTION, title) when the line is a heading: 一、… / （一）… / 第一部分 …"""
    if m := SECTION_RE.match(line):
        return SECTION, section_title(m.group(1), m.group(2))
    if m := PART_RE.match(line):
        title = m.group(3).strip() or f"第{m.group(1)}{m.group(2)}"
        return SECTION, section_title(m.group(1), title)
    if m := SUBSECTION_RE.match(line):
        return SUBSECTION, f"（{m.group(1)}）{m.group(2).strip()}"
    return None


def task_line(line: str) -> tuple[int, str] | None:
    """(number, text) of `N.text` / `N、text` / `N．text`."""
    if m := TASK_RE.match(line):
        return int(m.group(1)), m.group(2).strip()
    return None


def split_fields(line: str) -> tuple[str, list[tuple[str, str]], bool]:
    """The text before the first field label, the (kind, value) fields, and whether a bracket
    opened before the fields is still open at the end of the line (the block wraps)."""
    matches = list(LABEL_RE.finditer(line))
    if not matches:
        spaced = _SPACED_LABEL_RE.match(line)
        if spaced is None:
            return line, [], False
        return "", [(LABELS[spaced.group(1)], line[spaced.end() :].strip(_FIELD_END))], False
    before = line[: matches[0].start()].rstrip(_FIELD_END)
    bracketed = bool(before) and before[-1] in _BLOCK_OPEN
    if bracketed:
        before = before[:-1].rstrip()
    fields: list[tuple[str, str]] = []
    closed = not bracketed
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end() : end].strip(_FIELD_END)
        if bracketed and _unbalanced_close(value):
            value, closed = value[:-1].rstrip(_FIELD_END), True
        fields.append((LABELS[m.group(1) or m.group(2)], value))
    return before, fields, bracketed and not closed


def _unbalanced_close(value: str) -> bool:
    depth = 0
    for ch in value:
        if ch in _BLOCK_OPEN:
            depth += 1
        elif ch in _BLOCK_CLOSE:
            depth -= 1
    return depth < 0 and value[-1:] in _BLOCK_CLOSE


def strip_block_end(value: str) -> tuple[str, bool]:
    """A wrapped field block's last line: the value without the closing bracket, and whether
    the bracket closed here."""
    value = value.strip(_FIELD_END)
    if _unbalanced_close(value):
        return value[:-1].rstrip(_FIELD_END), True
    return value, False


def looks_like_names(line: str) -> bool:
    """A short list of names (a wrapped 牵头单位 line), not prose or a sub-heading."""
    if "。" in line or len(line) > 80:
        return False
    if re.search(r"[、，,；;]", line):
        return True
    return line.endswith(UNIT_ENDINGS)


# Common surnames: a 2–4 character cell starting with one (and not ending like a unit) is a
# person's name, 张伟; 区人大 or 高新区 are not.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def looks_like_person(value: str) -> bool:
    """A leader cell (张三、李四 / 王副区长), not a unit list."""
    parts = [p for p in re.split(r"[、，,；;\s]+", value) if p]
    if not parts:
        return False
    return all(
        _LEADER_TITLES.search(p)
        or (
            2 <= len(p) <= 4
            and p[0] in _SURNAMES
            and _CJK.match(p) is not None
            and not p.endswith((*UNIT_ENDINGS, "区", "市", "县", "大"))
        )
        for p in parts
    )


def looks_like_deadline(value: str) -> bool:
    return bool(re.search(r"(\d{4}\s*年|\d+\s*月|年底|年内|季度|长期|持续|全年|底前|月底)", value))


def is_title(line: str) -> bool:
    """A line before the table that names it (…任务分解表), not a sentence of the notice."""
    return (
        ("表" in line or "清单" in line)
        and len(line) <= 60
        and not line.endswith(("。", "：", ":", "；", ";"))
    )


def is_note(line: str) -> bool:
    return bool(NOTE_RE.match(line))


# Column names a table's header may use; a line made of them only is a header (also repeated on
# a printed table's later pages).
HEADER_WORDS = {
    "序号": "number",
    "主要工作任务": "task", "主要工作举措": "task", "工作任务": "task", "重点任务": "task",
    "任务内容": "task", "工作内容": "task", "具体任务": "task", "工作措施": "task",
    "主要任务": "task", "重点工作": "task", "工作举措": "task", "具体措施": "task",
    "任务": "task",
    **{label: kind for label, kind in LABELS.items() if len(label) > 2},
    "备注": "ignored",
}  # fmt: skip


def header_columns(line: str) -> list[str] | None:
    """The column kinds of a line made only of header words (split by spaces or tabs)."""
    words = line.split()
    if words and all(w in HEADER_WORDS for w in words):
        return [HEADER_WORDS[w] for w in words]
    return None


def skip_numbered_notice(readings: Readings) -> Readings:
    """A notice before a table without a header may number its own points (1.各单位要…): a run
    of tasks from a 1 that names no unit nor leader at all, before the first run that does, is
    the notice, not the table. Runs that do name units stay (a table that numbers each section
    from 1 is still refused, naming the line)."""
    items = readings.items
    starts = [i for i, r in enumerate(items) if r.kind == TASK and r.number == 1]
    named = [i for i, r in enumerate(items) if r.kind in NAME_KINDS]
    if len(starts) < 2 or not named:
        return readings
    table_start = max((s for s in starts if s <= named[0]), default=starts[0])
    if table_start == starts[0]:
        return readings
    # the headings right before the table's first task are the table's own
    keep_from = table_start
    while keep_from > 0 and items[keep_from - 1].kind in (SECTION, SUBSECTION):
        keep_from -= 1
    for r in items[:keep_from]:
        if r.kind not in (IGNORED, TITLE, NOTE):
            r.kind, r.why, r.number = IGNORED, BEFORE, None
    readings.tasks = sum(r.kind == TASK for r in items)
    return readings


def preamble(lines: list[str], readings: Readings, start: int, end: int) -> None:
    """Record the lines before a header (the last of them is the title) and the header lines
    themselves (indices start … end-1)."""
    for number in range(1, start + 1):
        if lines[number - 1].strip():
            readings.add(number, IGNORED, lines[number - 1], why=BEFORE)
    title = next((r for r in reversed(readings.items) if r.kind == IGNORED), None)
    if title is not None:
        title.kind, title.why = TITLE, ""
    for number in range(start + 1, end + 1):
        if lines[number - 1].strip():
            readings.add(number, HEADER, lines[number - 1])


def body(
    lines: list[str], readings: Readings, start: int = 0, started: bool = False
) -> Iterator[tuple[int, str]]:
    """(line number, cleaned line) of every line from `start` that a layout must read itself.
    Blank lines are skipped; page numbers are ignored; the closing note (注：…) and the page
    chrome after the table (after the first task, or at once when `started`) are recorded here
    and end the table."""
    index = start
    while index < len(lines):
        number, line = index + 1, clean(lines[index])
        index += 1
        if not line:
            continue
        if PAGE_NUMBER_RE.match(line):
            readings.add(number, IGNORED, line, why=PAGE_NUMBER)
            continue
        if (started or readings.tasks) and (is_note(line) or CHROME_RE.match(line)):
            kind = NOTE if is_note(line) else IGNORED
            readings.add(number, kind, line, why="" if kind == NOTE else AFTER)
            for rest in range(index, len(lines)):
                text = clean(lines[rest])
                if text and kind == NOTE and CHROME_RE.match(text):
                    kind = IGNORED
                if text:
                    readings.add(rest + 1, kind, text, why=AFTER)
            return
        yield number, line
