"""Helpers for importer tests: the seed's rows as a spreadsheet, small text tables."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
COLUMNS = ["序号", "主要工作任务", "牵头单位", "责任单位", "完成时限"]


def expected_seed() -> list[dict]:
    return json.loads((DATA / "seed_expected.json").read_text(encoding="utf-8"))


def seed_rows(seed: Path) -> list[list[str]]:
    """The seed as spreadsheet rows, names exactly as written (aliases, glued names): section
    rows with an empty 序号, lead lines joined with line breaks in one cell."""
    lines = [x.strip() for x in seed.read_text(encoding="utf-8").splitlines() if x.strip()]
    body = lines[lines.index("责任单位") + 1 : next(i for i, x in enumerate(lines) if x[0] == "注")]
    rows: list[list[str]] = []
    units: list[str] = []

    def flush() -> None:
        if rows and units:
            rows[-1][2] = "\n".join(units[:-1])
            rows[-1][3] = units[-1]

    for line in body:
        if line[1] == "、" and line[0] in "一二三四五六七八九":
            flush()
            units = []
            rows.append(["", line, "", "", ""])
        elif m := re.match(r"(\d+)\.(.*)", line):
            flush()
            units = []
            rows.append([m[1], m[2], "", "", ""])
        else:
            units.append(line)
    flush()
    return rows


def write_xlsx(
    path: Path, rows: list[list[str]], title: str = "任务分解表", columns: list[str] = COLUMNS
) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.append(columns)
    for row in rows:
        sheet.append([int(row[0]) if row[0].isdigit() else row[0], *row[1:]])
    book.save(path)
    return path


def write_csv(
    path: Path, rows: list[list[str]], encoding: str = "utf-8", columns: list[str] = COLUMNS
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["2024年政府工作报告主要工作任务分解表", "", "", "", ""])
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def text_table(*blocks: str, header: bool = True) -> str:
    """A small table in the published text layout: blank lines between everything."""
    head = (
        ["某网站 > 政务公开", "任务分解表", "主要工作任务", "牵头单位", "责任单位"]
        if header
        else []
    )
    lines = head + [line for block in blocks for line in block.strip().splitlines()]
    return "\n\n".join(lines) + "\n"
