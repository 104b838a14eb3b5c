"""The `duban` command line. Each subcommand lives in duban/commands/<name>.py and exposes
`register(subparsers)`; this module only discovers them and turns known errors into messages."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from db.engine import DatabaseError
from duban import commands
from duban.config import ConfigError
from duban.errors import UserError
from duban.importer.errors import TableError
from jobs.reporting import PlanWindowError
from jobs.workdays import CalendarGapError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="duban",
        description="督办: reminders and escalation for a task decomposition table. "
        "`duban COMMAND --help` describes each command.",
    )
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: $DUBAN_CONFIG, else ./config.toml)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"duban.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs request URLs, which carry the bot token: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"duban: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (CalendarGapError, ConfigError, PlanWindowError, DatabaseError, TableError) as exc:
        # Raised deep inside ticks and simulations; their messages name the date, key, file
        # or line to fix.
        print(f"duban: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `duban tasks | head`: the reader went away; stop quietly like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        # A file the command was told to write or read: name it, not the line of Python.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"duban: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.verbose:
            raise
        # Never a traceback for the person at the keyboard; -v shows it for a bug report.
        print(
            f"duban: error: unexpected {type(exc).__name__}: {exc} "
            f"(run `duban -v {args.command} …` for the details and report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
