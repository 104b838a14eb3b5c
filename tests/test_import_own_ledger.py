"""`duban import 台账.xlsx` on duban's own exported ledger says what the file is."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from duban.cli import main
from duban.config import example_config_path


def test_importing_the_exported_ledger_is_refused_saying_what_it_is(
    tmp_path: Path, seed_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    cfg = ["--config", str(config)]
    assert main([*cfg, "init"]) == 0 and main([*cfg, "import", str(seed_path)]) == 0
    ledger = tmp_path / "台账.xlsx"
    assert main([*cfg, "export", "ledger", "-o", str(ledger), "--at", "2024-06-30"]) == 0
    capsys.readouterr()

    for argv in (["import", str(ledger)], ["import", str(ledger), "--dry-run"]):
        assert main([*cfg, *argv]) == 2
        out, err = capsys.readouterr()
        assert err == (
            f"duban: error: {ledger}: this is a 台账 (ledger) that duban exported (`duban export "
            "ledger`, data as of 2024-06-30), not a task decomposition table: import the table "
            "as the district published it (text, HTML, XLSX or CSV with the columns 序号, "
            "主要工作任务, 牵头单位, 责任单位)\n"
        )
        assert "imported" not in out

    # by its content, whatever its name says
    misnamed = tmp_path / "任务分解表.docx"
    misnamed.write_bytes(ledger.read_bytes())
    assert main([*cfg, "import", str(misnamed), "--dry-run"]) == 2
    assert "this is a 台账 (ledger) that duban exported" in capsys.readouterr().err

    # a ledger saved again elsewhere (its marker gone), or written before there was one, is
    # still known by its sheets
    book = load_workbook(ledger)
    book.properties.keywords = None
    book.properties.creator = "someone"
    renamed = tmp_path / "汇报材料.xlsx"
    book.save(renamed)
    assert main([*cfg, "import", str(renamed), "--dry-run"]) == 2
    assert "this is a 台账 (ledger) that duban exported" in capsys.readouterr().err

    # the check goes by the whole workbook, not one sheet's name: the 台账 sheet alone, without
    # the marker and the other sheets, is read as a table (its columns are a table's)
    book = load_workbook(ledger)
    for name in ("逾期", "说明"):
        del book[name]
    book.properties.keywords = None
    table = tmp_path / "任务分解表.xlsx"
    book.save(table)
    assert main([*cfg, "import", str(table), "--dry-run"]) == 0
