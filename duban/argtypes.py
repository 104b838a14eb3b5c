"""argparse types shared by the subcommands: a bad value is argparse's usual one-line error."""

from __future__ import annotations

import argparse
from collections.abc import Callable


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
