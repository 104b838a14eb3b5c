"""`make demo`: the whole job on the embedded default, offline.

A throw-away SQLite database from the bundled example config, the bundled seed table imported,
a summary; then a simulated reporting year, and the ledger and charts in demo-output/.
Each step runs the real `duban` command, printed as a newcomer would type it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from duban.charts import CHARTS
from duban.cli import main as duban

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "demo-output"
SEED = REPO / "examples" / "shenhe-2024-tasks.txt"
# What the demo writes (README's "The two commands" names each; tests/test_cli_help.py holds it
# to that, and main() checks every one exists at the end).
CONFIG = OUT / "config.toml"
DATABASE = OUT / "data" / "duban.db"  # the config's data_dir = "data", next to it
SIMULATED_DB = OUT / "simulated.db"
SIMULATED_CONFIG = OUT / "simulated.toml"
LEDGER = OUT / "台账.xlsx"
CHARTS_DIR = OUT / "charts"


def outputs() -> list[Path]:
    return [
        CONFIG,
        DATABASE,
        SIMULATED_DB,
        SIMULATED_CONFIG,
        LEDGER,
        *(CHARTS_DIR / f"{name}.png" for name in CHARTS),
    ]


def step(*argv: str) -> None:
    # `make demo` runs in the repository: paths under it are given (and shown) relative, as
    # someone repeating the commands by hand would type them
    here = f"{Path.cwd().as_posix()}/"
    argv = tuple(a.removeprefix(here) for a in argv)
    shown = " ".join(a if " " not in a else repr(a) for a in argv)
    print(f"\n$ duban {shown}", flush=True)
    code = duban(list(argv))
    if code:
        raise SystemExit(f"demo: `duban {shown}` failed with exit code {code}")


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    config = CONFIG
    config.write_text(
        (REPO / "config.example.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )  # data_dir = "data" resolves next to it: demo-output/data/duban.db
    cfg = ["--config", str(config)]
    step(*cfg, "init")
    step(*cfg, "import", str(SEED))
    step(*cfg, "summary")
    # A simulated reporting year: the real planner, outbox and deliverer on a virtual clock, in
    # a temporary database (the demo database is not touched); kept for the ledger and charts.
    step(
        *cfg, "simulate", "--from", "2024-03-15", "--to", "2024-12-31", "--seed", "1",
        "--save-db", str(SIMULATED_DB),
    )  # fmt: skip
    SIMULATED_CONFIG.write_text(
        config.read_text(encoding="utf-8").replace(
            'database_url = ""', f'database_url = "sqlite:///{SIMULATED_DB.as_posix()}"', 1
        ),
        encoding="utf-8",
    )
    sim = ["--config", str(SIMULATED_CONFIG)]
    step(*sim, "export", "ledger", "-o", str(LEDGER), "--at", "2024-12-31")
    step(*sim, "export", "charts", "-o", str(CHARTS_DIR), "--at", "2024-12-31")
    missing = [p for p in outputs() if not p.is_file()]
    if missing:
        raise SystemExit(f"demo: expected files not written: {', '.join(map(str, missing))}")
    print(f"\ndemo: done; it wrote, under {OUT}:")
    for path in outputs():
        print(f"  {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
