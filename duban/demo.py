"""`make demo`: a throw-away database from the example config, the seed imported, a summary."""

from __future__ import annotations

import sys


def main() -> int:
    print("demo: not yet wired")
    return 0


if __name__ == "__main__":
    sys.exit(main())
