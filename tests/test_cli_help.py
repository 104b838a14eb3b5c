"""`duban COMMAND --help` tells the truth, and says what each command is for."""

from __future__ import annotations

import pytest

from duban.cli import build_parser, main

COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [*COMMANDS, "export ledger", "export charts"])
def test_every_command_has_a_description(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(capsys, *command.split())
    paragraphs = text.split("\n\n")
    assert text.startswith(f"usage: duban {command}")
    # the paragraph after the usage is prose, not straight away the list of options
    description = paragraphs[1]
    assert not description.startswith(("options:", "positional arguments:")), text
    assert len(description.split()) >= 8, description


def test_help_promises_only_what_the_commands_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(COMMANDS) >= {"audit", "export", "import", "run", "simulate", "tick"}
    tick = help_of(capsys, "tick")
    assert "default now" not in tick and "refuses" in " ".join(tick.split())
    simulate = " ".join(help_of(capsys, "simulate").split())
    assert "`duban ledger`" not in simulate and "`duban export ledger`" in simulate
    for command in COMMANDS:  # every `duban X` a help text names is a real command
        text = " ".join(help_of(capsys, command).split())
        for named in text.split("`duban ")[1:]:
            assert named.split()[0].rstrip("`") in COMMANDS, (command, named)
