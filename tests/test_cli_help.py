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


def test_readme_names_the_files_make_demo_writes() -> None:
    """`make demo` writes duban.demo.outputs() (and checks at its end that each exists); the
    README's account of it names exactly those files."""
    import re

    from duban.demo import REPO, outputs

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    written = {p.relative_to(REPO).as_posix() for p in outputs()}
    for path in sorted(written):
        name = path if "/charts/" not in path else path.rsplit("/", 1)[1]
        assert f"{name}`" in readme, path
    named = set(re.findall(r"demo-output/[^\s`)，,]+\.(?:toml|db|xlsx|png)", readme))
    assert named <= written, named - written
