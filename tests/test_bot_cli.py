"""`duban invite`, `duban contacts`, `duban run`/`tick` from the command line, against the fake
Bot API server (run in a thread: the commands own their event loop)."""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path

import pytest

from duban.cli import main
from duban.config import example_config_path
from tests.bot_harness import TOKEN
from tests.fakebot import FakeBotAPI


@pytest.fixture
def fake_server():  # type: ignore[no-untyped-def]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = FakeBotAPI(TOKEN)
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def write_config(
    tmp_path: Path, base_url: str = "", file_url: str = "", edits: dict[str, str] | None = None
) -> Path:
    """The example config with Telegram's server and these text edits (old → new), `init`ed."""
    text = example_config_path().read_text(encoding="utf-8")
    text = re.sub(r'(?m)^base_url = ""', f'base_url = "{base_url}"', text)
    text = re.sub(r'(?m)^base_file_url = ""', f'base_file_url = "{file_url}"', text)
    for old, new in (edits or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["--config", str(path), "init"]) == 0
    return path


def test_invite_prints_a_deep_link_with_the_bot_name_from_getme(
    tmp_path, fake_server, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    cfg = write_config(tmp_path, fake_server.base_url, fake_server.base_file_url)
    monkeypatch.setenv("DUBAN_BOT_TOKEN", TOKEN)
    capsys.readouterr()
    assert main(["--config", str(cfg), "invite", "发改局", "--expires", "2d"]) == 0
    out = capsys.readouterr().out
    link = re.search(r"https://t\.me/duban_test_bot\?start=([A-Za-z0-9_-]{16,64})", out)
    assert link, out
    assert "区发改局" in out and TOKEN not in out
    assert [c.method for c in fake_server.calls][:1] == ["getMe"]

    # Unknown unit: a clear error naming it and the closest known names.
    assert main(["--config", str(cfg), "invite", "区发改委"]) == 2
    err = capsys.readouterr().err
    assert "'区发改委'" in err and "closest known: 区发改局" in err
    # An example unit of the config works, with a warning to replace it first.
    assert main(["--config", str(cfg), "invite", "示例街道一（请替换）"]) == 0
    out, err = capsys.readouterr()
    assert "start=" in out and "duban: warning: 示例街道一（请替换） is an example unit" in err
    assert main(["--config", str(cfg), "contacts"]) == 0
    assert "no contacts yet" in capsys.readouterr().out


def test_without_a_token_commands_say_what_to_set(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = write_config(tmp_path)
    monkeypatch.delenv("DUBAN_BOT_TOKEN", raising=False)
    for argv in (["invite", "区发改局"], ["run"]):
        capsys.readouterr()
        assert main(["--config", str(cfg), *argv]) == 2
        assert "DUBAN_BOT_TOKEN" in capsys.readouterr().err


def test_invite_with_an_expiry_past_the_calendar_is_a_clear_error(
    tmp_path, fake_server, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    cfg = write_config(tmp_path, fake_server.base_url, fake_server.base_file_url)
    monkeypatch.setenv("DUBAN_BOT_TOKEN", TOKEN)
    capsys.readouterr()
    assert main(["--config", str(cfg), "invite", "区发改局", "--expires", "99999999d"]) == 2
    err = capsys.readouterr().err
    assert err == "duban: error: --expires '99999999d': too far in the future\n"


BOT_COMMANDS = (["invite", "区发改局"], ["tick", "--at", "2024-03-20T10:00"], ["run"])


def test_a_rejected_token_is_named_but_never_shown(tmp_path, fake_server, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """PTB's InvalidToken quotes the token: the commands say what to check, without it."""
    cfg = write_config(tmp_path, fake_server.base_url, fake_server.base_file_url)
    wrong = "654321:NOT-the-server-token"
    monkeypatch.setenv("DUBAN_BOT_TOKEN", wrong)
    for argv in BOT_COMMANDS:
        capsys.readouterr()
        assert main(["--config", str(cfg), *argv]) == 2, argv
        out, err = capsys.readouterr()
        assert err.startswith("duban: error: the Bot API server") and "rejected" in err, err
        assert "DUBAN_BOT_TOKEN" in err
        assert wrong not in out + err and "NOT-the-server" not in out + err
        assert "Traceback" not in err


def test_an_unreachable_server_is_one_clear_line(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:  # a port on this machine that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/bot"
    cfg = write_config(tmp_path, base, f"http://127.0.0.1:{port}/file/bot")
    monkeypatch.setenv("DUBAN_BOT_TOKEN", TOKEN)
    for argv in BOT_COMMANDS:
        capsys.readouterr()
        assert main(["--config", str(cfg), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"duban: error: cannot reach the Bot API server ({base})"), err
        assert TOKEN not in err and "Traceback" not in err


def test_contacts_revoke_unknown_id_is_a_clear_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = write_config(tmp_path)
    assert main(["--config", str(cfg), "contacts", "revoke", "99"]) == 2
    assert "no contact with id 99" in capsys.readouterr().err


async def test_run_serves_the_bot_until_stopped(config, engine, sessions):  # type: ignore[no-untyped-def]
    """`duban run`'s serve(): the bot answers updates in the same loop, then stops cleanly."""
    from duban.commands.run import serve
    from duban.config import TelegramConfig
    from duban.context import AppContext
    from tests.bot_harness import IND, make_app

    server = FakeBotAPI(TOKEN)
    await server.start()
    cfg = config.model_copy(
        update={
            "telegram": TelegramConfig(base_url=server.base_url, base_file_url=server.base_file_url)
        }
    )
    ctx = AppContext(cfg, engine, sessions)
    from tests.bot_harness import NOW

    app = make_app(ctx, {"now": NOW})
    stop = asyncio.Event()
    task = asyncio.create_task(serve(ctx, None, app=app, stop=stop, clock=False))
    await server.send_text(IND, "/start")
    reply = await server.wait_sent(IND["id"], contains="仅供已登记的单位联络员使用")
    assert reply.text
    methods = [c.method for c in server.calls]
    assert methods[0] == "getMe" and "setMyCommands" in methods
    stop.set()
    await asyncio.wait_for(task, 10)
    assert not app.running
    await server.stop()


def test_tick_with_a_token_sends_through_the_configured_server(
    tmp_path, fake_server, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    """`duban tick --at …` with DUBAN_BOT_TOKEN set delivers the outbox through Telegram (here:
    the fake server named by base_url). Planning is the engine's part and is stubbed out."""
    import datetime as dt

    from sqlalchemy import select

    from db.contracts import Facts, MessageKind, Recipient, dedupe_key
    from db.engine import make_engine, make_sessionmaker, transaction
    from db.models import Contact, SentMessage, Unit
    from duban.config import load_config
    from jobs import tick as tick_module
    from jobs.outbox import enqueue

    cfg_path = write_config(tmp_path, fake_server.base_url, fake_server.base_file_url)
    cfg = load_config(str(cfg_path))
    sessions = make_sessionmaker(make_engine(cfg.database_url))
    at = dt.datetime(2024, 3, 20, 10, 0, tzinfo=cfg.tz)
    with transaction(sessions) as s:
        unit = s.scalar(select(Unit).where(Unit.name == "区工信局"))
        s.add(Contact(unit_id=unit.id, user_address="501", address="501", display_name="王工信"))
        recipient = Recipient.unit(unit.id)
        enqueue(
            s,
            kind=MessageKind.REMINDER,
            recipient=recipient,
            role="unit",
            facts=Facts(task=7, unit="区工信局", due="2024-03-25"),
            recipient_name="区工信局",
            dedupe_key=dedupe_key(MessageKind.REMINDER, recipient, scope=(1, 1), stage=1),
            due_at=at,
        )
    monkeypatch.setattr(tick_module, "plan_due", lambda *a, **k: (0, 0, 0))
    monkeypatch.setenv("DUBAN_BOT_TOKEN", TOKEN)
    capsys.readouterr()
    assert main(["--config", str(cfg_path), "tick", "--at", "2024-03-20T10:00"]) == 0
    assert "发出消息 1 条" in capsys.readouterr().out
    sent = [c for c in fake_server.calls if c.method == "sendMessage"]
    assert len(sent) == 1 and sent[0].chat_id == 501 and "任务7" in sent[0].text
    with sessions() as s:
        assert s.scalar(select(SentMessage)).address == "501"


def test_what_a_console_tick_printed_goes_out_with_the_next_telegram_tick(
    tmp_path, fake_server, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    """A console only shows digests: nobody got them, so they are not 'sent'. Two console
    ticks print a reminder once; the next tick through Telegram delivers it, as one message."""
    import datetime as dt

    from sqlalchemy import select

    from db.contracts import Facts, MessageKind, Recipient, dedupe_key
    from db.engine import make_engine, make_sessionmaker, transaction
    from db.models import Contact, Digest, Unit
    from duban.config import load_config
    from jobs import tick as tick_module
    from jobs.outbox import enqueue

    cfg_path = write_config(tmp_path, fake_server.base_url, fake_server.base_file_url)
    cfg = load_config(str(cfg_path))
    sessions = make_sessionmaker(make_engine(cfg.database_url))

    def remind(task: int, at: dt.datetime) -> None:
        with transaction(sessions) as s:
            unit = s.scalar(select(Unit).where(Unit.name == "区工信局"))
            if not s.scalar(select(Contact)):
                s.add(Contact(unit_id=unit.id, user_address="501", address="501"))
            recipient = Recipient.unit(unit.id)
            enqueue(
                s,
                kind=MessageKind.REMINDER,
                recipient=recipient,
                role="unit",
                facts=Facts(task=task, unit="区工信局", due="2024-03-25"),
                recipient_name="区工信局",
                dedupe_key=dedupe_key(MessageKind.REMINDER, recipient, scope=(task, 1), stage=1),
                due_at=at,
            )

    monkeypatch.setattr(tick_module, "plan_due", lambda *a, **k: (0, 0, 0))
    monkeypatch.delenv("DUBAN_BOT_TOKEN", raising=False)
    cfg_args = ["--config", str(cfg_path)]
    remind(7, dt.datetime(2024, 3, 20, 10, 0, tzinfo=cfg.tz))
    capsys.readouterr()
    assert main([*cfg_args, "tick", "--console", "--at", "2024-03-20T10:00"]) == 0
    assert "任务7" in capsys.readouterr().out
    remind(8, dt.datetime(2024, 3, 20, 10, 1, tzinfo=cfg.tz))
    assert main([*cfg_args, "tick", "--console", "--at", "2024-03-20T10:01"]) == 0
    out = capsys.readouterr().out
    assert "任务8" in out and "任务7" not in out  # each printed once
    with sessions() as s:
        assert set(s.scalars(select(Digest.state))) == {"printed"}
    assert not [c for c in fake_server.calls if c.method == "sendMessage"]

    monkeypatch.setenv("DUBAN_BOT_TOKEN", TOKEN)
    assert main([*cfg_args, "tick", "--at", "2024-03-20T10:02"]) == 0
    assert "发出消息 1 条" in capsys.readouterr().out
    sent = [c for c in fake_server.calls if c.method == "sendMessage"]
    assert len(sent) == 1 and sent[0].chat_id == 501
    assert "任务7" in sent[0].text and "任务8" in sent[0].text
    with sessions() as s:
        assert set(s.scalars(select(Digest.state))) == {"sent"}


async def test_webhook_mode_receives_updates_pushed_by_the_server(
    config, engine, sessions, monkeypatch
):  # type: ignore[no-untyped-def]
    """[telegram] mode = "webhook": serve() registers the webhook with its secret; updates the
    server POSTs there are answered; a POST without the secret is refused."""
    import socket

    import httpx

    from duban.commands.run import serve
    from duban.config import TelegramConfig, WebhookConfig
    from duban.context import AppContext
    from tests.bot_harness import IND, NOW, make_app

    with socket.socket() as probe:  # a free port on loopback for the webhook
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DUBAN_WEBHOOK_SECRET", "s3cret-token_1")
    server = FakeBotAPI(TOKEN)
    await server.start()
    hook = f"http://127.0.0.1:{port}/duban-hook"
    cfg = config.model_copy(
        update={
            "telegram": TelegramConfig(
                base_url=server.base_url,
                base_file_url=server.base_file_url,
                mode="webhook",
                webhook=WebhookConfig(url=hook, listen="127.0.0.1", port=port),
            )
        }
    )
    ctx = AppContext(cfg, engine, sessions)
    app = make_app(ctx, {"now": NOW})
    stop = asyncio.Event()
    task = asyncio.create_task(serve(ctx, None, app=app, stop=stop, clock=False))
    try:
        for _ in range(100):  # until serve() has registered the webhook
            if server.webhook is not None:
                break
            await asyncio.sleep(0.05)
        assert server.webhook == (hook, "s3cret-token_1")
        await server.send_text(IND, "/start")
        reply = await server.wait_sent(IND["id"], contains="仅供已登记的单位联络员使用")
        assert reply.text and server.webhook_status == [200]
        async with httpx.AsyncClient() as client:  # a forged POST without the secret
            forged = await client.post(hook, json={"update_id": 99, "message": {}})
        assert forged.status_code == 403
        assert "getUpdates" not in {c.method for c in server.calls}
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await server.stop()


def test_contacts_lists_and_revokes_with_the_telegram_account(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`duban contacts` names an account as before contacts became (channel, address)."""
    import datetime as dt

    from sqlalchemy import select

    from db.engine import make_engine, make_sessionmaker, transaction
    from db.models import Unit
    from duban.config import load_config
    from services.registration import create_invite, redeem_invite

    cfg_path = write_config(tmp_path)
    cfg = load_config(str(cfg_path))
    engine = make_engine(cfg.database_url)
    at = dt.datetime(2024, 3, 20, 10, 0, tzinfo=cfg.tz)
    with transaction(make_sessionmaker(engine)) as s:
        assert s.scalar(select(Unit).where(Unit.name == "区工信局")) is not None
        token = create_invite(s, "区工信局", now=at).token
        redeem_invite(s, token, user_address="501", address="501", display_name="王工信", now=at)
        token = create_invite(s, "区工信局", now=at).token
        redeem_invite(
            s, token, user_address="7000000123", address="7000000123", display_name="", now=at
        )
    engine.dispose()
    capsys.readouterr()
    assert main(["--config", str(cfg_path), "contacts", "--unit", "区工信局"]) == 0
    assert capsys.readouterr().out == (
        "   1  区工信局  王工信  tg:501  active  2024-03-20\n"
        "   2  区工信局  -  tg:7000000123  active  2024-03-20\n"
    )
    assert main(["--config", str(cfg_path), "contacts", "revoke", "2"]) == 0
    assert capsys.readouterr().out == "contact 2 (7000000123) revoked\n"
