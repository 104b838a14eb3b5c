"""Checks shared by the Word, PDF and sheet importer tests."""

from __future__ import annotations

from pathlib import Path

from table_builders import expected_seed

from duban.config import Config
from duban.importer import ParsedTable, load_table, resolve_table


def triples(tasks: list[dict]) -> set[tuple[int, str, str]]:
    return {
        (t["number"], role, unit)
        for t in tasks
        for role, key in (("lead", "lead"), ("responsible", "responsible"))
        for unit in t[key]
    }


def read_small(path: Path, config: Config, text: str) -> list[dict]:
    """The tasks of a small table written as UTF-8 text (CSV, HTML …), names resolved."""
    path.write_text(text, encoding="utf-8")
    return resolve_table(load_table(path), config).as_json()


def same_as_seed(path: Path, config: Config, fmt: str) -> ParsedTable:
    """The same (task, role, unit) triples, sections and texts as the seed's own text import
    (a PDF keeps no space where a line wrapped, so texts compare without spaces)."""
    table = load_table(path)
    assert table.format == fmt
    got, want = resolve_table(table, config).as_json(), expected_seed()
    assert len(want) == 91
    assert triples(got) == triples(want)

    def squeeze(tasks: list[dict]) -> list[tuple[str, str]]:
        return [("".join(t["section"].split()), "".join(t["text"].split())) for t in tasks]

    assert squeeze(got) == squeeze(want)
    return table


def check_two_row_header_table(table: ParsedTable, fmt: str) -> None:
    assert table.format == fmt
    got = [
        (
            t.number,
            t.section,
            [r.name for r in t.leads],
            [r.name for r in t.responsible],
            [r.name for r in t.leaders],
            t.deadline_text,
        )
        for t in table.tasks
    ]
    assert got == [
        (
            1,
            "（一）产业发展",
            ["区发改局", "区商务局"],
            ["区工信局", "各街道办事处"],
            ["张三"],
            "2024年6月",
        ),
        (2, "（一）产业发展", ["区财政局"], [], ["李四"], "2024年底"),
        (3, "（一）产业发展", ["区财政局"], ["区文旅局"], [], "2024年底"),
    ]
    assert table.title == "某区重点工作任务分解表"
