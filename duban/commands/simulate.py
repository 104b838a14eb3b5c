"""`duban simulate --from DATE --to DATE`: the real engine on a virtual clock.

Runs in a temporary SQLite database (never the configured one): tasks come from --table FILE,
or are copied read-only from the configured database. See duban/simulate/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from duban import context
from duban.config import ConfigError, load_config
from duban.errors import UserError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-03-15") from exc


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1") from exc
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "simulate",
        help="run reminders and escalation on a virtual clock with simulated contacts",
        description="Runs the real planner, outbox and deliverer in a temporary database "
        "(your data is never touched), with simulated contacts who report with the given "
        "behaviour. Deterministic for a given --seed.",
    )
    p.add_argument(
        "--from", dest="start", type=_date, required=True, metavar="DATE", help="first day"
    )
    p.add_argument("--to", dest="end", type=_date, required=True, metavar="DATE", help="last day")
    p.add_argument(
        "--reply-rate",
        type=_rate,
        default=0.8,
        metavar="P",
        help="probability that a unit reports at all in a period (default 0.8)",
    )
    p.add_argument(
        "--late-rate",
        type=_rate,
        default=0.2,
        metavar="Q",
        help="probability that a reporting unit reports after the due date (default 0.2)",
    )
    p.add_argument(
        "--seed", type=int, default=1, metavar="N", help="random seed: same seed, same run"
    )
    p.add_argument(
        "--table",
        type=Path,
        metavar="FILE",
        help="import this task table into the simulation (default: copy the tasks already "
        "in the configured database)",
    )
    p.add_argument("--format", choices=("text", "jsonl"), default="text")
    p.add_argument(
        "--save-db",
        type=Path,
        metavar="PATH",
        help="keep the simulated database (SQLite) at PATH: a config whose database_url is "
        "sqlite:///PATH then runs `duban export ledger`, `export charts` or `audit` on it",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Lazy: the simulator's engine loads only for this command, not for every `duban` command.
    from duban.simulate import SimOptions, format_jsonl, format_text, simulate

    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise UserError(str(exc)) from exc
    if args.end < args.start:
        raise UserError(f"--to {args.end} is before --from {args.start}")
    if args.table is not None and not args.table.is_file():
        raise UserError(f"--table {args.table}: no such file")
    if args.save_db is not None:
        real = Path(cfg.database_url.removeprefix("sqlite:///")).resolve()
        if args.save_db.resolve() == real:
            raise UserError("--save-db must not be the configured database")
        if args.save_db.exists():
            raise UserError(f"--save-db {args.save_db}: file exists; choose a new path")
        _check_writable(args.save_db)
    source = None
    if args.table is None:
        source = context.open_context(cfg).sessions
    options = SimOptions(
        start=args.start,
        end=args.end,
        reply_rate=args.reply_rate,
        late_rate=args.late_rate,
        seed=args.seed,
        table=args.table,
        save_to=args.save_db,
    )
    stream = sys.stdout
    on_event = None
    if args.format == "jsonl":

        def on_event(event: dict) -> None:  # type: ignore[type-arg]
            stream.write(format_jsonl(event) + "\n")

    try:
        result = simulate(cfg, options, source=source, on_event=on_event)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.format == "text":
        print(format_text(result, options))
        if args.save_db is not None:
            print(f"\nsimulated database saved to {args.save_db}")
    return 0


def _check_writable(path: Path) -> None:
    """Before a simulation that may take minutes: can its database be saved at `path`?"""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=False)
    except OSError as exc:
        raise UserError(f"--save-db {path}: cannot write there: {exc.strerror}") from exc
    path.unlink()
