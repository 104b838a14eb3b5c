"""DingTalk's parts without the stream: the markdown a contact sees, splitting under the size
limit, the `[dingtalk]` config and its secret, `duban invite --channel dingtalk` and
`duban check` against the fake DingTalk."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.dingtalk.markdown import action_links, plain_title, split, to_markdown
from db.contracts import Facts, MessageKind, Recipient, dedupe_key
from db.engine import make_engine, make_sessionmaker, transaction
from db.models import Contact, SentMessage, Unit
from duban.cli import main
from duban.config import ConfigError, example_config_path, load_config, parse_config
from duban.dingtalk_wiring import load_secret
from duban.errors import UserError
from jobs import tick as tick_module
from jobs.delivery.contracts import Button
from jobs.outbox import enqueue
from tests.fakedingtalk import FakeDingTalk
from tests.test_bot_cli import write_config


def test_digest_html_becomes_dingtalk_markdown() -> None:
    html = (
        "<b>区工信局</b>：以下事项请按时报送\n"
        "<blockquote>任务7 服务业增加值达到1087亿元</blockquote>\n"
        '详见<a href="https://example.org/?a=1&amp;b=2">台账</a>，'
        "单位填报：&lt;已完成&gt; 3*4 [备注]"
    )
    assert to_markdown(html) == (
        "**区工信局**：以下事项请按时报送  \n"
        "> 任务7 服务业增加值达到1087亿元  \n"
        "详见[台账](https://example.org/?a=1&b=2)，单位填报：<已完成> 3\\*4 \\[备注\\]"
    )
    assert plain_title(to_markdown(html)) == "区工信局：以下事项请按时报送"


def test_buttons_become_links_that_send_the_code_back() -> None:
    rows = ((Button("通过", "ra:AbC123xy"), Button("退回", "rr:ZZ9_-abc")),)
    assert action_links(rows) == (
        "[通过](dtmd://dingtalkclient/sendMessage?content=%E9%80%9A%E8%BF%87%20ra%3AAbC123xy)"
        " · "
        "[退回](dtmd://dingtalkclient/sendMessage?content=%E9%80%80%E5%9B%9E%20rr%3AZZ9_-abc)"
    )


def test_split_keeps_every_piece_under_the_byte_limit_between_lines() -> None:
    lines = [f"任务{i} " + "进展顺利" * 40 for i in range(200)]  # ≈ 100 KB of Chinese text
    text = "\n".join(lines)
    pieces = split(text, 12_000)
    assert all(len(p.encode()) <= 12_000 for p in pieces)
    assert "\n".join(pieces) == text  # nothing lost, nothing cut inside a line
    long_line = "长" * 10_000  # 30 000 bytes on one line: cut between characters
    assert "".join(split(long_line, 12_000)) == long_line


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    base = example_config_path().read_text(encoding="utf-8")
    text = base.replace("[dingtalk]\nenabled = false", "[dingtalk]\nenabled = true")
    with pytest.raises(ConfigError) as err:
        parse_config(text, source="config.toml", base_dir=tmp_path)
    assert "dingtalk" in str(err.value) and "client_id" in str(err.value)
    text = base.replace('api_base_url = "https://api.dingtalk.com"', 'api_base_url = "api"')
    with pytest.raises(ConfigError) as err:
        parse_config(text, source="config.toml", base_dir=tmp_path)
    assert "dingtalk.api_base_url" in str(err.value)


def test_secret_from_env_or_a_file_outside_the_repository(tmp_path: Path) -> None:
    base = example_config_path().read_text(encoding="utf-8")
    cfg = parse_config(base, source="config.toml", base_dir=tmp_path)
    with pytest.raises(UserError, match="DUBAN_DINGTALK_SECRET"):
        load_secret(cfg, environ={})
    assert load_secret(cfg, environ={"DUBAN_DINGTALK_SECRET": " s3 "}) == "s3"
    outside = tmp_path / "dingtalk-secret"
    outside.write_text("from-file\n", encoding="utf-8")
    text = base.replace('client_secret_file = ""', f'client_secret_file = "{outside}"')
    assert load_secret(parse_config(text, "c", tmp_path), environ={}) == "from-file"
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    inside = repo / "secret.txt"
    inside.write_text("leaky", encoding="utf-8")
    text = base.replace('client_secret_file = ""', f'client_secret_file = "{inside}"')
    with pytest.raises(UserError, match="inside the git repository"):
        load_secret(parse_config(text, "c", tmp_path), environ={})


@pytest.fixture
def fake_dingtalk():  # type: ignore[no-untyped-def]
    """The fake on a loop of its own (the CLI's commands own theirs)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def make() -> FakeDingTalk:
        server = FakeDingTalk()
        await server.start()
        return server

    server = asyncio.run_coroutine_threadsafe(make(), loop).result(5)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def dingtalk_config(tmp_path: Path, server: FakeDingTalk) -> Path:
    """A DingTalk-only deployment against the fake."""
    return write_config(
        tmp_path,
        edits={
            "[telegram]\nenabled = true": "[telegram]\nenabled = false",
            "[dingtalk]\nenabled = false": "[dingtalk]\nenabled = true",
            'client_id = ""': f'client_id = "{server.client_id}"',
            'api_base_url = "https://api.dingtalk.com"': f'api_base_url = "{server.base_url}"',
        },
    )


def test_invite_prints_a_code_and_check_verifies_the_credentials(
    tmp_path, fake_dingtalk, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    cfg = dingtalk_config(tmp_path, fake_dingtalk)
    monkeypatch.setenv("DUBAN_DINGTALK_SECRET", fake_dingtalk.client_secret)
    monkeypatch.delenv("DUBAN_BOT_TOKEN", raising=False)  # DingTalk-only: no bot token needed
    capsys.readouterr()
    assert main(["--config", str(cfg), "invite", "发改局", "--channel", "dingtalk"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^绑定 [A-Z2-9]{8}$", out, re.M) and "区发改局" in out, out
    assert main(["--config", str(cfg), "check"]) == 0
    out = capsys.readouterr().out
    assert f"ok    DingTalk: access token issued for AppKey {fake_dingtalk.client_id}" in out
    assert fake_dingtalk.token_requests == 1
    monkeypatch.setenv("DUBAN_DINGTALK_SECRET", "wrong-secret")
    assert main(["--config", str(cfg), "check"]) == 2
    out = capsys.readouterr().out
    assert "FAIL  DingTalk refused the credentials" in out and "invalidClientIdOrSecret" in out
    assert "wrong-secret" not in out


def test_invite_on_dingtalk_needs_it_enabled(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = write_config(tmp_path)
    capsys.readouterr()
    assert main(["--config", str(path), "invite", "区发改局", "--channel", "dingtalk"]) == 2
    assert "[dingtalk] enabled = true" in capsys.readouterr().err


def test_tick_delivers_through_dingtalk_alone(tmp_path, fake_dingtalk, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """A DingTalk-only deployment's `duban tick`: a unit's reminder goes to its DingTalk
    contact through the robot's batch send (planning stubbed out, as in the Telegram test)."""
    cfg_path = dingtalk_config(tmp_path, fake_dingtalk)
    cfg = load_config(str(cfg_path))
    sessions = make_sessionmaker(make_engine(cfg.database_url))
    at = dt.datetime(2024, 3, 20, 10, 0, tzinfo=cfg.tz)
    with transaction(sessions) as s:
        unit = s.scalar(select(Unit).where(Unit.name == "区工信局"))
        s.add(Contact(unit_id=unit.id, channel="dingtalk", user_address="manager501",
                      address="user:manager501", display_name="王工信"))  # fmt: skip
        recipient = Recipient.unit(unit.id)
        enqueue(
            s, kind=MessageKind.REMINDER, recipient=recipient, role="unit",
            facts=Facts(task=7, unit="区工信局", due="2024-03-25"), recipient_name="区工信局",
            dedupe_key=dedupe_key(MessageKind.REMINDER, recipient, scope=(1, 1), stage=1),
            due_at=at,
        )  # fmt: skip
    monkeypatch.setattr(tick_module, "plan_due", lambda *a, **k: (0, 0, 0))
    monkeypatch.setenv("DUBAN_DINGTALK_SECRET", fake_dingtalk.client_secret)
    monkeypatch.setenv("DUBAN_BOT_TOKEN", "7000001:ignored-while-telegram-is-off")
    capsys.readouterr()
    assert main(["--config", str(cfg_path), "tick", "--at", "2024-03-20T10:00"]) == 0
    out = capsys.readouterr().out
    assert "发出消息 1 条" in out and "【督办】" not in out  # sent, not printed
    assert [s.address for s in fake_dingtalk.sent] == ["user:manager501"]
    assert "任务7" in fake_dingtalk.sent[0].text
    with sessions() as s:
        assert s.scalar(select(SentMessage)).channel == "dingtalk"
