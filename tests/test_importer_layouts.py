"""The seed re-laid in each text layout imports to exactly the seed's tasks, units and roles."""

from __future__ import annotations

from pathlib import Path

import pytest
import relayout
from hypothesis import HealthCheck, given, settings
from table_builders import expected_seed, seed_rows

from duban.config import Config
from duban.importer import load_table, resolve_table
from tests.conftest import SEED

ROWS = seed_rows(SEED)
EXPECTED = expected_seed()
LAYOUTS = {"labelled": relayout.labelled, "inline": relayout.inline, "cells": relayout.cells}


@pytest.mark.parametrize("layout", LAYOUTS)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(style=relayout.styles)
def test_seed_relaid_imports_the_same(
    layout: str, style: relayout.Style, tmp_path: Path, config: Config
) -> None:
    path = tmp_path / f"{layout}.txt"
    path.write_text(LAYOUTS[layout](ROWS, style), encoding="utf-8")
    table = load_table(path)
    assert table.layout == layout  # detected, not forced
    got = resolve_table(table, config).as_json()
    for want, have in zip(EXPECTED, got, strict=True):
        assert have == want, f"task {want['number']}"
    leaders = {t.number: [r.name for r in t.leaders] for t in table.tasks if t.leaders}
    assert leaders == relayout.expected_leaders(ROWS, style)
