"""The seed's rows written out again in each text layout, in a style hypothesis draws:
ASCII or full-width punctuation, mixed list separators, other label spellings, headings as
一、 or 第一部分, subsections and sub-headings, leaders present or not."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

NUMERALS = "一二三四五六七八九十"
LEADER_NAMES = ("张伟", "王副区长", "李娜", "刘常务副区长", "陈静")


@dataclass(frozen=True)
class Style:
    colon: str
    field_sep: str
    open_bracket: str
    close_bracket: str
    list_seps: tuple[str, ...]  # cycled through between names
    number_punct: str
    part_headings: bool  # 第一部分 … instead of 一、…
    lead_label: str
    responsible_label: str
    leader_label: str
    leaders: tuple[str, ...]  # cycled through: one leader per task, "" for none
    subsections: bool  # a （一） subsection (inline) before each section's first task
    sub_headings: bool  # an unnumbered sub-heading before each section's second task
    blank_lines: bool
    fullwidth_digits: bool

    def join(self, names: list[str]) -> str:
        out = names[0]
        for i, name in enumerate(names[1:]):
            out += self.list_seps[i % len(self.list_seps)] + name
        return out

    def number(self, n: int) -> str:
        text = str(n)
        if self.fullwidth_digits:
            text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        return text

    def leader(self, n: int) -> str:
        return self.leaders[n % len(self.leaders)]


styles = st.builds(
    Style,
    colon=st.sampled_from([":", "："]),
    field_sep=st.sampled_from(["；", ";", "; ", "，"]),
    open_bracket=st.sampled_from(["（", "("]),
    close_bracket=st.sampled_from(["）", ")"]),
    list_seps=st.lists(st.sampled_from(["、", "，", ",", ", "]), min_size=1, max_size=3).map(tuple),
    number_punct=st.sampled_from([".", "、", "．"]),
    part_headings=st.booleans(),
    lead_label=st.sampled_from(["牵头单位", "牵头部门"]),
    responsible_label=st.sampled_from(["责任单位", "配合单位", "责任部门"]),
    leader_label=st.sampled_from(["责任领导", "分管区领导"]),
    leaders=st.lists(st.sampled_from(["", *LEADER_NAMES]), min_size=1, max_size=4).map(tuple),
    subsections=st.booleans(),
    sub_headings=st.booleans(),
    blank_lines=st.booleans(),
    fullwidth_digits=st.booleans(),
)


def _units(cell: str) -> list[str]:
    return [name for line in cell.split("\n") for name in line.split("、") if name]


def _sections(rows: list[list[str]], style: Style):  # type: ignore[no-untyped-def]
    """(heading line, [(number, text, leads, responsible)]) per section."""
    out: list[tuple[str, list[tuple[int, str, list[str], list[str]]]]] = []
    for number, text, lead, resp, _ in rows:
        if not number:
            numeral, _, title = text.partition("、")
            heading = f"第{numeral}部分 {title}" if style.part_headings else text
            out.append((heading, []))
        else:
            out[-1][1].append((int(number), text, _units(lead), _units(resp)))
    return out


def _out(lines: list[str], style: Style) -> str:
    return ("\n\n" if style.blank_lines else "\n").join(lines) + "\n"


PREAMBLE = [
    "某某区人民政府关于印发重点任务分解表的通知",
    "各部门、各街道：",
    "现将任务分解表印发给你们。",
    "1.各单位要高度重视，明确专人负责。",  # the notice numbers its own points: not tasks
    "2.请于每月25日前报送进展情况。",
]


def labelled(rows: list[list[str]], style: Style) -> str:
    lines = [*PREAMBLE]
    for heading, tasks in _sections(rows, style):
        lines.append(heading)
        for k, (n, text, leads, resp) in enumerate(tasks):
            if style.sub_headings and k == 1:
                lines.append("推进重点项目建设")
            lines.append(f"{style.number(n)}{style.number_punct}{text}")
            lines.append(f"{style.lead_label}{style.colon}{style.join(leads)}")
            if resp:
                lines.append(f"{style.responsible_label}{style.colon}{style.join(resp)}")
            if style.leader(n):
                lines.append(f"{style.leader_label}{style.colon}{style.leader(n)}")
    return _out(lines, style)


def inline(rows: list[list[str]], style: Style) -> str:
    lines = [*PREAMBLE]
    for i, (heading, tasks) in enumerate(_sections(rows, style)):
        lines.append(heading)
        if style.subsections:
            sub = f"{style.open_bracket}{NUMERALS[0]}{style.close_bracket}"
            lines.append(f"{sub}第{i + 1}组重点工作")
        for k, (n, text, leads, resp) in enumerate(tasks):
            if style.sub_headings and k == 1:
                lines.append("推进重点项目建设")
            fields = []
            if style.leader(n):
                fields.append(f"{style.leader_label}{style.colon}{style.leader(n)}")
            fields.append(f"{style.lead_label}{style.colon}{style.join(leads)}")
            if resp:
                fields.append(f"{style.responsible_label}{style.colon}{style.join(resp)}")
            block = style.open_bracket + style.field_sep.join(fields) + style.close_bracket
            lines.append(f"{style.number(n)}{style.number_punct}{text}{block}")
    return _out(lines, style)


def cells(rows: list[list[str]], style: Style) -> str:
    """One cell per line: 序号 alone, the text without its number, 牵头单位, 配合单位 (absent when
    the task has none: the row is one line shorter) and 责任领导 (absent when none)."""
    lines = [*PREAMBLE[:1], "序号", "主要工作举措", "牵头单位", "配合单位", "责任领导"]
    for heading, tasks in _sections(rows, style):
        lines.append(heading)
        for n, text, leads, resp in tasks:
            lines += [style.number(n), text, style.join(leads)]
            if resp:
                lines.append(style.join(resp))
            if style.leader(n):
                lines.append(style.leader(n))
    return _out(lines, style)


def expected_leaders(rows: list[list[str]], style: Style) -> dict[int, list[str]]:
    return {int(r[0]): [style.leader(int(r[0]))] for r in rows if r[0] and style.leader(int(r[0]))}
