"""One module per `duban` subcommand; each exposes register(subparsers)."""

from __future__ import annotations

import argparse


def add_command(
    sub: argparse._SubParsersAction, name: str, summary: str, more: str  # type: ignore[type-arg]
) -> argparse.ArgumentParser:
    """A subcommand whose `duban --help` line is `summary` and whose own --help describes it:
    the summary, then `more`."""
    return sub.add_parser(name, help=summary, description=f"{summary}. {more}")
