"""argparse types shared by the subcommands: a bad value is argparse's usual one-line error."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable


def iso_date(text: str) -> dt.date:
    """A date written YYYY-MM-DD (`--at`, `--since`, `--until`)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def whole_number(minimum: int) -> Callable[[str], int]:
    """An int of at least `minimum` (`--interval 0` would stop the clock, `--top -1` would cut
    the list's last line)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= {minimum}")
        return value

    return parse
