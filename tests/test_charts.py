"""Charts render with the packaged CJK font: every text resolves to it and no glyph is missing."""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import pytest
from matplotlib import font_manager, rc_context
from matplotlib.text import Text

from duban import charts
from duban.charts import CHARTS, CJK_FAMILY, cjk_font_path, render_chart, write_charts
from duban.ledger import collect_ledger
from tests.test_ledger import AS_OF, scenario  # noqa: F401  (the fixture)


def test_font_comes_from_the_installed_package() -> None:
    path = cjk_font_path()
    assert "manimgx_fonts_cjk" in path.parts and path.stat().st_size > 10_000_000
    props = charts.cjk_font_properties()
    found = font_manager.findfont(props, fallback_to_default=False)
    assert Path(found) == path
    # The file holds five faces (JP, KR, SC, TC, HK); the one used is Simplified Chinese.
    assert font_manager.get_font(found).family_name == CJK_FAMILY


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_renders_in_the_cjk_font(name: str, scenario, config, caplog) -> None:  # noqa: F811
    with scenario() as s:
        ledger = collect_ledger(s, config, AS_OF)
    caplog.set_level(logging.WARNING, logger="matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with rc_context(charts._rc()):
            fig = CHARTS[name][1](ledger)
            texts = [t for t in fig.findobj(Text) if t.get_text().strip()]
            assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t.get_text()) for t in texts)
            used = {Path(font_manager.findfont(t.get_fontproperties())) for t in texts}
        png = charts.render_ledger_chart(name, ledger)
    assert used == {cjk_font_path()}
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_missing_glyphs_would_be_caught() -> None:
    """The check above is real: the same drawing in DejaVu Sans warns about every 汉字."""
    from matplotlib.figure import Figure

    fig = Figure()
    fig.text(0.1, 0.5, "各单位按时报送率", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert any("missing from font" in str(w.message) for w in caught)


def test_render_chart_and_write_charts(scenario, config, tmp_path: Path) -> None:  # noqa: F811
    with scenario() as s:
        png = render_chart("target_progress", s, config, AS_OF)
        paths = write_charts(s, config, AS_OF, tmp_path / "charts")
    assert png.startswith(b"\x89PNG")
    assert [p.name for p in paths] == [f"{n}.png" for n in CHARTS]
    assert all(p.stat().st_size > 5000 for p in paths)
    with pytest.raises(KeyError):
        charts.render_ledger_chart("pie", None)  # type: ignore[arg-type]


def test_export_charts_command(scenario, config, tmp_path: Path, capsys) -> None:  # noqa: F811
    from duban.cli import main
    from duban.config import example_config_path

    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(example_config_path().read_text("utf-8"), encoding="utf-8")
    out = tmp_path / "图表"
    argv = ["--config", str(cfg_file), "export", "charts", "-o", str(out), "--at", "2024-04-01"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.png" for n in CHARTS)
    assert str(out / "target_progress.png") in printed
    with pytest.raises(SystemExit):
        main(["--config", str(cfg_file), "export", "charts", "-o", str(out), "--at", "4月1日"])
    assert "--at" in capsys.readouterr().err


def test_status_chart_speaks_the_status_vocabulary_and_counts_the_lights(scenario, config):  # noqa: F811
    with scenario() as s:
        ledger = collect_ledger(s, config, AS_OF)
    with rc_context(charts._rc()):
        fig = charts.chart_status_by_section(ledger)
        ax = fig.axes[0]
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["未启动", "序时推进", "滞后", "已完成", "已办结"]
    assert ax.get_title().endswith("状态灯：红2，黄2，绿2）")  # the ledger's own lights
