"""`duban tick` never sends into the void and never runs time backwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, make_sessionmaker, transaction
from db.models import OutboxItem, Period
from duban.cli import main
from duban.config import example_config_path, load_config
from jobs.reporting.meta import meta_set
from jobs.tick import META_LAST_TICK


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example config (no bot token anywhere), plan from 2024-03-15, database initialised."""
    monkeypatch.delenv("DUBAN_BOT_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    text = example_config_path().read_text(encoding="utf-8")
    path.write_text(text.replace("# start = 2024-03-15 ", "start = 2024-03-15"), "utf-8")
    assert main(["--config", str(path), "init"]) == 0
    return path


def counts(config_file: Path) -> tuple[int, int]:
    engine = make_engine(load_config(str(config_file)).database_url)
    try:
        with make_sessionmaker(engine)() as session:
            periods = session.scalar(select(func.count(Period.id)))
            items = session.scalar(select(func.count(OutboxItem.id)))
    finally:
        engine.dispose()
    return periods or 0, items or 0


def test_a_tick_without_a_bot_token_refuses_unless_console(
    config_file: Path, seed_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ["--config", str(config_file)]
    assert main([*cfg, "import", str(seed_path)]) == 0
    capsys.readouterr()

    assert main([*cfg, "tick", "--at", "2024-03-20T09:00"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("duban: error: 没有可用的发送渠道，本次未运行：no bot token: set the ")
    assert "DUBAN_BOT_TOKEN" in err and "--console" in err and err.count("\n") == 1
    assert counts(config_file) == (0, 0)  # nothing planned, nothing queued

    assert main([*cfg, "tick", "--console", "--at", "2024-03-20T09:00"]) == 0
    out, _ = capsys.readouterr()
    assert "=== to 区工信局 (unit" in out  # the digests are shown …
    assert "：未送达任何人，在待发箱中标记为 printed" in out  # … and said to reach nobody
    assert "发出消息 0 条" in out
    periods, items = counts(config_file)
    assert periods > 0 and items > 0

    # `duban outbox` counts them as printed, none as sent
    assert main([*cfg, "outbox"]) == 0
    summary, note = capsys.readouterr().out.splitlines()[:2]
    assert "printed" in summary and "sent" not in summary
    assert "only shown on a console, delivered to nobody" in note

    # a second console tick does not print them again
    assert main([*cfg, "tick", "--console", "--at", "2024-03-20T09:30"]) == 0
    assert "=== to" not in capsys.readouterr().out


def test_a_tick_earlier_than_the_last_one_is_refused_naming_both_times(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ["--config", str(config_file)]
    assert main([*cfg, "tick", "--console", "--at", "2024-03-22T09:00"]) == 0
    capsys.readouterr()

    assert main([*cfg, "tick", "--console", "--at", "2024-03-21T17:00"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "duban: error: 不能往回运行：--at 2024-03-21T17:00+08:00 早于上次运行的时刻 "
        "2024-03-22T09:00+08:00。"
    ), err
    # an offset other than the config's zone is compared as the same instant
    assert main([*cfg, "tick", "--console", "--at", "2024-03-22T00:59+00:00"]) == 2
    assert "2024-03-22T08:59+08:00 早于上次运行的时刻 2024-03-22T09:00+08:00" in (
        capsys.readouterr().err
    )
    # the same moment again, and any later one, are fine
    assert main([*cfg, "tick", "--console", "--at", "2024-03-22T09:00"]) == 0
    assert main([*cfg, "tick", "--console", "--at", "2024-03-25T09:00"]) == 0


def test_english_locale_speaks_english(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace('locale = "zh_CN"', 'locale = "en"', 1), "utf-8")
    cfg = ["--config", str(config_file)]
    assert main([*cfg, "tick", "--at", "2024-03-22T09:00"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("duban: error: no channel to deliver through, nothing was run: no bot")
    assert main([*cfg, "tick", "--console", "--at", "2024-03-22T09:00"]) == 0
    assert main([*cfg, "tick", "--console", "--at", "2024-03-21T09:00"]) == 2
    assert (
        "cannot tick backwards: --at 2024-03-21T09:00+08:00 is earlier than the last tick, "
        "2024-03-22T09:00+08:00"
    ) in capsys.readouterr().err


def test_run_refuses_without_a_token_and_behind_the_last_tick(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = ["--config", str(config_file)]
    assert main([*cfg, "run"]) == 2
    assert "本次未运行：no bot token" in capsys.readouterr().err

    # a replay ran ahead of this machine's clock: the clock would tick into the plan's past
    engine = make_engine(load_config(str(config_file)).database_url)
    with transaction(make_sessionmaker(engine)) as session:
        meta_set(session, {META_LAST_TICK: "2999-01-04T09:00:00+08:00"})
    engine.dispose()
    assert main([*cfg, "run", "--console"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("duban: error: 不能往回运行：当前时间 ") and err.count("\n") == 1
    assert "早于上次运行的时刻 2999-01-04T09:00+08:00" in err
