"""`make demo`: the whole job on the embedded default, offline.

A throw-away SQLite database from the bundled example config, the bundled seed table imported,
a summary; then a simulated reporting year, and the ledger and charts in demo-output/.
Each step runs the real `duban` command, printed as a newcomer would type it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from duban.cli import main as duban

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "demo-output"
SEED = REPO / "examples" / "shenhe-2024-tasks.txt"


def step(*argv: str) -> None:
    shown = " ".join(a if " " not in a else repr(a) for a in argv)
    print(f"\n$ duban {shown}", flush=True)
    code = duban(list(argv))
    if code:
        raise SystemExit(f"demo: `duban {shown}` failed with exit code {code}")


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    config = OUT / "config.toml"
    config.write_text(
        (REPO / "config.example.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )  # data_dir = "data" resolves next to it: demo-output/data/duban.db
    cfg = ["--config", str(config)]
    step(*cfg, "init")
    step(*cfg, "import", str(SEED))
    step(*cfg, "summary")
    step(*cfg, "export", "ledger", "-o", str(OUT / "台账.xlsx"), "--at", "2024-12-31")
    step(*cfg, "export", "charts", "-o", str(OUT / "charts"), "--at", "2024-12-31")
    print(f"\ndemo: done; everything is under {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
